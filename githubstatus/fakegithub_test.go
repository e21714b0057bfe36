package githubstatus_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/githubstatus"
)

// Routes of GitHub's REST API the client uses, as ServeMux patterns; faults
// are queued per route.
const (
	routeStatus       = "POST /repos/{owner}/{repo}/statuses/{sha}"
	routeListComments = "GET /repos/{owner}/{repo}/issues/{number}/comments"
	routeAddComment   = "POST /repos/{owner}/{repo}/issues/{number}/comments"
	routeEditComment  = "PATCH /repos/{owner}/{repo}/issues/comments/{id}"
	routePullRequest  = "GET /repos/{owner}/{repo}/pulls/{number}"
	routeBranch       = "GET /repos/{owner}/{repo}/branches/{branch}"
)

// request is what the fake received.
type request struct {
	Route, Method, Path, Query, Auth, UserAgent, Body string
}

// fault is a canned answer. With apply, the request is carried out first and
// its answer replaced: an answer lost after GitHub acted. With reset, the
// answer says the quota is spent until reset after it is sent (rounded up
// to GitHub's whole seconds).
type fault struct {
	status int
	header map[string]string
	body   string
	apply  bool
	reset  time.Duration
}

type comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// fakeGitHub speaks GitHub's wire format for statuses and issue comments
// (one pull request's comments, pages with a Link header) and records every
// request.
type fakeGitHub struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []request
	comments []comment
	nextID   int64
	faults   map[string][]fault
	head     string // the pull request's head commit
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{nextID: 1000, faults: map[string][]fault{}}
	mux := http.NewServeMux()
	mux.HandleFunc(routeStatus, f.handle(f.createStatus))
	mux.HandleFunc(routeListComments, f.handle(f.listComments))
	mux.HandleFunc(routeAddComment, f.handle(f.addComment))
	mux.HandleFunc(routeEditComment, f.handle(f.editComment))
	mux.HandleFunc(routePullRequest, f.handle(f.pullRequest))
	mux.HandleFunc(routeBranch, f.handle(f.branch))
	mux.HandleFunc("/", f.handle(func(w http.ResponseWriter, r *http.Request, _ []byte) {
		notFound(w)
	}))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a reporter talking to the fake with token tok.
func (f *fakeGitHub) client(t *testing.T, tok string, log *zap.Logger, p githubstatus.RetryPolicy) githubstatus.Reporter {
	t.Helper()
	r, err := githubstatus.New(githubstatus.WithBaseURL(f.srv.URL+"/"), githubstatus.WithToken(tok),
		githubstatus.WithLogger(log), githubstatus.WithRetryPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// seed adds comments, oldest first.
func (f *fakeGitHub) seed(bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bodies {
		f.nextID++
		f.comments = append(f.comments, comment{ID: f.nextID, Body: b})
	}
}

func (f *fakeGitHub) fail(route string, faults ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[route] = append(f.faults[route], faults...)
}

func (f *fakeGitHub) received() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeGitHub) stored() []comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]comment(nil), f.comments...)
}

// handle records the request and answers a queued fault, if any, instead of
// (or, with apply, after) the route's handler.
func (f *fakeGitHub) handle(h func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, request{
			Route: r.Pattern, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"), Body: string(body),
		})
		var ft *fault
		if q := f.faults[r.Pattern]; len(q) > 0 {
			ft, f.faults[r.Pattern] = &q[0], q[1:]
		}
		f.mu.Unlock()
		if ft == nil {
			h(w, r, body)
			return
		}
		if ft.apply {
			h(httptest.NewRecorder(), r, body)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		for k, v := range ft.header {
			w.Header().Set(k, v)
		}
		if ft.reset > 0 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(ft.reset+time.Second-1).Unix(), 10))
		}
		w.WriteHeader(ft.status)
		io.WriteString(w, ft.body)
	}
}

func (f *fakeGitHub) createStatus(w http.ResponseWriter, r *http.Request, body []byte) {
	var s map[string]any
	if err := json.Unmarshal(body, &s); err != nil {
		unprocessable(w, err)
		return
	}
	s["id"] = 1
	writeJSON(w, http.StatusCreated, s)
}

// listComments pages as GitHub does: per_page (default 30, at most 100),
// page from 1, a Link header with next and last while more remain.
func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request, _ []byte) {
	perPage := queryInt(r, "per_page", 30)
	perPage = min(perPage, 100)
	page := queryInt(r, "page", 1)
	f.mu.Lock()
	all := append([]comment(nil), f.comments...)
	f.mu.Unlock()
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	last := max((len(all)+perPage-1)/perPage, 1)
	if page < last {
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<http://%s%s?per_page=%d&page=%d>; rel="%s"`, r.Host, r.URL.Path, perPage, p, rel)
		}
		w.Header().Set("Link", link(page+1, "next")+", "+link(last, "last"))
	}
	writeJSON(w, http.StatusOK, all[start:end])
}

func (f *fakeGitHub) addComment(w http.ResponseWriter, r *http.Request, body []byte) {
	var c comment
	if err := json.Unmarshal(body, &c); err != nil || c.Body == "" {
		unprocessable(w, err)
		return
	}
	f.mu.Lock()
	f.nextID++
	c.ID = f.nextID
	f.comments = append(f.comments, c)
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (f *fakeGitHub) editComment(w http.ResponseWriter, r *http.Request, body []byte) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var c comment
	if err := json.Unmarshal(body, &c); err != nil || c.Body == "" {
		unprocessable(w, err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.comments {
		if f.comments[i].ID == id {
			f.comments[i].Body = c.Body
			writeJSON(w, http.StatusOK, f.comments[i])
			return
		}
	}
	notFound(w)
}

// pullRequest answers any pull request number with f.head as its head, in
// the shape of GitHub's pull request object (the fields the client reads).
func (f *fakeGitHub) pullRequest(w http.ResponseWriter, r *http.Request, _ []byte) {
	n, _ := strconv.Atoi(r.PathValue("number"))
	f.mu.Lock()
	head := f.head
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"number": n, "state": "open",
		"head": map[string]any{"ref": "feature", "sha": head}, "base": map[string]any{"ref": "main", "sha": "b" + head[1:]}})
}

// branch answers the branch main with f.head as its commit, in the shape
// of GitHub's branch object; any other branch is not found.
func (f *fakeGitHub) branch(w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.PathValue("branch") != "main" {
		notFound(w)
		return
	}
	f.mu.Lock()
	head := f.head
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"name": "main", "protected": false, "commit": map[string]any{"sha": head}})
}

func queryInt(r *http.Request, key string, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get(key)); err == nil && n > 0 {
		return n
	}
	return def
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{
		"message": "Not Found", "documentation_url": "https://docs.github.com/rest",
	})
}

func unprocessable(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": fmt.Sprint("Validation Failed: ", err)})
}
