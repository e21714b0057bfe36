package emulator

import (
	"cmp"
	"container/heap"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
)

// load reads the state file, if there is one, and rebuilds the indexes the
// file does not hold.
func (e *Emulator) load() error {
	data, err := os.ReadFile(e.opt.stateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStateFile, err)
	}
	m := newModel(nil)
	if err := json.Unmarshal(data, m); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrStateFile, e.opt.stateFile, err)
	}
	if m.Environments == nil {
		m.Environments = map[string]*environment{}
	}
	if m.Pools == nil {
		m.Pools = map[string]*pool{}
	}
	e.m = m
	e.reindex()
	return nil
}

// reindex rebuilds what the state file leaves out: the sorted statement
// names, the pools' CFU counts and queues, and the event heap.
func (e *Emulator) reindex() {
	type planned struct {
		at   time.Time
		seq  uint64
		st   *statement
		pool *pool
	}
	var due []planned
	for _, p := range e.m.Pools {
		if p.Due != nil {
			due = append(due, planned{at: *p.Due, pool: p})
		}
	}
	for id, env := range e.m.Environments {
		env.ID = id
		if env.Tables == nil {
			env.Tables = map[string]bool{}
		}
		if env.Statements == nil {
			env.Statements = map[string]*statement{}
		}
		env.names = env.names[:0]
		for name, st := range env.Statements {
			st.Name, st.Env = name, id
			env.names = append(env.names, name)
			p := e.m.Pools[st.PoolID]
			switch {
			case p == nil:
			case st.Phase == confluent.PhaseRunning:
				p.used++
			case st.Waiting:
				p.enqueue(st)
			}
			if st.Due != nil {
				due = append(due, planned{at: *st.Due, seq: st.Seq, st: st})
			}
		}
		slices.Sort(env.names)
	}
	slices.SortFunc(due, func(a, b planned) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.seq, b.seq))
	})
	e.events = e.events[:0]
	for _, d := range due {
		e.gen++
		if d.st != nil {
			d.st.timer = e.gen
		} else {
			d.pool.timer = e.gen
		}
		e.events = append(e.events, event{at: d.at, gen: e.gen, st: d.st, pool: d.pool})
	}
	heap.Init(&e.events)
}

// save writes the model to the state file after a change. The file is
// replaced by a rename, so a reader or a restart never sees half a file;
// there is no fsync, as the emulator guards against its own crashes, not
// the machine's.
func (e *Emulator) save() {
	if !e.dirty {
		return
	}
	e.dirty = false
	if e.opt.stateFile == "" {
		return
	}
	if err := e.writeState(); err != nil {
		e.opt.log.Error("emulator: saving the state file", zap.String("path", e.opt.stateFile), zap.Error(err))
	}
}

func (e *Emulator) writeState() error {
	data, err := json.Marshal(e.m)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(e.opt.stateFile)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), e.opt.stateFile)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
