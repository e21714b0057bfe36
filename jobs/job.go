// Package jobs owns the wire contract between the webhook and the workers:
// the versioned Job record, and its life on NATS JetStream (a work-queue
// stream of job messages, a durable consumer shared by every worker, key-value
// buckets for job records, locks and the last deployed commit per branch).
// It embeds nats-server by default. It is the only package besides
// cmd/shiftleft that imports nats.go.
package jobs

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shiftleft/shiftleft/internal/credurl"
)

// Version is the version of the Job JSON record; readers refuse newer ones.
const Version = 1

// Kind is what a job does.
type Kind string

const (
	// KindDeploy deploys what a push to the deploy branch changed.
	KindDeploy Kind = "deploy"
	// KindPlan reports what a pull request would change, without deploying.
	KindPlan Kind = "plan"
)

// Source is what made a job.
type Source string

const (
	// SourceWebhook: a GitHub webhook delivery.
	SourceWebhook Source = "webhook"
	// SourceReconciler: the reconcile loop, which found the deploy
	// branch's tip not deployed and no job for it (a push GitHub did not
	// deliver, or whose delivery failed).
	SourceReconciler Source = "reconciler"
	// SourceSelfHeal: the reconcile loop with self-heal on, redeploying the
	// tables that drifted from the deployed commit.
	SourceSelfHeal Source = "self-heal"
	// SourceReplay: an operator's replay of a finished job.
	SourceReplay Source = "replay"
)

// Status is where a job is in its life.
type Status string

const (
	StatusQueued     Status = "queued"
	StatusRunning    Status = "running"
	StatusSucceeded  Status = "succeeded"
	StatusFailed     Status = "failed"
	StatusSuperseded Status = "superseded"
	// StatusDead: the job failed on every delivery; it is kept and can be
	// replayed.
	StatusDead Status = "dead"
)

// Finished reports whether the job will not run again by itself.
func (s Status) Finished() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusSuperseded, StatusDead:
		return true
	}
	return false
}

// Job is one unit of work, as queued, stored and listed.
type Job struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Kind    Kind   `json:"kind"`
	Status  Status `json:"status"`
	// Repo is owner/name; CloneURL where to fetch it (the event's
	// repository.clone_url, or the configured mapping), never with
	// credentials: the queue takes them out before a job is stored, queued
	// or read, and workers find them in their own configuration.
	Repo     string `json:"repo"`
	CloneURL string `json:"clone_url"`
	// Ref is the pushed ref (refs/heads/main) or the pull request's head ref.
	Ref string `json:"ref"`
	// Before and After are the commits of a push; for a pull request, the
	// base and head commits.
	Before      string `json:"before"`
	After       string `json:"after"`
	PullRequest int    `json:"pull_request,omitempty"`
	// DeliveryID is GitHub's X-GitHub-Delivery: the deduplication key.
	DeliveryID string `json:"delivery_id"`
	// ReplayOf is the id of the job a replay reruns, "" for a job of its
	// own.
	ReplayOf string `json:"replay_of"`
	// Source is what made the job; "" in records written before sources
	// were recorded (webhooks and replays only then).
	Source   Source  `json:"source"`
	Options  Options `json:"options"`
	Attempts int     `json:"attempts"`
	// Reading is what the job's worker was reading when it last recorded
	// it (the pipelines of a commit, or one SQL file at a time after a
	// worker stopped while reading them), "" when not reading: a job whose
	// workers keep stopping is marked dead naming it.
	Reading string `json:"reading,omitempty"`

	// The record's contract fields (replay_of above, finished_at, error,
	// plan) are always written, null or empty until set: a reader of
	// `shiftleft jobs show` or GET /api/jobs/{id} can rely on the key being
	// there rather than telling "absent" from "not yet".
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Error      string     `json:"error"`
	// Summary is the one-line outcome posted as the commit status.
	Summary string `json:"summary,omitempty"`
	// Plan and Results are filled as the job runs.
	Plan    []PlannedAction `json:"plan"`
	Results []TableResult   `json:"results,omitempty"`

	// revision is the KV revision the record was read at: [Queue.Update]
	// writes only if the record is still at it (compare-and-set).
	revision uint64
}

// shaRe is a full commit SHA, as GitHub sends it.
var shaRe = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Validate reports, wrapped in [ErrInvalidJob], every field that keeps the
// job from running.
func (j *Job) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch {
	case j.Version < 1:
		add("version %d", j.Version)
	case j.Version > Version:
		add("version %d is newer than %d", j.Version, Version)
	}
	if !nameRe.MatchString(j.ID) {
		add("id %q: letters, digits, - and _ only", j.ID)
	}
	switch j.Kind {
	case KindDeploy:
	case KindPlan:
		if j.PullRequest <= 0 {
			add("a plan job needs a pull request number")
		}
	default:
		add("unknown kind %q", j.Kind)
	}
	switch j.Source {
	case "", SourceWebhook, SourceReconciler, SourceReplay:
	case SourceSelfHeal:
		if len(j.Options.Heal) == 0 {
			add("a self-heal job names no drifted table")
		}
	default:
		add("unknown source %q", j.Source)
	}
	if len(j.Options.Heal) > 0 && j.Kind != KindDeploy {
		add("only a deploy job heals tables")
	}
	if owner, name, ok := strings.Cut(j.Repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		add("repo %q is not owner/name", j.Repo)
	}
	for _, f := range []struct{ name, value string }{
		{"clone_url", j.CloneURL}, {"ref", j.Ref}, {"after", j.After}, {"delivery_id", j.DeliveryID},
	} {
		if f.value == "" {
			add("no %s", f.name)
		}
	}
	if _, _, err := credurl.Split(j.CloneURL); err != nil {
		add("clone_url: %v", err) // not quoted: it may hold credentials
	}
	// A commit the worker could never fetch would be retried to its death.
	for _, f := range []struct{ name, value string }{{"after", j.After}, {"before", j.Before}} {
		if f.value != "" && !shaRe.MatchString(f.value) {
			add("%s %q is not a 40-hex commit SHA", f.name, f.value)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w %q: %s", ErrInvalidJob, j.ID, strings.Join(problems, "; "))
	}
	return nil
}

// stripCredentials takes the credentials out of CloneURL; one that does
// not parse is left for Validate to refuse.
func (j *Job) stripCredentials() {
	if clean, _, err := credurl.Split(j.CloneURL); err == nil {
		j.CloneURL = clean
	}
}

// Options tune how a job deploys (replays may set them).
type Options struct {
	Force   bool `json:"force,omitempty"`
	DMLOnly bool `json:"dml_only,omitempty"`
	// Heal are the tables a self-heal job redeploys at the deployed
	// commit, with the drift that is the reason.
	Heal []Drifted `json:"heal,omitempty"`
}

// Drifted is a table whose live statements differ from the deployed
// commit's, as the reconciler saw it.
type Drifted struct {
	Table string `json:"table"`
	// State is planner's class of it (failed, missing, orphaned...).
	State string `json:"state"`
	// Statement is the statement the state is about: for an orphaned
	// table, the one a self-heal with pruning on deletes.
	Statement string `json:"statement,omitempty"`
	Detail    string `json:"detail,omitempty"`
}

// PlannedAction is one line of a job's plan.
type PlannedAction struct {
	Table  string `json:"table"`
	Action string `json:"action"`
	Reason string `json:"reason"`
	// Consequence says what the action does to the table's data.
	Consequence string `json:"consequence,omitempty"`
}

// TableResult is what a deploy job did to one table.
type TableResult struct {
	Table    string `json:"table"`
	Action   string `json:"action"`
	Status   string `json:"status"`
	Phase    string `json:"phase,omitempty"`
	Duration string `json:"duration,omitempty"`
	Error    string `json:"error,omitempty"`
}
