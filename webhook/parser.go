package webhook

import (
	"encoding/json"
	"fmt"
	"strings"

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

// decision is what an event asks for, in shiftleft's terms: GitHub's payload
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
	j.Source = jobs.SourceWebhook
	d.outcome, d.job = outcomeQueued, j
}

// parser turns a verified payload into a decision.
type parser struct {
	deployRef string // refs/heads/<deploy branch>
}

// The payload fields the parser reads, in GitHub's names. Decoding these
// alone, not go-github's whole event types, halves the handler's time per
// push (98 to 54 µs): a 7 KB push is mostly commits nobody reads here.
type (
	repoFields struct {
		FullName string `json:"full_name"`
		CloneURL string `json:"clone_url"`
	}
	pushEvent struct {
		Ref        string     `json:"ref"`
		Before     string     `json:"before"`
		After      string     `json:"after"`
		Deleted    bool       `json:"deleted"`
		Repository repoFields `json:"repository"`
	}
	branch struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	pullRequestEvent struct {
		Action      string     `json:"action"`
		Number      int        `json:"number"`
		Repository  repoFields `json:"repository"`
		PullRequest struct {
			Base branch `json:"base"`
			Head branch `json:"head"`
		} `json:"pull_request"`
	}
)

// parse reads payload as the event names it. A payload that does not decode,
// or lacks a field a job needs, is rejected.
func (p parser) parse(event string, payload []byte) (decision, *rejection) {
	switch event {
	case "push":
		e, rej := decode[pushEvent](event, payload)
		if rej != nil {
			return decision{}, rej
		}
		return p.push(e)
	case "pull_request":
		e, rej := decode[pullRequestEvent](event, payload)
		if rej != nil {
			return decision{}, rej
		}
		return p.pullRequest(e)
	case "ping":
		if _, rej := decode[struct{}](event, payload); rej != nil {
			return decision{}, rej
		}
		return decision{outcome: outcomePong}, nil
	}
	if !json.Valid(payload) {
		return decision{}, reject(outcomeBadRequest, "malformed JSON payload")
	}
	return decision{outcome: outcomeIgnored, reason: fmt.Sprintf("event %q is not handled", event)}, nil
}

// decode reads an event's payload; a JSON null, which decodes to nothing,
// is rejected like malformed JSON.
func decode[E any](event string, payload []byte) (*E, *rejection) {
	var e *E
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, reject(outcomeBadRequest, "malformed %s payload: %v", event, err)
	}
	if e == nil {
		return nil, reject(outcomeBadRequest, "empty %s payload", event)
	}
	return e, nil
}

// push deploys a push to the deploy branch. A branch creation deploys too:
// Before is then zeroSHA, and the worker deploys everything.
func (p parser) push(e *pushEvent) (decision, *rejection) {
	repo := e.Repository
	d := decision{repo: repo.FullName}
	switch {
	case d.repo == "":
		return decision{}, missing("repository.full_name")
	case e.Ref == "":
		return decision{}, missing("ref")
	}
	if rej := checkSHAs(sha{"before", &e.Before}, sha{"after", &e.After}); rej != nil {
		return decision{}, rej
	}
	switch {
	case strings.HasPrefix(e.Ref, "refs/tags/"):
		d.ignore("tag %s is not deployed", e.Ref)
	case e.Deleted || e.After == zeroSHA:
		d.ignore("%s was deleted: nothing to deploy", e.Ref)
	case e.Ref != p.deployRef:
		d.ignore("push to %s, not to the deploy branch %s", e.Ref, strings.TrimPrefix(p.deployRef, "refs/heads/"))
	case e.After == "":
		return decision{}, missing("after")
	case e.Before == "":
		return decision{}, missing("before")
	case repo.CloneURL == "":
		return decision{}, missing("repository.clone_url")
	default:
		d.queue(&jobs.Job{
			Kind:     jobs.KindDeploy,
			Repo:     d.repo,
			CloneURL: repo.CloneURL,
			Ref:      e.Ref,
			Before:   e.Before,
			After:    e.After,
		})
	}
	return d, nil
}

// pullRequest plans a pull request that was opened, reopened or updated,
// from its base repository (see the package comment about forks).
func (p parser) pullRequest(e *pullRequestEvent) (decision, *rejection) {
	repo, pr := e.Repository, e.PullRequest
	d := decision{repo: repo.FullName}
	if rej := checkSHAs(sha{"pull_request.base.sha", &pr.Base.SHA}, sha{"pull_request.head.sha", &pr.Head.SHA}); rej != nil {
		return decision{}, rej
	}
	switch {
	case d.repo == "":
		return decision{}, missing("repository.full_name")
	case !plannedActions[e.Action]:
		d.ignore("pull request action %q is not planned (only opened, synchronize and reopened are)", e.Action)
	case e.Number <= 0:
		return decision{}, missing("number")
	case pr.Base.SHA == "":
		return decision{}, missing("pull_request.base.sha")
	case pr.Head.SHA == "":
		return decision{}, missing("pull_request.head.sha")
	case pr.Head.Ref == "":
		return decision{}, missing("pull_request.head.ref")
	case repo.CloneURL == "":
		return decision{}, missing("repository.clone_url")
	default:
		d.queue(&jobs.Job{
			Kind:        jobs.KindPlan,
			Repo:        d.repo,
			CloneURL:    repo.CloneURL,
			Ref:         pr.Head.Ref,
			Before:      pr.Base.SHA,
			After:       pr.Head.SHA,
			PullRequest: e.Number,
		})
	}
	return d, nil
}

// sha is a commit id field of a payload.
type sha struct {
	field string
	value *string
}

// checkSHAs rejects a commit id that is given but is not 40 hex digits, the
// only form GitHub sends: a worker would fetch anything else, fail, and
// retry it until the job is dead. Valid ones are lower-cased, as git writes
// them; "" is left to the callers that need the field.
func checkSHAs(shas ...sha) *rejection {
	for _, s := range shas {
		v := *s.value
		if v != "" && !isSHA(v) {
			return reject(outcomeBadRequest, "%s %q is not a commit SHA (40 hexadecimal digits)", s.field, truncate(v, 64))
		}
		*s.value = strings.ToLower(v)
	}
	return nil
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// truncate keeps an echoed value short: the reason goes back to the sender
// and into the log.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func missing(field string) *rejection {
	return reject(outcomeBadRequest, "%s is missing", field)
}
