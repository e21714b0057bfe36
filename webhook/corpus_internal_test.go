package webhook

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/jobs"
)

// TestCorpus posts every example payload GitHub publishes (shared/corpus),
// signed, with the event its folder names and its repository allowed, and
// checks the answer; each file must be covered by a case.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "corpus", "github-webhooks")
	const (
		repo    = "Codertocat/Hello-World"
		clone   = "https://github.com/Codertocat/Hello-World.git"
		created = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	)
	tests := []struct {
		name   string
		files  string // a regexp on the path under dir
		branch string // the deploy branch
		code   int
		status string
		reason string    // contained in the answer's reason
		job    *jobs.Job // without what the request adds
	}{
		{name: "ping", files: `^ping/`, branch: "master", code: 200, status: "pong"},
		{name: "tag pushed or deleted", files: `^push/0[0-36]\.json$`, branch: "master",
			code: 202, status: "ignored", reason: "tag refs/tags/simple-tag is not deployed"},
		{name: "deploy branch created", files: `^push/0[45]\.json$`, branch: "master", code: 202, status: "queued",
			job: &jobs.Job{Kind: jobs.KindDeploy, Repo: repo, CloneURL: clone, Ref: "refs/heads/master", Before: zeroSHA, After: created}},
		{name: "another branch created", files: `^push/0[45]\.json$`, branch: "main",
			code: 202, status: "ignored", reason: "push to refs/heads/master, not to the deploy branch main"},
		{name: "pull request planned", files: `^pull_request/\d+-(opened|synchronize|reopened)\.json$`, branch: "master",
			code: 202, status: "queued", job: &jobs.Job{Kind: jobs.KindPlan, Repo: repo, CloneURL: clone, Ref: "changes",
				Before: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", After: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", PullRequest: 2}},
		{name: "pull request not planned", branch: "master", code: 202, status: "ignored", reason: "is not planned",
			files: `^pull_request/\d+-(assigned|closed|converted_to_draft|labeled|locked|ready_for_review|` +
				`review_request_removed|review_requested|unassigned|unlabeled|unlocked)\.json$`},
		{name: "check_run", files: `^check_run/`, branch: "master", code: 202, status: "ignored", reason: `event "check_run" is not handled`},
		{name: "issues", files: `^issues/`, branch: "master", code: 202, status: "ignored", reason: `event "issues" is not handled`},
		{name: "create", files: `^create/`, branch: "master", code: 202, status: "ignored", reason: `event "create" is not handled`},
		{name: "delete", files: `^delete/`, branch: "master", code: 202, status: "ignored", reason: `event "delete" is not handled`},
	}

	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		re := regexp.MustCompile(tt.files)
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for _, f := range files {
				if !re.MatchString(f) {
					continue
				}
				n++
				covered[f] = true
				t.Run(f, func(t *testing.T) {
					body, err := os.ReadFile(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					cfg := testConfig()
					cfg.DeployBranch = tt.branch
					cfg.Repos = []string{repoOf(t, body)}
					pub := &recorder{}
					h := newHandler(t, cfg, pub)
					start := time.Now()
					got := serve(t, h, delivery(strings.Split(f, "/")[0], "72d3162e-cc78-11e3-81ab-4c9367dc0958", body))
					if got.code != tt.code || got.body.Status != tt.status || !strings.Contains(got.body.Reason, tt.reason) {
						t.Errorf("answer %d %+v, want %d %q reason containing %q", got.code, got.body, tt.code, tt.status, tt.reason)
					}
					checkJob(t, pub, tt.job, "72d3162e-cc78-11e3-81ab-4c9367dc0958", start)
				})
			}
			if n == 0 {
				t.Errorf("no corpus file matches %s", tt.files)
			}
		})
	}
	for _, f := range files {
		if !covered[f] {
			t.Errorf("%s: no case says what it should get", f)
		}
	}
}

// repoOf is the payload's repository, or the one most examples use when it
// has none (an organization's ping).
func repoOf(t *testing.T, body []byte) string {
	t.Helper()
	var p struct {
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Repository.FullName == "" {
		return "Codertocat/Hello-World"
	}
	return p.Repository.FullName
}
