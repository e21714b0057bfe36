package gitrepo

import (
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shiftleft/shiftleft/inventory"
)

// walk reads every file of fsys with fs.WalkDir and fs.ReadFile: path to
// content, folders with a trailing slash and no content.
func walk(fsys fs.FS) (map[string]string, error) {
	files := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case p == ".":
		case d.IsDir():
			files[p+"/"] = ""
		case d.Type()&fs.ModeSymlink != 0:
			files[p] = "-> symlink"
		default:
			data, err := fs.ReadFile(fsys, p)
			files[p] = string(data)
			return err
		}
		return nil
	})
	return files, err
}

func TestTreeWalk(t *testing.T) {
	h := newHistory(t)
	c1 := map[string]string{
		"sources/": "", "sources/p/": "", "sources/p/src/": "", "sources/p/src/sql-scripts/": "",
		"sources/p/src/sql-scripts/ddl.src.sql": srcDDL,
		"sources/p/src/sql-scripts/dml.src.sql": srcDML,
		"x-y.txt":                               "a file that git sorts before the folder x\n",
		"x/":                                    "",
		"x/z.txt":                               "z\n",
	}
	c2 := map[string]string{
		"facts/": "", "facts/p/": "", "facts/p/fct/": "", "facts/p/fct/sql-scripts/": "",
		"facts/p/fct/sql-scripts/ddl.fct.sql": "CREATE TABLE fct (id STRING);\n",
		"sources/":                            "", "sources/p/": "", "sources/p/src/": "", "sources/p/src/sql-scripts/": "",
		"sources/p/src/sql-scripts/ddl.src.sql": srcDDL,
		"sources/p/src/sql-scripts/dml.src.sql": "INSERT INTO src SELECT 2;\n",
		"x/":                                    "",
		"x/z.txt":                               "z\n",
	}
	tests := []struct {
		name, sha, subdir string
		want              map[string]string
	}{
		{name: "pipelines at c1", sha: h.c1, subdir: "pipelines", want: c1},
		{name: "pipelines at c2", sha: h.c2, subdir: "pipelines", want: c2},
		{name: "a deeper folder", sha: h.c2, subdir: "pipelines/facts/p", want: map[string]string{
			"fct/": "", "fct/sql-scripts/": "", "fct/sql-scripts/ddl.fct.sql": "CREATE TABLE fct (id STRING);\n"}},
		{name: "whole tree", sha: h.c0, want: map[string]string{"README.md": "# shop\n"}},
		{name: "whole tree, dot", sha: h.c0, subdir: ".", want: map[string]string{"README.md": "# shop\n"}},
		{name: "symlink listed", sha: h.c3, subdir: "pipelines", want: with(c2, "current", "-> symlink")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, err := h.repo.Tree(tt.sha, tt.subdir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := walk(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// with is files and one more.
func with(files map[string]string, path, content string) map[string]string {
	out := maps.Clone(files)
	out[path] = content
	return out
}

func TestTreeErrors(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name, sha, subdir string
		wantErr           error
	}{
		{name: "no pipelines folder yet", sha: h.c0, subdir: "pipelines", wantErr: fs.ErrNotExist},
		{name: "a file", sha: h.c0, subdir: "README.md", wantErr: fs.ErrNotExist},
		{name: "below a file", sha: h.c0, subdir: "README.md/x", wantErr: fs.ErrNotExist},
		{name: "through a symlink", sha: h.c3, subdir: "pipelines/current/p", wantErr: ErrSymlink},
		{name: "not a valid path", sha: h.c1, subdir: "../pipelines", wantErr: fs.ErrInvalid},
		{name: "trailing slash", sha: h.c1, subdir: "pipelines/", wantErr: fs.ErrInvalid},
		{name: "unknown commit", sha: strings.Repeat("ab", 20), wantErr: ErrCommitNotFound},
		{name: "bad SHA", sha: "HEAD", wantErr: ErrInvalidSHA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.repo.Tree(tt.sha, tt.subdir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Tree: %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestTreeFiles checks each operation of the FS on files, folders,
// symbolic links and missing paths.
func TestTreeFiles(t *testing.T) {
	h := newHistory(t)
	fsys, err := h.repo.Tree(h.c3, "")
	if err != nil {
		t.Fatal(err)
	}
	const ddl = "pipelines/sources/p/src/sql-scripts/ddl.src.sql"
	tests := []struct {
		name     string
		op       func(fs.FS, string) (fs.FileInfo, error)
		path     string
		wantMode fs.FileMode
		wantSize int64
		wantErr  error
	}{
		{name: "stat file", op: fs.Stat, path: ddl, wantMode: 0o644, wantSize: int64(len(srcDDL))},
		{name: "stat executable", op: fs.Stat, path: "bin/run.sh", wantMode: 0o755, wantSize: int64(len("#!/bin/sh\n"))},
		{name: "stat folder", op: fs.Stat, path: "pipelines/sources", wantMode: fs.ModeDir | 0o777},
		{name: "stat root", op: fs.Stat, path: ".", wantMode: fs.ModeDir | 0o777},
		{name: "stat symlink", op: fs.Stat, path: "pipelines/current", wantErr: ErrSymlink},
		{name: "stat missing", op: fs.Stat, path: "pipelines/nope", wantErr: fs.ErrNotExist},
		{name: "stat below a file", op: fs.Stat, path: "README.md/x", wantErr: fs.ErrNotExist},
		{name: "stat invalid", op: fs.Stat, path: "/README.md", wantErr: fs.ErrInvalid},
		{name: "entry info", op: entryInfo, path: "bin/run.sh", wantMode: 0o755, wantSize: int64(len("#!/bin/sh\n"))},
		{name: "entry info of a symlink", op: entryInfo, path: "pipelines/current", wantMode: fs.ModeSymlink | 0o777, wantSize: int64(len("sources"))},
		{name: "read file", op: readFile, path: ddl, wantMode: 0o644, wantSize: int64(len(srcDDL))},
		{name: "read folder", op: readFile, path: "pipelines", wantErr: errIsDir},
		{name: "read symlink", op: readFile, path: "pipelines/current", wantErr: ErrSymlink},
		{name: "read missing", op: readFile, path: "nope.sql", wantErr: fs.ErrNotExist},
		{name: "list file", op: readDir, path: "README.md", wantErr: errNotDir},
		{name: "list missing", op: readDir, path: "nope", wantErr: fs.ErrNotExist},
		{name: "open missing", op: open, path: "pipelines/x/nope", wantErr: fs.ErrNotExist},
		{name: "open symlink", op: open, path: "pipelines/current", wantErr: ErrSymlink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := tt.op(fsys, tt.path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%v, want %v", err, tt.wantErr)
			}
			var pe *fs.PathError
			if err != nil && (!errors.As(err, &pe) || pe.Path != tt.path) {
				t.Errorf("%v is not a *fs.PathError for %s", err, tt.path)
			}
			if err != nil {
				return
			}
			if info.Mode() != tt.wantMode || info.Size() != tt.wantSize || !info.ModTime().Equal(epoch.Add(3*time.Minute)) {
				t.Errorf("mode %v, size %d, time %v; want %v, %d, the commit's", info.Mode(), info.Size(), info.ModTime(), tt.wantMode, tt.wantSize)
			}
		})
	}
}

// entryInfo is the Info of p's entry in its folder's listing.
func entryInfo(fsys fs.FS, p string) (fs.FileInfo, error) {
	entries, err := fs.ReadDir(fsys, path.Dir(p))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() == path.Base(p) {
			return e.Info()
		}
	}
	return nil, fs.ErrNotExist
}

// readFile reads p, then stats it to compare.
func readFile(fsys fs.FS, p string) (fs.FileInfo, error) {
	if _, err := fs.ReadFile(fsys, p); err != nil {
		return nil, err
	}
	return fs.Stat(fsys, p)
}

func readDir(fsys fs.FS, p string) (fs.FileInfo, error) {
	_, err := fs.ReadDir(fsys, p)
	return nil, err
}

func open(fsys fs.FS, p string) (fs.FileInfo, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}

// TestTreeFS checks the fs.FS contract with testing/fstest.
func TestTreeFS(t *testing.T) {
	h := newHistory(t)
	tests := []struct {
		name, sha, subdir string
		want              []string
	}{
		{name: "pipelines", sha: h.c2, subdir: "pipelines", want: []string{
			"facts/p/fct/sql-scripts/ddl.fct.sql", "sources/p/src/sql-scripts/dml.src.sql", "x/z.txt"}},
		{name: "whole tree", sha: h.c1, want: []string{"README.md", "pipelines/x-y.txt", "pipelines/x/z.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, err := h.repo.Tree(tt.sha, tt.subdir)
			if err != nil {
				t.Fatal(err)
			}
			if err := fstest.TestFS(fsys, tt.want...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestTreeInventory builds the inventory of a commit, as the worker does.
func TestTreeInventory(t *testing.T) {
	h := newHistory(t)
	fsys, err := h.repo.Tree(h.c1, "pipelines")
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := inventory.Build(fsys, inventory.Options{Root: "pipelines"})
	if err != nil {
		t.Fatal(err)
	}
	src, ok := inv.Tables["src"]
	if !ok {
		t.Fatalf("tables %v, want src", slices.Collect(maps.Keys(inv.Tables)))
	}
	if want := "pipelines/sources/p/src/sql-scripts/ddl.src.sql"; src.DDLRef != want {
		t.Errorf("src DDL %s, want %s", src.DDLRef, want)
	}
}

// TestTreeConcurrent walks the trees of two commits, which share folders,
// from 8 goroutines at once (run with -race).
func TestTreeConcurrent(t *testing.T) {
	h := newHistory(t)
	fresh := h.fetch(t) // nothing read yet: the goroutines fill its cache
	var trees []fs.FS
	var want []map[string]string
	for _, sha := range []string{h.c1, h.c2} {
		fsys, err := h.repo.Tree(sha, "pipelines")
		if err != nil {
			t.Fatal(err)
		}
		files, err := walk(fsys)
		if err != nil {
			t.Fatal(err)
		}
		if fsys, err = fresh.Tree(sha, "pipelines"); err != nil {
			t.Fatal(err)
		}
		trees, want = append(trees, fsys), append(want, files)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(trees)
				got, err := walk(trees[k])
				if err != nil {
					t.Error(err)
					return
				}
				if diff := cmp.Diff(want[k], got); diff != "" {
					t.Errorf("goroutine %d: files (-want +got):\n%s", g, diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
