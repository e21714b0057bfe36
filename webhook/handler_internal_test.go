package webhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shiftleft/shiftleft/jobs"
)

// checkJob compares the one job pub holds with want, completed with what
// the request adds.
func checkJob(t *testing.T, pub *recorder, want *jobs.Job, deliveryID string, start time.Time) {
	t.Helper()
	got := pub.published()
	if want == nil {
		if len(got) != 0 {
			t.Fatalf("published %d jobs, want none: %+v", len(got), got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("published %d jobs, want 1", len(got))
	}
	j := got[0]
	if j.CreatedAt.Before(start) || j.CreatedAt.After(time.Now()) || j.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt %v, want a UTC time since %v", j.CreatedAt, start)
	}
	w := *want
	w.Version, w.Status, w.DeliveryID, w.CreatedAt, w.Source = jobs.Version, jobs.StatusQueued, deliveryID, j.CreatedAt, jobs.SourceWebhook
	if diff := cmp.Diff(w, j, cmpopts.IgnoreUnexported(jobs.Job{})); diff != "" {
		t.Errorf("job (-want +got):\n%s", diff)
	}
}

func TestReceive(t *testing.T) {
	deploy := &jobs.Job{Kind: jobs.KindDeploy, Repo: testRepo, CloneURL: testClone,
		Ref: "refs/heads/main", Before: shaBase, After: shaHead}
	plan := &jobs.Job{Kind: jobs.KindPlan, Repo: testRepo, CloneURL: testClone,
		Ref: "feature", Before: shaBase, After: shaHead, PullRequest: 7}
	with := func(j *jobs.Job, edit func(*jobs.Job)) *jobs.Job {
		c := *j
		edit(&c)
		return &c
	}
	// GitHub's form encoding: the JSON in a "payload" field, signed as sent.
	formBody := func(body string) func(*http.Request) {
		return func(r *http.Request) {
			*r = *delivery("push", "d-1", []byte(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	form := formBody(url.Values{"payload": {string(pushBody(testRepo, "refs/heads/main", shaHead))}}.Encode())

	tests := []struct {
		name    string
		event   string
		body    []byte
		cfg     func(*Config)
		tweak   func(*http.Request)
		pubErr  error
		code    int
		status  string
		reason  string // contained in the answer's reason
		job     *jobs.Job
		jobID   string
		headers map[string]string
	}{
		{name: "push to the deploy branch", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			code: 202, status: "queued", job: deploy, jobID: "job-1"},
		{name: "deploy branch created", event: "push", body: mustJSON(map[string]any{
			"ref": "refs/heads/main", "before": zeroSHA, "after": shaHead, "created": true, "repository": repository(testRepo)}),
			code: 202, status: "queued", job: with(deploy, func(j *jobs.Job) { j.Before = zeroSHA }), jobID: "job-1"},
		{name: "another deploy branch", event: "push", body: pushBody(testRepo, "refs/heads/prod", shaHead),
			cfg:  func(c *Config) { c.DeployBranch = "prod" },
			code: 202, status: "queued", job: with(deploy, func(j *jobs.Job) { j.Ref = "refs/heads/prod" }), jobID: "job-1"},
		{name: "form-encoded delivery", tweak: form,
			code: 202, status: "queued", job: deploy, jobID: "job-1"},
		{name: "allow-list ignores case", event: "push", body: pushBody("Octo-Org/Flink-Pipelines", "refs/heads/main", shaHead),
			code: 202, status: "queued", jobID: "job-1", job: with(deploy, func(j *jobs.Job) {
				j.Repo, j.CloneURL = "Octo-Org/Flink-Pipelines", "https://github.com/Octo-Org/Flink-Pipelines.git"
			})},
		{name: "clone URL override", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			cfg:  func(c *Config) { c.CloneURLs = map[string]string{"OCTO-ORG/flink-pipelines": "/srv/git/pipelines"} },
			code: 202, status: "queued", job: with(deploy, func(j *jobs.Job) { j.CloneURL = "/srv/git/pipelines" }), jobID: "job-1"},
		{name: "clone URL override with credentials", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			cfg: func(c *Config) {
				c.CloneURLs = map[string]string{testRepo: "https://deploy-bot:ghp_tok3n@git.example.com/octo/pipelines.git"}
			},
			code: 202, status: "queued", job: with(deploy, func(j *jobs.Job) { j.CloneURL = "https://git.example.com/octo/pipelines.git" }), jobID: "job-1"},
		{name: "event clone URL with credentials", event: "push", body: mustJSON(map[string]any{"ref": "refs/heads/main", "before": shaBase, "after": shaHead,
			"repository": map[string]any{"full_name": testRepo, "clone_url": "https://ghp_tok3n@github.com/" + testRepo + ".git"}}),
			code: 202, status: "queued", job: deploy, jobID: "job-1"},
		{name: "event clone URL that does not parse", event: "push", body: mustJSON(map[string]any{"ref": "refs/heads/main", "before": shaBase, "after": shaHead,
			"repository": map[string]any{"full_name": testRepo, "clone_url": "https://ghp_tok3n%zz@github.com/" + testRepo + ".git"}}),
			code: 400, status: "error", reason: "repository.clone_url does not parse"},
		{name: "push to another branch", event: "push", body: pushBody(testRepo, "refs/heads/feature", shaHead),
			code: 202, status: "ignored", reason: "push to refs/heads/feature, not to the deploy branch main"},
		{name: "tag", event: "push", body: pushBody(testRepo, "refs/tags/v1.0.0", shaHead),
			code: 202, status: "ignored", reason: "tag refs/tags/v1.0.0 is not deployed"},
		{name: "deploy branch deleted", event: "push", body: pushBody(testRepo, "refs/heads/main", zeroSHA),
			code: 202, status: "ignored", reason: "refs/heads/main was deleted"},
		{name: "pull request opened", event: "pull_request", body: prBody("opened", testRepo, testRepo),
			code: 202, status: "queued", job: plan, jobID: "job-1"},
		{name: "pull request synchronized", event: "pull_request", body: prBody("synchronize", testRepo, testRepo),
			code: 202, status: "queued", job: plan, jobID: "job-1"},
		{name: "pull request reopened", event: "pull_request", body: prBody("reopened", testRepo, testRepo),
			code: 202, status: "queued", job: plan, jobID: "job-1"},
		{name: "pull request from a fork plans from the base repository", event: "pull_request",
			body: prBody("opened", testRepo, "someone/flink-pipelines"),
			code: 202, status: "queued", job: plan, jobID: "job-1"},
		{name: "pull request closed", event: "pull_request", body: prBody("closed", testRepo, testRepo),
			code: 202, status: "ignored", reason: `pull request action "closed" is not planned`},
		{name: "event not handled", event: "issues", body: []byte(`{"action":"opened"}`),
			code: 202, status: "ignored", reason: `event "issues" is not handled`},
		{name: "ping from anywhere", event: "ping", body: []byte(`{"zen":"Design for failure.","hook_id":1,"repository":{"full_name":"x/y"}}`),
			code: 200, status: "pong"},

		{name: "push from a repository not allowed", event: "push", body: pushBody("mallory/pipelines", "refs/heads/main", shaHead),
			code: 403, status: "refused", reason: "repository mallory/pipelines is not allowed"},
		{name: "ignorable push from a repository not allowed", event: "push", body: pushBody("mallory/pipelines", "refs/tags/v1", shaHead),
			code: 403, status: "refused", reason: "repository mallory/pipelines is not allowed"},
		{name: "pull request on a repository not allowed", event: "pull_request", body: prBody("opened", "mallory/pipelines", testRepo),
			code: 403, status: "refused", reason: "repository mallory/pipelines is not allowed"},

		{name: "malformed push", event: "push", body: []byte(`{"ref": "refs/heads/main",`),
			code: 400, status: "error", reason: "malformed push payload"},
		{name: "malformed unhandled event", event: "issues", body: []byte(`{"action"`),
			code: 400, status: "error", reason: "malformed JSON payload"},
		{name: "wrong JSON type", event: "push", body: []byte(`{"ref": 5}`),
			code: 400, status: "error", reason: "malformed push payload"},
		{name: "null push", event: "push", body: []byte(`null`),
			code: 400, status: "error", reason: "empty push payload"},
		{name: "null ping", event: "ping", body: []byte(`null`),
			code: 400, status: "error", reason: "empty ping payload"},
		{name: "push without repository", event: "push", body: []byte(`{"ref": "refs/heads/main"}`),
			code: 400, status: "error", reason: "repository.full_name is missing"},
		{name: "push without after", event: "push", body: mustJSON(map[string]any{"ref": "refs/heads/main", "repository": repository(testRepo)}),
			code: 400, status: "error", reason: "after is missing"},
		{name: "push without before", event: "push", body: mustJSON(map[string]any{"ref": "refs/heads/main", "after": shaHead,
			"repository": repository(testRepo)}), code: 400, status: "error", reason: "before is missing"},
		{name: "after that is not a SHA", event: "push", body: pushBody(testRepo, "refs/heads/main", "main~1"),
			code: 400, status: "error", reason: `after "main~1" is not a commit SHA (40 hexadecimal digits)`},
		{name: "after one digit short", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead[:39]),
			code: 400, status: "error", reason: "is not a commit SHA"},
		{name: "after with a non-hex digit", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead[:39]+"g"),
			code: 400, status: "error", reason: "is not a commit SHA"},
		{name: "before that is not a SHA, on a branch not deployed", event: "push", body: mustJSON(map[string]any{
			"ref": "refs/heads/feature", "before": "HEAD", "after": shaHead, "repository": repository(testRepo)}),
			code: 400, status: "error", reason: `before "HEAD" is not a commit SHA`},
		{name: "upper-case SHAs are read as git writes them", event: "push", body: pushBody(testRepo, "refs/heads/main", strings.ToUpper(shaHead)),
			code: 202, status: "queued", job: deploy, jobID: "job-1"},
		{name: "pull request head that is not a SHA", event: "pull_request", body: mustJSON(map[string]any{
			"action": "opened", "number": 7, "repository": repository(testRepo),
			"pull_request": map[string]any{"base": map[string]any{"ref": "main", "sha": shaBase}, "head": map[string]any{"ref": "feature", "sha": "feature"}}}),
			code: 400, status: "error", reason: `pull_request.head.sha "feature" is not a commit SHA`},
		{name: "form-encoded delivery without payload", tweak: formBody(url.Values{"data": {"{}"}}.Encode()),
			code: 400, status: "error", reason: `form-encoded delivery without a "payload" field`},
		{name: "form-encoded delivery with an empty payload", tweak: formBody("payload="),
			code: 400, status: "error", reason: `form-encoded delivery without a "payload" field`},
		{name: "malformed form-encoded body", tweak: formBody("payload=%zz"),
			code: 400, status: "error", reason: "malformed form-encoded body"},
		{name: "pull request without head", event: "pull_request", body: mustJSON(map[string]any{
			"action": "opened", "number": 7, "repository": repository(testRepo),
			"pull_request": map[string]any{"base": map[string]any{"sha": shaBase}}}),
			code: 400, status: "error", reason: "pull_request.head.sha is missing"},
		{name: "no delivery ID", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			tweak: func(r *http.Request) { r.Header.Del("X-GitHub-Delivery") },
			code:  400, status: "error", reason: "missing X-GitHub-Delivery header"},
		{name: "no event", event: "", body: pushBody(testRepo, "refs/heads/main", shaHead),
			code: 400, status: "error", reason: "missing X-GitHub-Event header"},
		{name: "not JSON", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			tweak: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") },
			code:  415, status: "error", reason: `unsupported Content-Type "text/plain"`},
		{name: "body over the limit", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			cfg:  func(c *Config) { c.MaxBodyBytes = 100 },
			code: 413, status: "error", reason: "body larger than 100 bytes"},
		{name: "queue down", event: "push", body: pushBody(testRepo, "refs/heads/main", shaHead),
			pubErr: errors.New("nats: no responders available for request"),
			code:   503, status: "error", reason: "could not be queued", headers: map[string]string{"Retry-After": "30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			pub := &recorder{err: tt.pubErr}
			h := newHandler(t, cfg, pub)
			r := delivery(tt.event, "d-1", tt.body)
			if tt.tweak != nil {
				tt.tweak(r)
			}
			start := time.Now()
			got := serve(t, h, r)
			if got.code != tt.code || got.body.Status != tt.status || !strings.Contains(got.body.Reason, tt.reason) || got.body.JobID != tt.jobID {
				t.Errorf("answer %d %+v, want %d %q job %q reason containing %q", got.code, got.body, tt.code, tt.status, tt.jobID, tt.reason)
			}
			if got.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", got.header.Get("Content-Type"))
			}
			for k, v := range tt.headers {
				if got.header.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, got.header.Get(k), v)
				}
			}
			if tt.pubErr != nil {
				return // the job was handed over but not queued
			}
			checkJob(t, pub, tt.job, "d-1", start)
		})
	}
}

func TestSignature(t *testing.T) {
	body := pushBody(testRepo, "refs/heads/main", shaHead)
	tests := []struct {
		name   string
		tweak  func(*http.Request)
		code   int
		reason string
	}{
		{"valid", func(*http.Request) {}, 202, ""},
		{"missing", func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, 401, "missing X-Hub-Signature-256 header"},
		{"SHA-1 only", func(r *http.Request) {
			r.Header.Del("X-Hub-Signature-256")
			r.Header.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
		}, 401, "missing X-Hub-Signature-256 header"},
		{"other secret", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", sign("guess", body)) }, 401, "signature check failed"},
		{"other body", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", sign(testSecret, append(body, ' '))) }, 401, "signature check failed"},
		{"not hex", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "sha256=zz") }, 401, "signature check failed"},
		{"no algorithm", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "deadbeef") }, 401, "signature check failed"},
		{"unknown algorithm", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "md5=deadbeef") }, 401, "signature check failed"},
		{"truncated", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", sign(testSecret, body)[:40])
		}, 401, "signature check failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recorder{}
			h := newHandler(t, testConfig(), pub)
			r := delivery("push", "d-1", body)
			tt.tweak(r)
			got := serve(t, h, r)
			if got.code != tt.code || got.body.Reason != tt.reason {
				t.Errorf("answer %d %+v, want %d reason %q", got.code, got.body, tt.code, tt.reason)
			}
			if n := len(pub.published()); tt.code == 401 && n != 0 {
				t.Errorf("published %d jobs on a bad signature", n)
			}
		})
	}
}

// TestDuplicate: a delivery GitHub sends again gets the first job's id and
// queues nothing new.
func TestDuplicate(t *testing.T) {
	pub := &recorder{}
	h := newHandler(t, testConfig(), pub)
	body := prBody("synchronize", testRepo, testRepo)
	tests := []struct {
		delivery string
		code     int
		status   string
		jobID    string
	}{
		{"d-1", 202, "queued", "job-1"},
		{"d-1", 200, "duplicate", "job-1"},
		{"d-2", 202, "queued", "job-2"},
		{"d-1", 200, "duplicate", "job-1"},
	}
	for _, tt := range tests {
		got := serve(t, h, delivery("pull_request", tt.delivery, body))
		if got.code != tt.code || got.body.Status != tt.status || got.body.JobID != tt.jobID {
			t.Errorf("delivery %s: %d %+v, want %d %s %s", tt.delivery, got.code, got.body, tt.code, tt.status, tt.jobID)
		}
	}
	if n := len(pub.published()); n != 2 {
		t.Errorf("%d jobs queued, want 2", n)
	}
}

func TestProbes(t *testing.T) {
	notConnected := errors.New("nats: not connected")
	tests := []struct {
		name   string
		opts   []Option
		path   string
		code   int
		status string
		reason string
	}{
		{"healthz", nil, "/healthz", 200, "ok", ""},
		{"healthz while not ready", []Option{WithReadiness(func(ctx context.Context) error { return notConnected })}, "/healthz", 200, "ok", ""},
		{"readyz without a check", nil, "/readyz", 200, "ready", ""},
		{"readyz, check passes", []Option{WithReadiness(func(ctx context.Context) error { return nil })}, "/readyz", 200, "ready", ""},
		{"readyz, check fails", []Option{WithReadiness(func(ctx context.Context) error { return notConnected })}, "/readyz", 503, "unready", "nats: not connected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, testConfig(), &recorder{}, tt.opts...)
			got := serve(t, h, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if got.code != tt.code || got.body.Status != tt.status || got.body.Reason != tt.reason {
				t.Errorf("%d %+v, want %d %s %q", got.code, got.body, tt.code, tt.status, tt.reason)
			}
		})
	}
}

// TestOverHTTP serves the handler on a real listener: routes, methods, and
// a body over the limit cut short by the server.
func TestOverHTTP(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 4 << 10
	srv := httptest.NewServer(newHandler(t, cfg, &recorder{}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte // sent signed, as a push
		code   int
	}{
		{"push", http.MethodPost, "/webhooks/github", pushBody(testRepo, "refs/heads/main", shaHead), 202},
		{"too large", http.MethodPost, "/webhooks/github", pushOf7KB(), 413},
		{"GET on the webhook", http.MethodGet, "/webhooks/github", nil, 405},
		{"unknown path", http.MethodPost, "/events", nil, 404},
		{"metrics", http.MethodGet, "/metrics", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != nil {
				setGitHubHeaders(r, "push", "d-1", sign(testSecret, tt.body))
			}
			resp, err := srv.Client().Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.code)
			}
		})
	}
}
