package deployments

import (
	"context"
	"fmt"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/planner"
)

// ReadLive reads what runs in the client's environment: every statement,
// with the labels shiftleft put on it ("" for statements other tools made),
// its detail and creation time, and every compute pool.
func ReadLive(ctx context.Context, c Client) (planner.Live, error) {
	statements, err := c.ListStatements(ctx, confluent.ListOptions{})
	if err != nil {
		return planner.Live{}, fmt.Errorf("list statements: %w", err)
	}
	pools, err := c.ListComputePools(ctx)
	if err != nil {
		return planner.Live{}, fmt.Errorf("list compute pools: %w", err)
	}
	live := planner.Live{Statements: make(map[string]planner.Statement, len(statements))}
	for i := range statements {
		st := &statements[i]
		s := planner.Statement{
			Name:          st.Name,
			Phase:         string(phaseOf(st)),
			ComputePoolID: st.Spec.ComputePoolID,
			Fingerprint:   labelsOf(st)[LabelFingerprint],
			Table:         labelsOf(st)[LabelTable],
			Origin:        originOf(st),
		}
		if st.Status != nil {
			s.Detail = st.Status.Detail
		}
		if st.Metadata != nil && st.Metadata.CreatedAt != nil {
			s.CreatedAt = *st.Metadata.CreatedAt
		}
		live.Statements[st.Name] = s
	}
	for _, p := range pools {
		cp := planner.ComputePool{ID: p.ID, Name: p.Spec.DisplayName, MaxCFU: p.Spec.MaxCFU}
		if p.Status != nil {
			cp.Phase, cp.CurrentCFU = p.Status.Phase, p.Status.CurrentCFU
		}
		live.Pools = append(live.Pools, cp)
	}
	return live, nil
}

// phaseOf is the statement's phase, "" when it has no status.
func phaseOf(st *confluent.Statement) confluent.Phase {
	if st == nil || st.Status == nil {
		return ""
	}
	return st.Status.Phase
}
