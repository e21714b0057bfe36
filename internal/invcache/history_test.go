package invcache_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shiftleft/shiftleft/gitrepo"
	"github.com/shiftleft/shiftleft/internal/invcache"
	"github.com/shiftleft/shiftleft/internal/pipelinegen"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

const testVersion = "0123456789abcdef"

// history is a git repository whose pipelines folder pipelinegen generated
// and changed commit after commit.
type history struct {
	dir  string
	shas []string
	// steps[i] says what commit i changed (nothing for the first).
	steps [][]string
	repo  *gitrepo.Repo
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Test", "-c", "user.email=test@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func newHistory(t *testing.T, tables, commits int) *history {
	t.Helper()
	h := &history{dir: t.TempDir()}
	pipelines := filepath.Join(h.dir, "pipelines")
	tree, err := pipelinegen.Generate(pipelines, pipelinegen.Options{Tables: tables, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	git(t, h.dir, "init", "-q", "-b", "main")
	commit := func(steps []string) {
		git(t, h.dir, "add", "-A")
		git(t, h.dir, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("commit %d", len(h.shas)))
		h.shas = append(h.shas, git(t, h.dir, "rev-parse", "HEAD"))
		h.steps = append(h.steps, steps)
	}
	commit(nil)
	gen := pipelinegen.NewHistory(pipelines, tree, 7)
	gen.Break = true
	for range commits {
		steps, err := gen.Step()
		if err != nil {
			t.Fatal(err)
		}
		commit(steps)
	}
	mirrors, err := gitrepo.NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if h.repo, err = mirrors.Fetch(context.Background(), h.dir, h.shas...); err != nil {
		t.Fatal(err)
	}
	return h
}

// built is what a build gives, rendered: inventory.json, every
// pipeline_definition.json, each table's fingerprint, properties and links,
// the warnings and the error.
func render(t *testing.T, inv *inventory.Inventory, warnings []inventory.Warning, err error) string {
	t.Helper()
	var b strings.Builder
	for _, w := range warnings {
		fmt.Fprintln(&b, "warning:", w)
	}
	if err != nil {
		fmt.Fprintln(&b, "error:", err)
		return b.String()
	}
	data, err := inventory.EncodeInventory(inv)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%s\n", data)
	g, err := pipeline.New(inv)
	if err != nil {
		fmt.Fprintln(&b, "graph error:", err)
		return b.String()
	}
	for _, n := range inv.Names() {
		tb := inv.Tables[n]
		fmt.Fprintf(&b, "%s %s %q %v %v %q %v %v\n", n, tb.Fingerprint, tb.StatefulReasons, tb.Parents, tb.AlsoWrites,
			tb.WrittenBy, tb.DDLProperties, tb.DMLProperties)
		if pipeline.HasDefinitionFile(tb) {
			def, err := inventory.EncodeDefinition(g.Definition(n))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s\n", def)
		}
	}
	return b.String()
}

func buildAt(t *testing.T, h *history, sha string, opts inventory.Options) string {
	t.Helper()
	tree, err := h.repo.Tree(sha, "pipelines")
	if err != nil {
		t.Fatal(err)
	}
	opts.Root = "pipelines"
	inv, warnings, err := inventory.Build(tree, opts)
	return render(t, inv, warnings, err)
}

// firstDiff is the first line where two renderings differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  full:        %s\n  incremental: %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}

// TestIncrementalEqualsFull walks a generated history commit by commit:
// the inventory built through a cache that saw every earlier commit, one
// bounded so tightly that it evicts all the time, and one restarted on the
// disk store alone, each equals the full build's, byte for byte (warnings
// and errors included); and the warm build reads only files the commit
// changed. make test walks 40 commits of 60 tables, make test-full 200 of
// 400.
func TestIncrementalEqualsFull(t *testing.T) {
	tables, commits := 60, 40
	if os.Getenv("SHIFTLEFT_TEST_FULL") != "" {
		tables, commits = 400, 200
	}
	h := newHistory(t, tables, commits)
	disk := t.TempDir()
	store, err := invcache.Open(disk, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	warm := inventory.NewCache(256<<20, store)
	tight := inventory.NewCache(1, nil) // the 1 MiB floor: a fraction of the tree
	var failed, succeeded int
	for i, sha := range h.shas {
		full := buildAt(t, h, sha, inventory.Options{})
		if strings.Contains(full, "error:") {
			failed++
		} else {
			succeeded++
		}
		var (
			mu   sync.Mutex
			read []string
		)
		got := buildAt(t, h, sha, inventory.Options{Cache: warm, BeforeRead: func(f string) {
			mu.Lock()
			defer mu.Unlock()
			read = append(read, f)
		}})
		if got != full {
			t.Fatalf("commit %d (%v): the warm build differs from the full one at %s", i, h.steps[i], firstDiff(full, got))
		}
		if got := buildAt(t, h, sha, inventory.Options{Cache: tight, Workers: 1 + i%3}); got != full {
			t.Fatalf("commit %d (%v): the build through a tight cache differs from the full one at %s", i, h.steps[i], firstDiff(full, got))
		}
		// The same tree with unknown references dropped: another inventory.
		if i%4 == 0 {
			dropFull := buildAt(t, h, sha, inventory.Options{DropUnknownRefs: true})
			if got := buildAt(t, h, sha, inventory.Options{Cache: warm, DropUnknownRefs: true}); got != dropFull {
				t.Fatalf("commit %d (%v), unknown references dropped: the warm build differs from the full one at %s", i, h.steps[i], firstDiff(dropFull, got))
			}
		}
		if i == 0 {
			continue
		}
		changed, err := h.repo.ChangedPaths(h.shas[i-1], sha)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range read {
			if _, ok := slices.BinarySearch(changed, f); !ok {
				t.Errorf("commit %d (%v): the warm build read %s, which the commit did not change", i, h.steps[i], f)
			}
		}
	}
	if failed == 0 || succeeded == 0 {
		t.Errorf("%d commits build and %d fail: the history must have both", succeeded, failed)
	}
	t.Logf("%d commits build, %d fail; warm cache %+v; tight cache %+v", succeeded, failed, warm.Stats(), tight.Stats())
	if s := tight.Stats(); s.PeakBytes > s.MaxBytes {
		t.Errorf("tight cache: peak %d bytes over its bound %d", s.PeakBytes, s.MaxBytes)
	}

	// A restart: a new process has the disk store only.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store, err = invcache.Open(disk, testVersion)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	restarted := inventory.NewCache(256<<20, store)
	for i := len(h.shas) - 3; i < len(h.shas); i++ {
		full := buildAt(t, h, h.shas[i], inventory.Options{})
		if got := buildAt(t, h, h.shas[i], inventory.Options{Cache: restarted}); got != full {
			t.Fatalf("commit %d after a restart: differs from the full build at %s", i, firstDiff(full, got))
		}
	}
	if s := restarted.Stats(); s.StoreHits == 0 {
		t.Errorf("after a restart no facts came from the disk store: %+v", s)
	}
}
