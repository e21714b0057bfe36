package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lock is a lock held in the locks bucket until it is released or its TTL
// passes without a Refresh. Its methods are safe for concurrent use.
type Lock struct {
	q     *Queue
	key   string // as given to Lock
	kvKey string
	ttl   time.Duration
	value []byte

	mu  sync.Mutex
	rev uint64 // the revision this holder wrote last
}

// lockRecord is a lock's value, for an operator wondering who holds it.
type lockRecord struct {
	Holder string    `json:"holder"` // host:pid
	Since  time.Time `json:"since"`
}

// Lock takes the lock named key (e.g. "acme/shop@prod": one per repo and
// environment) for ttl, or returns an error wrapping [ErrLocked] naming its
// holder. The key is created only if absent (compare-and-set), with a
// per-key TTL: a holder that dies without releasing loses the lock after
// ttl, and the next Lock takes it. ttl is whole seconds, at least one.
func (q *Queue) Lock(ctx context.Context, key string, ttl time.Duration) (*Lock, error) {
	if key == "" {
		return nil, invalidArgument("empty lock key")
	}
	if ttl < time.Second {
		return nil, invalidArgument("lock ttl %s: at least a second", ttl)
	}
	value, err := json.Marshal(lockRecord{Holder: q.holder, Since: time.Now().UTC()})
	if err != nil {
		return nil, fmt.Errorf("encode lock %s: %w", key, err)
	}
	l := &Lock{q: q, key: key, kvKey: escapeKey(key), ttl: ttl, value: value}
	l.rev, err = q.locks.Create(ctx, l.kvKey, value, jetstream.KeyTTL(ttl))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, q.lockedError(ctx, l)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	return l, nil
}

// lockedError names the lock's holder when it can still be read.
func (q *Queue) lockedError(ctx context.Context, l *Lock) error {
	var rec lockRecord
	e, err := q.locks.Get(ctx, l.kvKey)
	if err != nil || json.Unmarshal(e.Value(), &rec) != nil {
		return fmt.Errorf("%w: %s", ErrLocked, l.key)
	}
	return fmt.Errorf("%w: %s held by %s since %s", ErrLocked, l.key, rec.Holder, rec.Since.Format(time.RFC3339))
}

// Key is the lock's name, as given to Lock.
func (l *Lock) Key() string { return l.key }

// Refresh restarts the lock's TTL, or returns an error wrapping
// [ErrLockLost] when the lock is not this holder's any more: it expired
// meanwhile, and someone else may hold it now. Any other error leaves the
// lock as it was; call Refresh again, well within the TTL.
func (l *Lock) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// KeyValue.Update would write the value without a TTL, making the lock
	// permanent; publishing to the key's subject keeps both the
	// compare-and-set and a fresh per-key TTL.
	subject := "$KV." + l.q.opts.locksBucket + "." + l.kvKey
	for {
		ack, err := l.q.js.Publish(ctx, subject, l.value,
			jetstream.WithExpectLastSequencePerSubject(l.rev), jetstream.WithMsgTTL(l.ttl))
		if isWrongLastSequence(err) {
			if err := l.adopt(ctx); err != nil {
				return err
			}
			continue // each adoption moves l.rev forward: the loop ends
		}
		if err != nil {
			return fmt.Errorf("refresh lock %s: %w", l.key, err)
		}
		l.rev = ack.Sequence
		return nil
	}
}

// Release frees the lock if this holder still has it, else returns an
// error wrapping [ErrLockLost].
func (l *Lock) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		err := l.q.locks.Delete(ctx, l.kvKey, jetstream.LastRevision(l.rev))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			if err := l.adopt(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("release lock %s: %w", l.key, err)
		}
		return nil
	}
}

// adopt takes the lock's current revision for this holder's when its value
// is still this holder's (holder and time taken, unique to one Lock call):
// a refresh that timed out while the connection was being re-established
// is sent once it is, and moves the revision on. Another value, or none,
// is [ErrLockLost]. Caller holds l.mu.
func (l *Lock) adopt(ctx context.Context) error {
	e, err := l.q.locks.Get(ctx, l.kvKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		// Gone, or not there yet on the replica that answered.
		return fmt.Errorf("%w: %s", ErrLockLost, l.key)
	case err != nil:
		return fmt.Errorf("read lock %s: %w", l.key, err)
	case !bytes.Equal(e.Value(), l.value):
		return fmt.Errorf("%w: %s", ErrLockLost, l.key)
	case e.Revision() <= l.rev:
		// A replica behind its leader answered (a replicated bucket
		// answers reads from any): not known yet, try again.
		return fmt.Errorf("refresh lock %s: revision %d read, %d written", l.key, e.Revision(), l.rev)
	}
	l.rev = e.Revision()
	return nil
}

// isWrongLastSequence reports a failed compare-and-set on a subject; a
// replicated stream reports it with another code.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
