package worker_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// github is a local server speaking the GitHub REST wire format for what
// shiftleft uses: commit statuses, issue comments and a pull request's head.
// It records what it got.
type github struct {
	*httptest.Server
	mu       sync.Mutex
	statuses map[string][]map[string]any // by sha
	comments map[int]map[int64]string    // by pull request, by id
	heads    map[int]string              // by pull request
	next     int64
	edits    int
}

func newGitHub(t *testing.T) *github {
	g := &github{statuses: map[string][]map[string]any{}, comments: map[int]map[int64]string{}, heads: map[int]string{}, next: 100}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		g.mu.Lock()
		head, ok := g.heads[n]
		g.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"number": n, "state": "open", "head": map[string]any{"sha": head}})
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.statuses[r.PathValue("sha")] = append(g.statuses[r.PathValue("sha")], body)
		g.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": 1, "state": body["state"], "context": body["context"]})
	})
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		g.mu.Lock()
		var out []map[string]any
		for id, body := range g.comments[n] {
			out = append(out, map[string]any{"id": id, "body": body})
		}
		g.mu.Unlock()
		if out == nil {
			out = []map[string]any{}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		var body struct{ Body string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.next++
		id := g.next
		if g.comments[n] == nil {
			g.comments[n] = map[int64]string{}
		}
		g.comments[n][id] = body.Body
		g.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "body": body.Body})
	})
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var body struct{ Body string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, cs := range g.comments {
			if _, ok := cs[id]; ok {
				cs[id] = body.Body
				g.edits++
				_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "body": body.Body})
				return
			}
		}
		http.Error(w, fmt.Sprintf(`{"message":"Not Found %d"}`, id), http.StatusNotFound)
	})
	g.Server = httptest.NewServer(mux)
	t.Cleanup(g.Close)
	return g
}

// push moves a pull request's head, as a push to its branch does.
func (g *github) push(n int, sha string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.heads[n] = sha
}

// lastState is the state of the last status posted for sha.
func (g *github) lastState(sha string) string {
	s := g.states(sha)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// states are the states of the statuses posted for sha, in order.
func (g *github) states(sha string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, s := range g.statuses[sha] {
		state, _ := s["state"].(string)
		out = append(out, state)
	}
	return out
}

// status is the state and description of the last status posted for sha
// in a context.
func (g *github) status(sha, context string) (state, description string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.statuses[sha] {
		if s["context"] == context {
			state, _ = s["state"].(string)
			description, _ = s["description"].(string)
		}
	}
	return state, description
}

// pullComments returns the comments of a pull request and how many edits
// were made.
func (g *github) pullComments(n int) (map[int64]string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int64]string{}
	for id, b := range g.comments[n] {
		out[id] = b
	}
	return out, g.edits
}
