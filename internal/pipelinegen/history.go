package pipelinegen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// History changes a generated tree on disk the way a team's commits do, one
// step a commit, each step touching one to ten files: DML edits (a
// comment, or SELECT becoming SELECT DISTINCT and back, which flips the
// table's statefulness), new tables, deleted tables, folders moved to
// another product, .properties files written, and, with Break, now and
// then a DML broken for a few steps before it is fixed. The caller commits
// after each step. Like Generate, it is a pure function of the tree, the
// seed and Break.
type History struct {
	// Break lets steps break a DML (an unclosed parenthesis), which a
	// later step fixes.
	Break bool

	dir    string
	rng    *rand.Rand
	tables []histTable
	steps  int
	added  int // tables added, which numbers their names
	// broken is the table whose DML is broken (-1: none), its content
	// before, and how many more steps it stays broken.
	broken   int
	original []byte
	left     int
}

type histTable struct {
	name   string
	folder string // relative to dir, slash-separated
}

// NewHistory starts a history of the tree Generate wrote in dir with truth
// tree.
func NewHistory(dir string, tree *Tree, seed uint64) *History {
	h := &History{dir: dir, rng: rand.New(rand.NewPCG(seed, 0x5eed)), broken: -1}
	for _, t := range tree.Tables {
		h.tables = append(h.tables, histTable{name: t.Name, folder: t.Folder})
	}
	return h
}

// Step changes the tree once and says what it did, one line per change.
func (h *History) Step() ([]string, error) {
	h.steps++
	var done []string
	if h.broken >= 0 {
		if h.left--; h.left <= 0 {
			t := h.tables[h.broken]
			if err := os.WriteFile(h.dml(t), h.original, 0o644); err != nil {
				return nil, err
			}
			done = append(done, "fixed "+t.name)
			h.broken = -1
		}
	}
	for range 1 + h.rng.IntN(5) {
		what, err := h.change()
		if err != nil {
			return nil, err
		}
		done = append(done, what)
	}
	return done, nil
}

func (h *History) file(t histTable, name string) string {
	return filepath.Join(h.dir, filepath.FromSlash(t.folder), "sql-scripts", name)
}

func (h *History) dml(t histTable) string { return h.file(t, "dml."+t.name+".sql") }

// pick returns a table other than the broken one.
func (h *History) pick() int {
	for {
		if i := h.rng.IntN(len(h.tables)); i != h.broken {
			return i
		}
	}
}

func (h *History) change() (string, error) {
	n := strconv.Itoa(h.steps)
	switch r := h.rng.IntN(100); {
	case r < 40 || len(h.tables) < 4:
		t := h.tables[h.pick()]
		data, err := os.ReadFile(h.dml(t))
		if err != nil {
			return "", err
		}
		switch {
		case r%2 == 0 && bytes.Contains(data, []byte("SELECT DISTINCT\n")):
			data = bytes.Replace(data, []byte("SELECT DISTINCT\n"), []byte("SELECT\n"), 1)
		case r%2 == 0 && bytes.Contains(data, []byte("SELECT\n")):
			data = bytes.Replace(data, []byte("SELECT\n"), []byte("SELECT DISTINCT\n"), 1)
		default:
			data = append(data, "\n-- edited in step "+n+"\n"...)
		}
		return "edited the DML of " + t.name, os.WriteFile(h.dml(t), data, 0o644)
	case r < 55:
		parent := h.tables[h.pick()]
		h.added++
		name := "new_" + strconv.Itoa(h.added)
		t := histTable{name: name, folder: "intermediates/added/" + name}
		if err := os.MkdirAll(filepath.Dir(h.dml(t)), 0o755); err != nil {
			return "", err
		}
		ddl := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n  id STRING NOT NULL,\n  PRIMARY KEY(id) NOT ENFORCED\n);\n", t.name)
		dml := fmt.Sprintf("INSERT INTO %s\nSELECT id FROM %s;\n", t.name, parent.name)
		if err := os.WriteFile(h.file(t, "ddl."+t.name+".sql"), []byte(ddl), 0o644); err != nil {
			return "", err
		}
		h.tables = append(h.tables, t)
		return "added " + t.name + " reading " + parent.name, os.WriteFile(h.dml(t), []byte(dml), 0o644)
	case r < 65:
		i := h.pick()
		t := h.tables[i]
		h.remove(i)
		return "deleted " + t.name, os.RemoveAll(filepath.Join(h.dir, filepath.FromSlash(t.folder)))
	case r < 75:
		i := h.pick()
		t := h.tables[i]
		// Another product of the same layer: the content is the same, the
		// path (and so the product) is not.
		to := path.Join(path.Dir(path.Dir(t.folder)), "moved"+strconv.Itoa(r%3), path.Base(t.folder))
		if to == t.folder {
			to = path.Join(path.Dir(path.Dir(t.folder)), "moved_again", path.Base(t.folder))
		}
		if err := os.MkdirAll(filepath.Join(h.dir, filepath.FromSlash(path.Dir(to))), 0o755); err != nil {
			return "", err
		}
		if err := os.Rename(filepath.Join(h.dir, filepath.FromSlash(t.folder)), filepath.Join(h.dir, filepath.FromSlash(to))); err != nil {
			return "", err
		}
		h.tables[i].folder = to
		return "moved " + t.name + " to " + to, nil
	case r < 96:
		t := h.tables[h.pick()]
		props := "sql.state-ttl = " + strconv.Itoa(1+r) + " h\n# step " + n + "\n"
		return "wrote the DML properties of " + t.name, os.WriteFile(h.file(t, "dml."+t.name+".properties"), []byte(props), 0o644)
	default:
		if h.broken >= 0 || !h.Break {
			return h.change()
		}
		i := h.pick()
		t := h.tables[i]
		data, err := os.ReadFile(h.dml(t))
		if err != nil {
			return "", err
		}
		h.broken, h.original, h.left = i, data, 1+h.rng.IntN(3)
		broken := fmt.Sprintf("INSERT INTO %s\nSELECT ((id FROM nowhere;\n", t.name)
		return "broke the DML of " + t.name, os.WriteFile(h.dml(t), []byte(broken), 0o644)
	}
}

// remove drops table i from the list, keeping the broken one's index.
func (h *History) remove(i int) {
	h.tables = append(h.tables[:i], h.tables[i+1:]...)
	if h.broken > i {
		h.broken--
	}
}
