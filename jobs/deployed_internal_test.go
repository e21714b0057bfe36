package jobs

import (
	"errors"
	"fmt"
	"testing"
)

func TestDeployedCommit(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	// Names whose keys a careless encoding would confuse or reject.
	branches := []struct{ repo, branch string }{
		{"acme/shop", "main"},
		{"acme/shop.v2", "main"},
		{"acme/shop", "v2.main"},
		{"acme/shop", "feature/x.1"},
		{".github/.x", "fix ü"},
		{"acme/shop", "a=2Fb"},
	}
	for i, b := range branches {
		if _, ok, err := q.DeployedCommit(ctx, b.repo, b.branch); ok || err != nil {
			t.Fatalf("DeployedCommit(%s, %s) before any deploy = ok %v, %v", b.repo, b.branch, ok, err)
		}
		if err := q.SetDeployedCommit(ctx, b.repo, b.branch, fmt.Sprintf("sha-%d", i)); err != nil {
			t.Fatalf("SetDeployedCommit(%s, %s): %v", b.repo, b.branch, err)
		}
	}
	if err := q.SetDeployedCommit(ctx, "acme/shop", "main", "sha-new"); err != nil {
		t.Fatal(err)
	}
	for i, b := range branches {
		want := fmt.Sprintf("sha-%d", i)
		if i == 0 {
			want = "sha-new"
		}
		if sha, ok, err := q.DeployedCommit(ctx, b.repo, b.branch); sha != want || !ok || err != nil {
			t.Errorf("DeployedCommit(%s, %s) = %q, %v, %v; want %s", b.repo, b.branch, sha, ok, err, want)
		}
	}

	tests := []struct {
		name string
		call func() error
	}{
		{"get without repo", func() error { _, _, err := q.DeployedCommit(ctx, "", "main"); return err }},
		{"get without branch", func() error { _, _, err := q.DeployedCommit(ctx, "acme/shop", ""); return err }},
		{"set without sha", func() error { return q.SetDeployedCommit(ctx, "acme/shop", "main", "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("err = %v; want ErrInvalidArgument", err)
			}
		})
	}
}
