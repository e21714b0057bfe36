package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/shiftleft/shiftleft/jobs"
)

const (
	testSecret = "It's a Secret to Everybody"
	testRepo   = "octo-org/flink-pipelines"
	testClone  = "https://github.com/octo-org/flink-pipelines.git"
	shaBase    = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
	shaHead    = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
)

// recorder is a hand-written Publisher: it keeps the jobs it is given,
// answers a delivery it has seen as a duplicate of the first job, as the
// JetStream publisher does, and fails every call while err is set.
type recorder struct {
	mu    sync.Mutex
	jobs  []jobs.Job
	byDel map[string]string // delivery ID → job ID
	err   error
}

func (p *recorder) Publish(_ context.Context, j *jobs.Job) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return "", false, p.err
	}
	if id, ok := p.byDel[j.DeliveryID]; ok {
		return id, true, nil
	}
	if p.byDel == nil {
		p.byDel = map[string]string{}
	}
	id := fmt.Sprintf("job-%d", len(p.jobs)+1)
	p.byDel[j.DeliveryID] = id
	p.jobs = append(p.jobs, *j)
	return id, false, nil
}

func (p *recorder) published() []jobs.Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]jobs.Job(nil), p.jobs...)
}

// testConfig allows testRepo and deploys main.
func testConfig() Config {
	return Config{Secret: testSecret, Repos: []string{testRepo}}
}

func newHandler(t testing.TB, cfg Config, pub Publisher, opts ...Option) *Handler {
	t.Helper()
	h, err := New(cfg, pub, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return h
}

// sign computes X-Hub-Signature-256 as GitHub does.
func sign(secret string, body []byte) string { return Sign(secret, body) }

// delivery is a signed webhook request as GitHub sends it.
func delivery(event, id string, body []byte) *http.Request {
	return request(event, id, body, sign(testSecret, body))
}

// request is a webhook request with the given signature.
func request(event, id string, body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/github", bytes.NewReader(body))
	setGitHubHeaders(r, event, id, signature)
	return r
}

func setGitHubHeaders(r *http.Request, event, id, signature string) {
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", id)
	r.Header.Set("X-Hub-Signature-256", signature)
}

// answer is a handler's answer, its JSON body decoded.
type answer struct {
	code   int
	header http.Header
	body   response
}

func serve(t testing.TB, h http.Handler, r *http.Request) answer {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	a := answer{code: w.Code, header: w.Header()}
	if err := json.Unmarshal(w.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("%s %s: answer %d is not JSON: %v: %q", r.Method, r.URL.Path, w.Code, err, w.Body.String())
	}
	return a
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func repository(fullName string) map[string]any {
	return map[string]any{"full_name": fullName, "clone_url": "https://github.com/" + fullName + ".git"}
}

// pushBody is the part of a push payload the parser reads.
func pushBody(repo, ref, after string) []byte {
	return mustJSON(map[string]any{
		"ref":        ref,
		"before":     shaBase,
		"after":      after,
		"deleted":    after == zeroSHA,
		"repository": repository(repo),
	})
}

// prBody is pull request 7 of repo, from branch feature of headRepo.
func prBody(action, repo, headRepo string) []byte {
	return mustJSON(map[string]any{
		"action": action,
		"number": 7,
		"pull_request": map[string]any{
			"number": 7,
			"base":   map[string]any{"ref": "main", "sha": shaBase, "repo": repository(repo)},
			"head":   map[string]any{"ref": "feature", "sha": shaHead, "repo": repository(headRepo)},
		},
		"repository": repository(repo),
	})
}
