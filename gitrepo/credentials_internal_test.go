package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/internal/files"
	"github.com/shiftleft/shiftleft/internal/githttptest"
)

const (
	botUser   = "deploy-bot"
	botSecret = "s3cret-0123456789abcdef"
)

// private is a source served by git's smart HTTP server behind basic auth.
type private struct {
	src      *source
	server   *githttptest.Server
	sha      string
	url      string // no credentials
	withCred string // the same URL with the bot's credentials
}

func newPrivate(t *testing.T) *private {
	t.Helper()
	src := newSource(t)
	sha := src.commit(map[string]string{"pipelines/a/sql-scripts/ddl.a.sql": "CREATE TABLE a (id STRING);\n"})
	srv := githttptest.Serve(t, filepath.Join(src.dir, ".git"), botUser, botSecret)
	return &private{src: src, server: srv, sha: sha, url: srv.URL,
		withCred: strings.Replace(srv.URL, "http://", "http://"+botUser+":"+botSecret+"@", 1)}
}

// cacheIn is a cache of dir, with the log it writes.
func cacheIn(t *testing.T, dir string, opts ...Option) (*Cache, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	c, err := NewCache(dir, append([]Option{WithLogger(zap.New(core))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

// noSecretUnder fails when any file under dir holds the bot's secret,
// and when none holds want (the clean URL, in a mirror's config): the
// files looked at are those git wrote.
func noSecretUnder(t *testing.T, dir, want string) {
	t.Helper()
	leaks, err := files.Containing(dir, botSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range leaks {
		t.Errorf("%s holds the secret", p)
	}
	if want == "" {
		return
	}
	if holders, err := files.Containing(dir, want); err != nil || len(holders) == 0 {
		t.Errorf("no file under %s holds %q (%v)", dir, want, err)
	}
}

// TestFetchPrivateRepositoryOverHTTP fetches from a server that wants basic
// auth: the credentials come from WithCredentials only, and the secret is
// in no error, log line or file of the cache.
func TestFetchPrivateRepositoryOverHTTP(t *testing.T) {
	p := newPrivate(t)
	tests := []struct {
		name    string
		opts    []Option
		url     func(*private) string
		wantErr error
	}{
		{name: "configured credentials, the clean URL",
			opts: []Option{WithCredentials(p.withCred)}, url: func(p *private) string { return p.url }},
		{name: "configured credentials, a job that still carries them",
			opts: []Option{WithCredentials(p.withCred)}, url: func(p *private) string { return p.withCred }},
		{name: "credentials configured and a GitHub token: the configured ones",
			opts: []Option{WithCredentials(p.withCred), WithToken("ghs_unused")}, url: func(p *private) string { return p.url }},
		{name: "the URL's own credentials are never used",
			url: func(p *private) string { return p.withCred }, wantErr: transport.ErrAuthenticationRequired},
		{name: "wrong credentials configured",
			opts: []Option{WithCredentials(strings.Replace(p.withCred, botSecret, "wrong", 1))},
			url:  func(p *private) string { return p.url }, wantErr: transport.ErrAuthenticationRequired},
		{name: "credentials of another repository",
			opts: []Option{WithCredentials(p.withCred + "-other")},
			url:  func(p *private) string { return p.url }, wantErr: transport.ErrAuthenticationRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c, logs := cacheIn(t, dir, tt.opts...)
			r, err := c.Fetch(context.Background(), tt.url(p), p.sha)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fetch: %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), botSecret) {
				t.Errorf("the error holds the secret: %v", err)
			}
			if text := logged(logs); strings.Contains(text, botSecret) {
				t.Errorf("the log holds the secret:\n%s", text)
			}
			if err != nil {
				noSecretUnder(t, dir, "")
				return
			}
			noSecretUnder(t, dir, "url = "+p.url+"\n")
			if _, err := r.Tree(p.sha, "pipelines"); err != nil {
				t.Errorf("the fetched commit: %v", err)
			}
		})
	}
}

// TestNewCacheCleansMirrorsWithCredentials starts a cache on a directory
// where an earlier version kept the clone URL with its credentials: in a
// mirror's config, and in a half-made mirror a crash left.
func TestNewCacheCleansMirrorsWithCredentials(t *testing.T) {
	p := newPrivate(t)
	tests := []struct {
		name string
		// cleanToo: a mirror of the clean URL exists already.
		cleanToo bool
	}{
		{name: "the mirror moves to its clean URL's directory"},
		{name: "the clean URL has a mirror already", cleanToo: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// As the earlier version did: the mirror of the URL as given,
			// fetched with the credentials go-git read from it.
			old := filepath.Join(dir, mirrorName(p.withCred))
			if err := initMirror(old, p.withCred); err != nil {
				t.Fatal(err)
			}
			g, err := git.PlainOpen(old)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Fetch(&git.FetchOptions{RefSpecs: refSpecs}); err != nil {
				t.Fatal(err)
			}
			if err := initMirror(filepath.Join(dir, initPrefix+"123"), p.withCred); err != nil {
				t.Fatal(err)
			}
			if tt.cleanToo {
				if err := initMirror(filepath.Join(dir, mirrorName(p.url)), p.url); err != nil {
					t.Fatal(err)
				}
			}

			c, logs := cacheIn(t, dir, WithCredentials(p.withCred))
			noSecretUnder(t, dir, "url = "+p.url+"\n")
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != mirrorName(p.url) {
				t.Errorf("cache holds %v, want the clean URL's mirror %s alone", entries, mirrorName(p.url))
			}
			if _, err := c.Fetch(context.Background(), p.url, p.sha); err != nil {
				t.Fatal(err)
			}
			// Moved, the old mirror holds the commit: nothing to fetch.
			wantFetches := 0
			if tt.cleanToo {
				wantFetches = 1
			}
			if n := count(logs, "git fetch"); n != wantFetches || count(logs, "git mirror created") != 0 {
				t.Errorf("%d fetches and %d mirrors created after cleaning, want %d and 0", n, count(logs, "git mirror created"), wantFetches)
			}
			if text := logged(logs); strings.Contains(text, botSecret) {
				t.Errorf("the log holds the secret:\n%s", text)
			}
			noSecretUnder(t, dir, "url = "+p.url+"\n")
		})
	}
}
