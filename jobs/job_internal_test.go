package jobs

import (
	"errors"
	"strings"
	"testing"
)

// testJob is a valid deploy job but for the fields Publish fills.
func testJob(delivery string) *Job {
	return &Job{
		Kind:       KindDeploy,
		Repo:       "acme/shop",
		CloneURL:   "https://github.com/acme/shop.git",
		Ref:        "refs/heads/main",
		Before:     "1111111111111111111111111111111111111111",
		After:      "2222222222222222222222222222222222222222",
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
			for _, part := range strings.Split(tt.wantText, "; ") {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("Validate = %q; want it to mention %q", err, part)
				}
			}
		})
	}
}
