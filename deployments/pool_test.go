package deployments_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/planner"
)

// flakyPools answers the first creates of compute pools with a 503; made
// says whether the server made the pool before the answer was lost.
type flakyPools struct {
	deployments.Client
	failures int
	made     bool
}

func (f *flakyPools) CreateComputePool(ctx context.Context, r confluent.ComputePoolRequest) (*confluent.ComputePool, error) {
	if f.failures == 0 {
		return f.Client.CreateComputePool(ctx, r)
	}
	f.failures--
	if f.made {
		if _, err := f.Client.CreateComputePool(ctx, r); err != nil {
			return nil, err
		}
	}
	return nil, &confluent.APIError{StatusCode: http.StatusServiceUnavailable, Title: "Service Unavailable", Method: http.MethodPost, Path: "/fcpm/v2/compute-pools"}
}

// TestPoolCreateRetriedAfterA5xx: a pool create that fails with a 503 is
// retried once the pools were looked at again, so one pool is made whether
// the lost create made it or not, and the action runs in it.
func TestPoolCreateRetriedAfterA5xx(t *testing.T) {
	for _, made := range []bool{false, true} {
		r := newRig(t, nil)
		f := fixture{}
		p := plan(f.create("a"))
		p.Actions[0].Pool = &planner.Pool{Create: &planner.NewPool{Name: "dev-a", MaxCFU: 10}, Reason: "no pool"}
		client := &flakyPools{Client: r.Client, failures: 2, made: made}
		deployed(t, runner(t, client, f, deployments.WithPoolLocation("AWS", "us-west-2")), p)
		pools, err := r.Client.ListComputePools(ctxFor(t))
		if err != nil || len(pools) != 1 {
			t.Fatalf("made %v: pools %+v (%v), want one", made, pools, err)
		}
		st, err := r.Client.GetStatement(ctxFor(t), naming.DML("a", ""))
		if err != nil || st.Spec.ComputePoolID != pools[0].ID {
			t.Errorf("made %v: a's DML %+v (%v), want it in pool %s", made, st, err, pools[0].ID)
		}
	}
}
