// Package githttptest serves a git repository over HTTP with git's own
// smart HTTP server (git http-backend, run through net/http/cgi), behind
// basic auth, so that tests fetch a private repository the way a worker
// fetches one from GitHub. It is test support: import it only from
// _test.go files. git must be on PATH, as package gitrepo requires.
package githttptest

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Server serves one repository.
type Server struct {
	// URL is the repository's URL, without credentials.
	URL string

	mu       sync.Mutex
	requests []Request
}

// Request is one request the server got.
type Request struct {
	Method, Path string
	// Authorized: it carried the right user and password.
	Authorized bool
}

// Serve serves the repository whose git directory is gitDir (a bare
// repository, or a worktree's .git) until the test ends. Every request must
// carry basic auth with user and password, else it gets 401 and a
// WWW-Authenticate challenge, as GitHub answers for a private repository.
func Serve(t testing.TB, gitDir, user, password string) *Server {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("githttptest: git http-backend needs git on PATH: %v", err)
	}
	backend := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + filepath.Dir(gitDir),
			"GIT_HTTP_EXPORT_ALL=1",
			// The user's and the machine's git config stay out.
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + t.TempDir(),
		},
	}
	s := &Server{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		authorized := ok && u == user && p == password
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Authorized: authorized})
		s.mu.Unlock()
		if !authorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="githttptest"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/" + filepath.Base(gitDir)
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}
