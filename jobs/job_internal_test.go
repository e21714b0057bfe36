package jobs

import (
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testJob is a valid deploy job but for the fields Publish fills; each
// delivery pushes a commit of its own, as pushes do (jobs of one commit are
// one job).
func testJob(delivery string) *Job {
	return &Job{
		Kind:       KindDeploy,
		Repo:       "acme/shop",
		CloneURL:   "https://github.com/acme/shop.git",
		Ref:        "refs/heads/main",
		Before:     "1111111111111111111111111111111111111111",
		After:      fmt.Sprintf("%x", sha1.Sum([]byte(delivery))),
		DeliveryID: delivery,
	}
}

func TestJobValidate(t *testing.T) {
	valid := func() *Job {
		j := testJob("d-1")
		j.ID, j.Version = "01JABC", Version
		return j
	}
	tests := []struct {
		name     string
		change   func(*Job)
		wantText string // "" for a valid job
	}{
		{"valid deploy", func(*Job) {}, ""},
		{"valid plan", func(j *Job) { j.Kind, j.PullRequest = KindPlan, 7 }, ""},
		{"no version", func(j *Job) { j.Version = 0 }, "version 0"},
		{"newer version", func(j *Job) { j.Version = Version + 1 }, "newer"},
		{"no id", func(j *Job) { j.ID = "" }, "id"},
		{"plan without pull request", func(j *Job) { j.Kind = KindPlan }, "pull request"},
		{"unknown kind", func(j *Job) { j.Kind = "drop" }, `unknown kind "drop"`},
		{"repo with two slashes", func(j *Job) { j.Repo = "a/b/c" }, "owner/name"},
		{"repo without name", func(j *Job) { j.Repo = "acme/" }, "owner/name"},
		{"clone URL that does not parse", func(j *Job) { j.CloneURL = "https://bot:tok%zz@github.com/acme/shop.git" },
			"clone_url: URL does not parse"},
		{"after not a SHA", func(j *Job) { j.After = "main" }, `after "main" is not a 40-hex commit SHA`},
		{"before a short SHA", func(j *Job) { j.Before = "2222222" }, `before "2222222" is not a 40-hex commit SHA`},
		{"everything missing", func(j *Job) { *j = Job{Version: Version, ID: "x"} },
			"unknown kind; repo; no clone_url; no ref; no after; no delivery_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := valid()
			tt.change(j)
			err := j.Validate()
			if tt.wantText == "" {
				if err != nil {
					t.Errorf("Validate = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidJob) {
				t.Fatalf("Validate = %v; want ErrInvalidJob", err)
			}
			if strings.Contains(err.Error(), "tok%zz") {
				t.Errorf("Validate = %q quotes the clone URL", err)
			}
			for _, part := range strings.Split(tt.wantText, "; ") {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("Validate = %q; want it to mention %q", err, part)
				}
			}
		})
	}
}

// TestJobJSONFields fixes the record's field names: scripts read them from
// `shiftleft jobs show` and GET /api/jobs/{id}, and the fields not yet set
// are present, empty, rather than missing.
func TestJobJSONFields(t *testing.T) {
	queued := testJob("d-1")
	queued.ID, queued.Version, queued.Status = "01JABC", Version, StatusQueued
	queued.CreatedAt = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	done := *queued
	finished := queued.CreatedAt.Add(time.Minute)
	done.Status, done.ReplayOf, done.Attempts, done.FinishedAt, done.Error = StatusFailed, "01JAAA", 2, &finished, "boom"
	done.Plan = []PlannedAction{{Table: "orders", Action: "recreate", Reason: "DDL changed"}}
	tests := []struct {
		name string
		job  *Job
		want map[string]any // field: its JSON value
	}{
		{"queued", queued, map[string]any{
			"id": "01JABC", "kind": "deploy", "status": "queued", "repo": "acme/shop", "ref": "refs/heads/main",
			"before": queued.Before, "after": queued.After, "delivery_id": "d-1", "replay_of": "", "attempts": 0.0,
			"created_at": "2024-05-01T12:00:00Z", "finished_at": nil, "error": "", "plan": nil,
		}},
		{"finished replay", &done, map[string]any{
			"status": "failed", "replay_of": "01JAAA", "attempts": 2.0, "finished_at": "2024-05-01T12:01:00Z", "error": "boom",
			"plan": []any{map[string]any{"table": "orders", "action": "recreate", "reason": "DDL changed"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.job)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			for field, want := range tt.want {
				v, ok := got[field]
				if !ok {
					t.Errorf("no %q in %s", field, data)
					continue
				}
				if g, w := mustJSON(t, v), mustJSON(t, want); g != w {
					t.Errorf("%s = %s, want %s", field, g, w)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
