package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockOneHolder(t *testing.T) {
	srv := startServer(t)
	a := newQueue(t, connectTo(t, srv), fast(t)...)
	b := newQueue(t, connectTo(t, srv), fast(t)...)
	ctx := testCtx(t)
	const key = "acme/shop@prod"

	// Two workers race for the lock: one wins.
	var wg sync.WaitGroup
	locks, errs := make([]*Lock, 2), make([]error, 2)
	for i, q := range []*Queue{a, b} {
		wg.Go(func() { locks[i], errs[i] = q.Lock(ctx, key, time.Minute) })
	}
	wg.Wait()
	winner, loser := 0, 1
	if errs[0] != nil {
		winner, loser = 1, 0
	}
	if errs[winner] != nil || !errors.Is(errs[loser], ErrLocked) {
		t.Fatalf("Lock results %v; want one lock and one ErrLocked", errs)
	}
	if !strings.Contains(errs[loser].Error(), "held by ") {
		t.Errorf("ErrLocked does not name the holder: %v", errs[loser])
	}
	held := locks[winner]
	if held.Key() != key {
		t.Errorf("Key() = %q", held.Key())
	}

	// Another environment is another lock.
	other, err := b.Lock(ctx, "acme/shop@dev", time.Minute)
	if err != nil {
		t.Fatalf("lock of another key: %v", err)
	}
	if err := held.Refresh(ctx); err != nil {
		t.Errorf("Refresh of a held lock: %v", err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := held.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("second Release = %v; want ErrLockLost", err)
	}
	again, err := b.Lock(ctx, key, time.Minute)
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	for _, l := range []*Lock{again, other} {
		if err := l.Release(ctx); err != nil {
			t.Errorf("Release %s: %v", l.Key(), err)
		}
	}
}

// TestLockExpires: Refresh keeps a lock past its TTL; once its holder stops
// refreshing (it crashed), the lock expires and another worker takes it,
// and the old holder learns it lost it.
func TestLockExpires(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	const key, ttl = "acme/shop@prod", time.Second
	held, err := q.Lock(ctx, key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(ttl / 4) {
		if err := held.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if _, err := q.Lock(ctx, key, ttl); !errors.Is(err, ErrLocked) {
			t.Fatalf("Lock of a refreshed lock = %v; want ErrLocked", err)
		}
	}
	// The holder stops refreshing.
	var taken *Lock
	eventually(t, 10*time.Second, func() (bool, string) {
		taken, err = q.Lock(ctx, key, time.Minute)
		return err == nil, "Lock of an expired lock: " + errString(err)
	})
	if err := held.Refresh(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Refresh by the old holder = %v; want ErrLockLost", err)
	}
	if err := held.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("Release by the old holder = %v; want ErrLockLost", err)
	}
	if _, err := q.Lock(ctx, key, ttl); !errors.Is(err, ErrLocked) {
		t.Errorf("the new holder's lock: Lock = %v; want ErrLocked", err)
	}
	if err := taken.Release(ctx); err != nil {
		t.Errorf("Release by the new holder: %v", err)
	}
}

func TestLockArguments(t *testing.T) {
	q, _ := newTestQueue(t)
	tests := []struct {
		name string
		key  string
		ttl  time.Duration
	}{
		{"empty key", "", time.Minute},
		{"ttl under a second", "k", 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Lock(context.Background(), tt.key, tt.ttl); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Lock = %v; want ErrInvalidArgument", err)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestLockLateRefresh: a refresh whose answer was lost (it timed out while
// the connection was re-established, and was sent once it was) moved the
// lock's revision on without its holder knowing: the lock is still the
// holder's. A write by anyone else loses it.
func TestLockLateRefresh(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	const key = "acme/shop@prod"
	tests := []struct {
		name    string
		write   func(l *Lock) []byte // the value written behind the holder's back
		wantErr error
	}{
		{name: "its own refresh, late", write: func(l *Lock) []byte { return l.value }},
		{name: "another holder's", write: func(*Lock) []byte { return []byte(`{"holder":"other:1"}`) }, wantErr: ErrLockLost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := q.Lock(ctx, key, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = q.locks.Purge(context.Background(), l.kvKey) })
			if _, err := q.js.Publish(ctx, "$KV."+q.opts.locksBucket+"."+l.kvKey, tt.write(l)); err != nil {
				t.Fatal(err)
			}
			if err := l.Refresh(ctx); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Refresh = %v; want %v", err, tt.wantErr)
			}
			if err := l.Release(ctx); !errors.Is(err, tt.wantErr) {
				t.Errorf("Release = %v; want %v", err, tt.wantErr)
			}
		})
	}
}
