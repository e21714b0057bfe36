package gitrepo

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChangedPaths(t *testing.T) {
	h := newHistory(t)
	c1 := []string{
		"README.md",
		"pipelines/sources/p/src/sql-scripts/ddl.src.sql",
		"pipelines/sources/p/src/sql-scripts/dml.src.sql",
		"pipelines/x-y.txt",
		"pipelines/x/z.txt",
	}
	c1c2 := []string{
		"bin/run.sh", // added
		"pipelines/facts/p/fct/sql-scripts/ddl.fct.sql",   // added
		"pipelines/sources/p/src/sql-scripts/dml.src.sql", // modified
		"pipelines/x-y.txt", // deleted
	}
	tests := []struct {
		name, from, to string
		want           []string
		wantErr        error
	}{
		{name: "add, modify, delete", from: h.c1, to: h.c2, want: c1c2},
		{name: "backwards", from: h.c2, to: h.c1, want: c1c2},
		{name: "mode change and symlink", from: h.c2, to: h.c3, want: []string{"bin/run.sh", "pipelines/current"}},
		{name: "new branch", from: zeroSHA, to: h.c1, want: c1},
		{name: "diverged", from: h.c3, to: h.pull, want: []string{
			"bin/run.sh", "pipelines/current", "pipelines/facts/p/fct/sql-scripts/ddl.fct.sql",
			"pipelines/sources/p/src/sql-scripts/dml.src.sql", "pipelines/x-y.txt", "pipelines/x/z.txt"}},
		{name: "same commit", from: h.c2, to: h.c2},
		{name: "unknown from", from: strings.Repeat("ab", 20), to: h.c1, wantErr: ErrCommitNotFound},
		{name: "zero to", from: h.c1, to: zeroSHA, wantErr: ErrCommitNotFound},
		{name: "bad SHA", from: "main", to: h.c1, wantErr: ErrInvalidSHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.repo.ChangedPaths(tt.from, tt.to)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ChangedPaths: %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsAncestor(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name, a, b string
		want       bool
		wantErr    error
	}{
		{name: "parent", a: h.c1, b: h.c2, want: true},
		{name: "older", a: h.c0, b: h.c3, want: true},
		{name: "newer", a: h.c3, b: h.c0},
		{name: "itself", a: h.c2, b: h.c2, want: true},
		{name: "base of a pull request", a: h.c1, b: h.pull, want: true},
		{name: "diverged", a: h.pull, b: h.c3},
		{name: "diverged, other way", a: h.c3, b: h.pull},
		{name: "unknown", a: strings.Repeat("ab", 20), b: h.c3, wantErr: ErrCommitNotFound},
		{name: "bad SHA", a: h.c1, b: "c3", wantErr: ErrInvalidSHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.repo.IsAncestor(tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("IsAncestor: %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("IsAncestor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeBase(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name, a, b string
		want       string
		wantErr    error
	}{
		{name: "a pull request and the branch that moved on", a: h.c3, b: h.pull, want: h.c1},
		{name: "either order", a: h.pull, b: h.c3, want: h.c1},
		{name: "a line of history", a: h.c0, b: h.c2, want: h.c0},
		{name: "itself", a: h.c2, b: h.c2, want: h.c2},
		{name: "unknown", a: strings.Repeat("ab", 20), b: h.c3, wantErr: ErrCommitNotFound},
		{name: "bad SHA", a: h.c1, b: "c3", wantErr: ErrInvalidSHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := h.repo.MergeBase(tt.a, tt.b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("MergeBase: %v, want %v", err, tt.wantErr)
			}
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MergeBase = %q, %t, want %q", got, ok, tt.want)
			}
		})
	}
}
