package pipelinegen

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// prepareRoot creates dir, or checks that the existing dir is empty: the
// truth describes the whole tree, so nothing else may be in it.
func prepareRoot(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("pipelinegen: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("pipelinegen: %s is not a usable directory: %w", dir, err)
	default:
		return fmt.Errorf("pipelinegen: %s is not empty (it holds %s)", dir, names[0])
	}
}

// chunk is how many tables a worker claims at a time: large enough to keep
// the shared counter cold, small enough to balance the tail.
const chunk = 64

// write writes every table's folder and scripts under root. The
// <layer>/<product> folders are created first, once; then workers, one
// renderer each, take tables by chunks. File writes are mostly syscall time,
// so there are more workers than CPUs.
func (p *plan) write(root string) error {
	made := map[string]bool{}
	for i := range p.nodes {
		n := &p.nodes[i]
		dir := kinds[n.kind].dir + "/" + n.product
		if !made[dir] {
			made[dir] = true
			if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(dir)), 0o755); err != nil {
				return fmt.Errorf("pipelinegen: %w", err)
			}
		}
	}

	workers := min(2*runtime.GOMAXPROCS(0), (len(p.nodes)+chunk-1)/chunk)
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
	)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			r := newRenderer()
			for !failed.Load() {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(p.nodes) {
					return
				}
				for i := lo; i < min(lo+chunk, len(p.nodes)); i++ {
					if err := r.writeTable(root, p, i); err != nil {
						errs[w] = err
						failed.Store(true)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeTable writes node i's folder, sql-scripts folder, DDL and DML.
func (r *renderer) writeTable(root string, p *plan, i int) error {
	r.start(p, i)
	scripts := filepath.Join(root, filepath.FromSlash(r.n.folder), "sql-scripts")
	if err := os.Mkdir(filepath.Dir(scripts), 0o755); err != nil {
		return fmt.Errorf("pipelinegen: %w", err)
	}
	if err := os.Mkdir(scripts, 0o755); err != nil {
		return fmt.Errorf("pipelinegen: %w", err)
	}
	r.ddl()
	if err := os.WriteFile(filepath.Join(scripts, "ddl."+r.n.name+".sql"), r.b, 0o644); err != nil {
		return fmt.Errorf("pipelinegen: %w", err)
	}
	r.dml()
	if err := os.WriteFile(filepath.Join(scripts, "dml."+r.n.name+".sql"), r.b, 0o644); err != nil {
		return fmt.Errorf("pipelinegen: %w", err)
	}
	return nil
}
