package deployments

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/internal/backoff"
	"github.com/shiftleft/shiftleft/planner"
)

// How often a new compute pool is polled until PROVISIONED: provisioning
// takes a minute or more on Confluent Cloud, milliseconds in the emulator.
const (
	poolPollInitial = 50 * time.Millisecond
	poolPollMax     = 5 * time.Second
)

// ensurePool returns the id of a PROVISIONED pool of the wanted name:
// one that exists (a crashed run may have created it, and pool creates are
// not idempotent), else a new one. Concurrent callers wanting the same
// name share one lookup and creation.
//
// A create that fails with a retryable error (a 5xx, a lost answer) may have
// made the pool all the same: the pools are listed again before the next
// create, until ctx ends.
func (r *Runner) ensurePool(ctx context.Context, want planner.NewPool) (string, error) {
	return r.pools.do(ctx, want.Name, func() (string, error) {
		wait := poolPollInitial
		for {
			pool, err := r.findPool(ctx, want.Name)
			if err == nil && pool == nil {
				pool, err = r.client.CreateComputePool(ctx, confluent.ComputePoolRequest{
					DisplayName: want.Name, Cloud: r.opts.cloud, Region: r.opts.region, MaxCFU: want.MaxCFU})
				if err != nil {
					err = fmt.Errorf("create %s: %w", want.Name, err)
				} else {
					r.log.Info("compute pool created", zap.String("pool", want.Name), zap.String("id", pool.ID))
				}
			}
			if err != nil {
				if !confluent.Retryable(err) || ctx.Err() != nil {
					return "", err
				}
				r.log.Warn("compute pool not ready; looking for it again", zap.String("pool", want.Name), zap.Error(err))
				if err := backoff.Sleep(ctx, wait); err != nil {
					return "", err
				}
				wait = min(2*wait, poolPollMax)
				continue
			}
			if err := r.waitPool(ctx, pool); err != nil {
				return "", err
			}
			return pool.ID, nil
		}
	})
}

// findPool is a pool of that display name that is or will be usable,
// preferring one already PROVISIONED; nil when there is none.
func (r *Runner) findPool(ctx context.Context, name string) (*confluent.ComputePool, error) {
	pools, err := r.client.ListComputePools(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	var found *confluent.ComputePool
	for i := range pools {
		p := &pools[i]
		if p.Spec.DisplayName != name {
			continue
		}
		switch poolPhase(p) {
		case confluent.PoolProvisioned:
			return p, nil
		case confluent.PoolProvisioning:
			found = p
		}
	}
	return found, nil
}

// waitPool polls the pool, at growing intervals, until it is PROVISIONED;
// a read that fails with a retryable error is made again.
func (r *Runner) waitPool(ctx context.Context, p *confluent.ComputePool) error {
	wait := poolPollInitial
	for {
		switch phase := poolPhase(p); phase {
		case confluent.PoolProvisioned:
			return nil
		case confluent.PoolFailed, confluent.PoolDeprovisioning:
			return fmt.Errorf("compute pool %s (%s) is %s", p.Spec.DisplayName, p.ID, phase)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wait for compute pool %s (%s), last phase %s: %w", p.Spec.DisplayName, p.ID, poolPhase(p), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, poolPollMax)
		next, err := r.client.GetComputePool(ctx, p.ID)
		switch {
		case err == nil:
			p = next
		case !confluent.Retryable(err):
			return fmt.Errorf("wait for compute pool %s (%s): %w", p.Spec.DisplayName, p.ID, err)
		}
	}
}

func poolPhase(p *confluent.ComputePool) string {
	if p.Status == nil {
		return ""
	}
	return p.Status.Phase
}

// flights runs one call per key at a time; callers arriving meanwhile get
// its answer. A key is forgotten when its call returns, so a later caller
// looks again rather than trusting an old answer.
type flights struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done chan struct{}
	id   string
	err  error
}

func (f *flights) do(ctx context.Context, key string, fn func() (string, error)) (string, error) {
	f.mu.Lock()
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.id, c.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	c := &flight{done: make(chan struct{})}
	if f.calls == nil {
		f.calls = map[string]*flight{}
	}
	f.calls[key] = c
	f.mu.Unlock()

	c.id, c.err = fn()
	f.mu.Lock()
	delete(f.calls, key)
	f.mu.Unlock()
	close(c.done)
	return c.id, c.err
}
