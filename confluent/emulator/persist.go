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
	for id, env := range m.Environments {
		for table, t := range env.Topics {
			if err := t.decode(); err != nil {
				return fmt.Errorf("%w: %s: environment %s, table %s: %w", ErrStateFile, e.opt.stateFile, id, table, err)
			}
		}
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
		if env.Topics == nil {
			env.Topics = map[string]*topic{}
		}
		env.names, env.deleting, env.labelled = env.names[:0], 0, nil
		for name, st := range env.Statements {
			st.Name, st.Env = name, id
			env.names = append(env.names, name)
			env.index(st)
			if st.Phase == confluent.PhaseDeleting {
				env.deleting++
			}
			p := e.m.Pools[st.PoolID]
			switch {
			case p == nil:
			case st.Phase.Running():
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

// save has a change written to the state file: at once when there is no
// SaveInterval or the emulator is closed, else by the saver, at most once an
// interval. Writing costs time in proportion to the whole state (records
// included), so a burst of changes is written once.
func (e *Emulator) save() {
	switch {
	case !e.dirty:
	case e.opt.stateFile == "":
		e.dirty = false
	case e.saveKick == nil || e.closed:
		e.dirty = false
		if data, err := e.m.encode(); err != nil {
			e.saveFailed(err)
		} else if err := e.writeState(data); err != nil {
			e.saveFailed(err)
		}
	default:
		select {
		case e.saveKick <- struct{}{}:
		default: // the saver is told already
		}
	}
}

// saver writes the state file when told, then rests SaveInterval, or four
// times as long as the write took if that is longer: a large state (millions
// of runs of records) then holds the model locked a fifth of the time at
// most.
func (e *Emulator) saver() {
	for {
		select {
		case <-e.done:
			return
		case <-e.saveKick:
		}
		began := time.Now()
		if err := e.flush(); err != nil {
			e.saveFailed(err)
		}
		select {
		case <-e.done:
			return
		case <-time.After(max(e.opt.saveInterval, 4*time.Since(began))):
		}
	}
}

// flush writes the state file if the model changed since the last write:
// encoded with the model locked, written without. Only the saver and Close,
// after the saver stopped, call it, so writes never overlap.
func (e *Emulator) flush() error {
	e.mu.Lock()
	if !e.dirty || e.opt.stateFile == "" {
		e.mu.Unlock()
		return nil
	}
	data, err := e.m.encode()
	e.dirty = err != nil
	e.mu.Unlock()
	if err == nil {
		err = e.writeState(data)
	}
	if err != nil {
		e.mu.Lock()
		e.dirty = true // written with the next change
		e.mu.Unlock()
	}
	return err
}

func (e *Emulator) saveFailed(err error) {
	e.opt.log.Error("emulator: saving the state file", zap.String("path", e.opt.stateFile), zap.Error(err))
}

// writeState replaces the state file by a rename, so a reader or a restart
// never sees half a file; there is no fsync, as the emulator guards against
// its own crashes, not the machine's.
func (e *Emulator) writeState(data []byte) error {
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
