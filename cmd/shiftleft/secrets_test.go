package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/internal/files"
	"github.com/shiftleft/shiftleft/internal/githttptest"
)

// TestCloneURLCredentialsStayOutOfEverything deploys a push of a private
// repository, served by git's smart HTTP server behind basic auth, whose
// credentials are written in the configured clone URL; an earlier version
// left them in a git mirror of the data directory. The worker fetches with
// them, and they are nowhere: not in the job record the API serves, any
// NATS message (job, records), any file under the data directory (NATS
// store, git mirrors) or any log line.
func TestCloneURLCredentialsStayOutOfEverything(t *testing.T) {
	const user, secret = "deploy-bot", "ghp_privateRepoSecret0123456789"
	bare, sha := gitRepo(t, 4, 11)
	srv := githttptest.Serve(t, bare, user, secret)
	withCred := strings.Replace(srv.URL, "http://", "http://"+user+":"+secret+"@", 1)

	// GitHub takes the commit statuses at once.
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	defer gh.Close()

	a, logs := observed(t)
	cfg := serviceConfig(t, "", "acme/private")
	cfg.Service.CloneURLs = map[string]string{"acme/private": withCred}
	cfg.Service.GitHubAPIURL = gh.URL + "/"
	// What an earlier version left: a mirror whose origin is the URL with
	// its credentials.
	oldMirror := filepath.Join(cfg.Service.DataDir, "git", "old.git")
	must(t, os.MkdirAll(oldMirror, 0o700))
	for _, args := range [][]string{{"init", "-q", "--bare", oldMirror}, {"-C", oldMirror, "remote", "add", "origin", withCred}} {
		_, err := (&demoGit{work: cfg.Service.DataDir}).run(args...)
		must(t, err)
	}

	ctx := context.Background()
	svc, err := a.start(ctx, cfg, startParts{http: true, work: true})
	must(t, err)
	defer svc.stop(ctx)
	var (
		mu   sync.Mutex
		msgs []string
	)
	sub, err := svc.nc.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		msgs = append(msgs, m.Subject+" "+string(m.Data))
		mu.Unlock()
	})
	must(t, err)
	defer sub.Unsubscribe()
	must(t, svc.nc.Flush())

	j := deployPush(t, svc, "acme/private", sha, "push-private")
	if j.CloneURL != srv.URL {
		t.Errorf("job clone URL %q, want %q", j.CloneURL, srv.URL)
	}
	fetched := 0
	for _, r := range srv.Requests() {
		if r.Authorized {
			fetched++
		}
	}
	if fetched == 0 {
		t.Errorf("the git server got no authorized request: %+v", srv.Requests())
	}

	// Each place must also hold the clean URL: the check looks where the
	// job is.
	places := map[string]string{}
	req, err := http.NewRequest(http.MethodGet, svc.URL+"/api/jobs/"+j.ID, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+testOpsToken)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	record, _ := io.ReadAll(res.Body)
	res.Body.Close()
	places["GET /api/jobs/{id}"] = string(record)
	must(t, svc.nc.Flush())
	mu.Lock()
	places["NATS messages"] = strings.Join(msgs, "\n")
	mu.Unlock()
	svc.stop(ctx) // the NATS store on disk, complete
	leaks, err := files.Containing(cfg.Service.DataDir, secret)
	must(t, err)
	for _, p := range leaks {
		t.Errorf("%s holds the secret", p)
	}
	if holders, err := files.Containing(cfg.Service.DataDir, srv.URL); err != nil || len(holders) == 0 {
		t.Errorf("no file of the data directory holds the clean URL %s (%v)", srv.URL, err)
	}
	for where, text := range places {
		if strings.Contains(text, secret) {
			t.Errorf("%s holds the secret", where)
		}
		if !strings.Contains(text, srv.URL) {
			t.Errorf("%s does not hold the clean URL %s", where, srv.URL)
		}
	}
	if _, err := os.Stat(oldMirror); !os.IsNotExist(err) {
		t.Errorf("the old mirror is still at %s (%v)", oldMirror, err)
	}
	noSecretIn(t, logs, secret)
}

// TestEveryServiceCommandTakesCloneURLs: a worker process alone needs the
// clone URLs too, to find the credentials of a repository.
func TestEveryServiceCommandTakesCloneURLs(t *testing.T) {
	for _, parts := range []startParts{{http: true, work: true}, {http: true}, {work: true}} {
		var f serviceFlags
		cmd := &cobra.Command{Use: "test"}
		f.register(cmd, parts.http, parts.work)
		if err := cmd.ParseFlags([]string{"--clone-url", "acme/private=https://bot:tok@git.example.com/private.git"}); err != nil {
			t.Fatalf("%+v: %v", parts, err)
		}
		cfg, err := (&app{getenv: func(string) string { return "" }}).settings(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Service.CloneURLs["acme/private"]; got != "https://bot:tok@git.example.com/private.git" {
			t.Errorf("%+v: clone URL %q", parts, got)
		}
	}
}
