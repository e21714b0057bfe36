package webhook

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/shiftleft/shiftleft/jobs"
)

// zeroSHA is the commit GitHub gives for the side of a push that does not
// exist: After when a ref is deleted, Before when it is created.
const zeroSHA = "0000000000000000000000000000000000000000"

// handledEvents are the events the parser reads; others are ignored.
var handledEvents = map[string]bool{"ping": true, "push": true, "pull_request": true}

// plannedActions are the pull request actions that change what the pull
// request would deploy: it appeared, reappeared, or its head moved.
var plannedActions = map[string]bool{"opened": true, "synchronize": true, "reopened": true}

// decision is what an event asks for, in shiftleft's terms: go-github's
// types stop at the parser.
type decision struct {
	// outcome is outcomePong, outcomeIgnored (with reason), or
	// outcomeQueued (with job).
	outcome outcome
	reason  string
	// repo is the owner/name the event is about; "" when not read.
	repo string
	// job lacks what the request adds: delivery ID, creation time.
	job *jobs.Job
}

func (d *decision) ignore(format string, args ...any) {
	d.outcome, d.reason = outcomeIgnored, fmt.Sprintf(format, args...)
}

func (d *decision) queue(j *jobs.Job) {
	d.outcome, d.job = outcomeQueued, j
}

// parser turns a verified payload into a decision.
type parser struct {
	deployRef string // refs/heads/<deploy branch>
}

// parse reads payload as the event names it. A payload that does not decode,
// or lacks a field a job needs, is rejected.
func (p parser) parse(event string, payload []byte) (decision, *rejection) {
	if !handledEvents[event] {
		if !json.Valid(payload) {
			return decision{}, reject(outcomeBadRequest, "malformed JSON payload")
		}
		return decision{outcome: outcomeIgnored, reason: fmt.Sprintf("event %q is not handled", event)}, nil
	}
	raw, err := github.ParseWebHook(event, payload)
	if err != nil {
		return decision{}, reject(outcomeBadRequest, "malformed %s payload: %v", event, err)
	}
	switch e := raw.(type) {
	case *github.PushEvent:
		return p.push(e)
	case *github.PullRequestEvent:
		return p.pullRequest(e)
	case *github.PingEvent:
		return decision{outcome: outcomePong}, nil
	}
	// A JSON null decodes to no event at all.
	return decision{}, reject(outcomeBadRequest, "empty %s payload", event)
}

// push deploys a push to the deploy branch. A branch creation deploys too:
// Before is then zeroSHA, and the worker deploys everything.
func (p parser) push(e *github.PushEvent) (decision, *rejection) {
	repo := e.GetRepo()
	d := decision{repo: repo.GetFullName()}
	ref := e.GetRef()
	switch {
	case d.repo == "":
		return decision{}, missing("repository.full_name")
	case ref == "":
		return decision{}, missing("ref")
	case strings.HasPrefix(ref, "refs/tags/"):
		d.ignore("tag %s is not deployed", ref)
	case e.GetDeleted() || e.GetAfter() == zeroSHA:
		d.ignore("%s was deleted: nothing to deploy", ref)
	case ref != p.deployRef:
		d.ignore("push to %s, not to the deploy branch %s", ref, strings.TrimPrefix(p.deployRef, "refs/heads/"))
	case e.GetAfter() == "":
		return decision{}, missing("after")
	case repo.GetCloneURL() == "":
		return decision{}, missing("repository.clone_url")
	default:
		d.queue(&jobs.Job{
			Kind:     jobs.KindDeploy,
			Repo:     d.repo,
			CloneURL: repo.GetCloneURL(),
			Ref:      ref,
			Before:   e.GetBefore(),
			After:    e.GetAfter(),
		})
	}
	return d, nil
}

// pullRequest plans a pull request that was opened, reopened or updated,
// from its base repository (see the package comment about forks).
func (p parser) pullRequest(e *github.PullRequestEvent) (decision, *rejection) {
	repo := e.GetRepo()
	pr := e.GetPullRequest()
	d := decision{repo: repo.GetFullName()}
	switch {
	case d.repo == "":
		return decision{}, missing("repository.full_name")
	case !plannedActions[e.GetAction()]:
		d.ignore("pull request action %q is not planned (only opened, synchronize and reopened are)", e.GetAction())
	case e.GetNumber() <= 0:
		return decision{}, missing("number")
	case pr.GetBase().GetSHA() == "":
		return decision{}, missing("pull_request.base.sha")
	case pr.GetHead().GetSHA() == "":
		return decision{}, missing("pull_request.head.sha")
	case pr.GetHead().GetRef() == "":
		return decision{}, missing("pull_request.head.ref")
	case repo.GetCloneURL() == "":
		return decision{}, missing("repository.clone_url")
	default:
		d.queue(&jobs.Job{
			Kind:        jobs.KindPlan,
			Repo:        d.repo,
			CloneURL:    repo.GetCloneURL(),
			Ref:         pr.GetHead().GetRef(),
			Before:      pr.GetBase().GetSHA(),
			After:       pr.GetHead().GetSHA(),
			PullRequest: e.GetNumber(),
		})
	}
	return d, nil
}

func missing(field string) *rejection {
	return reject(outcomeBadRequest, "%s is missing", field)
}
