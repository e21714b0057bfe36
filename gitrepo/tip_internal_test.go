package gitrepo

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// TestTip: the branch's commit as the repository has it now, moved
// forward, moved back by a force push, or missing.
func TestTip(t *testing.T) {
	src := newSource(t)
	first := src.commit(map[string]string{"README.md": "hello\n"})
	second := src.commit(map[string]string{"README.md": "hello again\n"})
	c, _ := newTestCache(t)
	// A mirror fetched once is not asked: Tip answers for the repository.
	if _, err := c.Fetch(context.Background(), src.dir, first); err != nil {
		t.Fatal(err)
	}
	empty := newSource(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		url     string
		branch  string
		setup   func()
		ctx     context.Context
		want    *string // read once setup ran
		wantErr error
	}{
		{name: "tip", url: src.dir, branch: "master", want: &second},
		{name: "file URL", url: fileURL(src.dir), branch: "master", want: &second},
		{name: "moved on", url: src.dir, branch: "master", setup: func() {
			second = src.commit(map[string]string{"README.md": "and again\n"})
		}, want: &second},
		{name: "force-pushed back", url: src.dir, branch: "master", setup: func() {
			ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName("master"), plumbing.NewHash(first))
			if err := src.git.Storer.SetReference(ref); err != nil {
				t.Fatal(err)
			}
		}, want: &first},
		{name: "no such branch", url: src.dir, branch: "main", wantErr: ErrBranchNotFound},
		{name: "empty repository", url: empty.dir, branch: "master", wantErr: ErrBranchNotFound},
		{name: "no repository", url: filepath.Join(t.TempDir(), "missing"), branch: "master", wantErr: transport.ErrRepositoryNotFound},
		{name: "canceled", url: src.dir, branch: "master", ctx: canceled, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			got, err := c.Tip(ctx, tt.url, tt.branch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Tip: %v, want %v", err, tt.wantErr)
			}
			want := ""
			if tt.want != nil {
				want = *tt.want
			}
			if got != want {
				t.Errorf("Tip = %q, want %q", got, want)
			}
		})
	}
}
