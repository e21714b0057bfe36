package gitrepo

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"go.uber.org/zap"
)

func TestNewCache(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		opts    []Option
		wantErr error
	}{
		{name: "defaults", dir: t.TempDir()},
		{name: "every option", dir: t.TempDir(), opts: []Option{WithLogger(zap.NewNop()), WithToken("t"), WithTimeout(time.Second),
			WithCredentials("https://u:p@host/r.git", "/srv/git/r.git", "https://host/clean.git")}},
		{name: "the same credentials twice", dir: t.TempDir(), opts: []Option{WithCredentials("https://u:p@host/r.git", "https://u:p@host/r.git")}},
		{name: "created", dir: filepath.Join(t.TempDir(), "a", "b")},
		{name: "no directory", wantErr: ErrInvalidOption},
		{name: "nil logger", dir: t.TempDir(), opts: []Option{WithLogger(nil)}, wantErr: ErrInvalidOption},
		{name: "empty token", dir: t.TempDir(), opts: []Option{WithToken("")}, wantErr: ErrInvalidOption},
		{name: "zero timeout", dir: t.TempDir(), opts: []Option{WithTimeout(0)}, wantErr: ErrInvalidOption},
		{name: "unparsable credentials URL", dir: t.TempDir(), opts: []Option{WithCredentials("https://u:p%zz@host/r.git")}, wantErr: ErrInvalidOption},
		{name: "two sets of credentials for one URL", dir: t.TempDir(),
			opts: []Option{WithCredentials("https://u:p@host/r.git"), WithCredentials("https://u:q@host/r.git")}, wantErr: ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCache(tt.dir, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewCache: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestFetch(t *testing.T) {
	src := newSource(t)
	first := src.commit(map[string]string{"README.md": "hello\n"})
	second := src.commit(map[string]string{"README.md": "hello again\n"})
	pull := src.pullHead("7", second, map[string]string{"README.md": "from a fork\n"})
	unknown := strings.Repeat("ab", 20)

	tests := []struct {
		name    string
		url     string
		shas    []string
		opts    []Option
		ctx     func() context.Context
		wantErr error
	}{
		{name: "local path", url: src.dir, shas: []string{first, second}},
		{name: "file URL", url: fileURL(src.dir), shas: []string{second}},
		{name: "pull request head", url: src.dir, shas: []string{pull}},
		{name: "upper case SHA", url: src.dir, shas: []string{strings.ToUpper(first)}},
		{name: "new branch: zero SHA skipped", url: src.dir, shas: []string{zeroSHA, second}},
		{name: "no SHA", url: src.dir},
		{name: "unknown commit", url: src.dir, shas: []string{first, unknown}, wantErr: ErrCommitNotFound},
		{name: "short SHA", url: src.dir, shas: []string{first[:7]}, wantErr: ErrInvalidSHA},
		{name: "not hex", url: src.dir, shas: []string{strings.Repeat("g", 40)}, wantErr: ErrInvalidSHA},
		{name: "no repository", url: filepath.Join(t.TempDir(), "missing"), shas: []string{first}, wantErr: transport.ErrRepositoryNotFound},
		{name: "unparsable URL", url: "https://u:p%zz@host/r.git", shas: []string{first}, wantErr: ErrInvalidURL},
		{name: "canceled", url: src.dir, shas: []string{first}, ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, wantErr: context.Canceled},
		{name: "timeout", url: src.dir, shas: []string{first}, opts: []Option{WithTimeout(time.Nanosecond)}, wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestCache(t, tt.opts...)
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx()
			}
			r, err := c.Fetch(ctx, tt.url, tt.shas...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fetch: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			for _, sha := range tt.shas {
				if h, _ := parseSHA(sha); !h.IsZero() && r.check([]plumbing.Hash{h}) != nil {
					t.Errorf("commit %s missing after Fetch", sha)
				}
			}
		})
	}
}

func TestCommitNotFoundNamesRepoAndSHA(t *testing.T) {
	src := newSource(t)
	src.commit(map[string]string{"a": "a"})
	unknown := strings.Repeat("ab", 20)
	c, _ := newTestCache(t)
	url := fileURL(src.dir)
	_, err := c.Fetch(context.Background(), url, unknown)
	var nf *CommitNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Fetch: %v, want a *CommitNotFoundError", err)
	}
	if nf.SHA != unknown || nf.URL != url {
		t.Errorf("error names %s in %s, want %s in %s", nf.SHA, nf.URL, unknown, url)
	}
	if msg := err.Error(); !strings.Contains(msg, unknown) || !strings.Contains(msg, url) {
		t.Errorf("message %q does not name the commit and the repository", msg)
	}
}

// TestFetchOnlyWhenMissing runs Fetch after each step and counts the
// fetches the mirror made so far.
func TestFetchOnlyWhenMissing(t *testing.T) {
	src := newSource(t)
	first := src.commit(map[string]string{"a.sql": "1"})
	var later, pull string
	c, logs := newTestCache(t)

	steps := []struct {
		name        string
		change      func()
		shas        func() []string
		wantFetches int
	}{
		{name: "clone", shas: func() []string { return []string{first} }, wantFetches: 1},
		{name: "present", shas: func() []string { return []string{first} }, wantFetches: 1},
		{name: "present, source moved on", change: func() { later = src.commit(map[string]string{"a.sql": "2"}) },
			shas: func() []string { return []string{first} }, wantFetches: 1},
		{name: "added later", shas: func() []string { return []string{first, later} }, wantFetches: 2},
		{name: "both present", shas: func() []string { return []string{later, first} }, wantFetches: 2},
		{name: "pull request head", change: func() { pull = src.pullHead("1", later, map[string]string{"b.sql": "3"}) },
			shas: func() []string { return []string{pull} }, wantFetches: 3},
		{name: "no SHA always fetches", shas: func() []string { return nil }, wantFetches: 4},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		if _, err := c.Fetch(context.Background(), src.dir, st.shas()...); err != nil {
			t.Fatalf("%s: Fetch: %v", st.name, err)
		}
		if got := count(logs, "git fetch"); got != st.wantFetches {
			t.Errorf("%s: %d fetches, want %d", st.name, got, st.wantFetches)
		}
	}
	if got := count(logs, "git mirror created"); got != 1 {
		t.Errorf("mirror created %d times, want once", got)
	}
}

func TestFetchConcurrentClonesOnce(t *testing.T) {
	src := newSource(t)
	sha := src.commit(map[string]string{"a.sql": "1"})
	c, logs := newTestCache(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.Fetch(context.Background(), fileURL(src.dir), sha)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if created, fetched := count(logs, "git mirror created"), count(logs, "git fetch"); created != 1 || fetched != 1 {
		t.Errorf("mirror created %d times and fetched %d times, want once each", created, fetched)
	}
}

func TestAuth(t *testing.T) {
	const token = "ghs_0123456789abcdef"
	github := &githttp.BasicAuth{Username: "x-access-token", Password: token}
	configured := []string{
		"https://bot:pw1@git.example.com/o/r.git",
		"http://bot:pw2@127.0.0.1:8080/r.git",
		"https://tok3@git.example.com/o/t.git",
		"ssh://deploy:pw4@git.example.com/o/r.git",
		"file://bot:pw5@/srv/git/r.git",
		"https://github.com/o/clean.git",
	}
	tests := []struct {
		name  string
		token bool
		url   string
		want  transport.AuthMethod // nil: none
	}{
		{name: "https", token: true, url: "https://github.com/o/r.git", want: github},
		{name: "HTTPS", token: true, url: "HTTPS://github.com/o/r.git", want: github},
		{name: "no token", url: "https://github.com/o/r.git"},
		{name: "http: never in clear text", token: true, url: "http://github.com/o/r.git"},
		{name: "local path", token: true, url: "/srv/git/r.git"},
		{name: "file URL", token: true, url: "file:///srv/git/r.git"},
		{name: "configured, over https", token: true, url: "https://git.example.com/o/r.git",
			want: &githttp.BasicAuth{Username: "bot", Password: "pw1"}},
		{name: "configured, over http as the URL says", url: "http://127.0.0.1:8080/r.git",
			want: &githttp.BasicAuth{Username: "bot", Password: "pw2"}},
		{name: "configured token as the user", url: "https://git.example.com/o/t.git", want: &githttp.BasicAuth{Username: "tok3"}},
		{name: "configured, over ssh", url: "ssh://deploy@git.example.com/o/r.git",
			want: &gitssh.Password{User: "deploy", Password: "pw4"}},
		{name: "configured, file URL takes none", url: "file:///srv/git/r.git"},
		{name: "configured without credentials: the token", token: true, url: "https://github.com/o/clean.git", want: github},
		{name: "another path of a configured host", url: "https://git.example.com/o/other.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{WithCredentials(configured...)}
			if tt.token {
				opts = append(opts, WithToken(token))
			}
			c, _ := newTestCache(t, opts...)
			if got := c.auth(tt.url); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("auth %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestTokenNeverLogged fetches over https from a port where nothing
// listens, and looks for the token in the error and the log.
func TestTokenNeverLogged(t *testing.T) {
	const token = "ghs_0123456789abcdef"
	tests := []struct{ name, url string }{
		{name: "token option", url: "https://127.0.0.1:1/o/r.git"},
		{name: "password in the URL too", url: "https://x-access-token:" + token + "@127.0.0.1:1/o/r.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, logs := newTestCache(t, WithToken(token))
			_, err := c.Fetch(context.Background(), tt.url, strings.Repeat("ab", 20))
			if err == nil {
				t.Fatal("Fetch from a closed port succeeded")
			}
			for what, text := range map[string]string{"error": err.Error(), "log": logged(logs)} {
				if strings.Contains(text, token) {
					t.Errorf("the %s holds the token: %s", what, text)
				}
			}
		})
	}
}
