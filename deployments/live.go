package deployments

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"

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
	live := planner.Live{Statements: make(map[string]planner.Statement, len(statements))}
	for i := range statements {
		live.Statements[statements[i].Name] = liveStatement(&statements[i])
	}
	live.Pools, err = readPools(ctx, c)
	return live, err
}

// readParallel bounds the tables ReadLiveOf reads at a time.
const readParallel = 16

// ReadLiveOf reads what runs of the desired tables only: the statements
// shiftleft made for each (one list by its table label, whatever their
// names: a DML's versions too), the statements they name that another tool
// made (each read by name), and every compute pool. The answer says which
// tables it covers (Live.Tables), so a plan that needs another table fails
// with planner.ErrUnread instead of taking it for not deployed; it cannot
// say how many statements it left out (Live.Elsewhere -1). A plan of a
// few tables in a large environment costs those tables' reads, not a
// listing of every statement.
func ReadLiveOf(ctx context.Context, c Client, desired []planner.Desired) (planner.Live, error) {
	live := planner.Live{Statements: map[string]planner.Statement{}, Tables: map[string]bool{}, Elsewhere: -1}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = make(chan planner.Desired)
	)
	read := func(d planner.Desired) error {
		labelled, err := c.ListStatements(ctx, confluent.ListOptions{LabelSelector: LabelTable + "=" + labelValue(d.Table, maxLabelValue)})
		if err != nil {
			return fmt.Errorf("list the statements of %s: %w", d.Table, err)
		}
		found := map[string]planner.Statement{}
		for i := range labelled {
			found[labelled[i].Name] = liveStatement(&labelled[i])
		}
		for _, name := range []string{d.DDL, d.DML, d.Drop} {
			if _, ok := found[name]; ok || name == "" {
				continue
			}
			switch st, err := c.GetStatement(ctx, name); {
			case errors.Is(err, confluent.ErrStatementNotFound):
			case err != nil:
				return fmt.Errorf("read statement %s: %w", name, err)
			default:
				found[name] = liveStatement(st)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		maps.Copy(live.Statements, found)
		live.Tables[d.Table] = true
		return nil
	}
	for range min(readParallel, len(desired)) {
		wg.Go(func() {
			for d := range next {
				if err := read(d); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, d := range desired {
		select {
		case next <- d:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return planner.Live{}, err
	}
	var err error
	live.Pools, err = readPools(ctx, c)
	return live, err
}

// ScopedReadPays reports whether ReadLiveOf of tables costs less time than
// ReadLive of an environment deploying about environment tables: the first
// makes about three calls per table (a list, and a read of each name the
// list did not return: a drop helper, a deleted DDL), readParallel tables
// at a time; the second lists about two statements per table, a page of
// 100 (Confluent's largest) per call, one call after the other.
func ScopedReadPays(tables, environment int) bool {
	return 3*tables*100 <= 2*environment*readParallel
}

// liveStatement is a statement as the plan needs it.
func liveStatement(st *confluent.Statement) planner.Statement {
	s := planner.Statement{
		Name:          st.Name,
		Phase:         string(phaseOf(st)),
		ComputePoolID: st.Spec.ComputePoolID,
		Fingerprint:   labelsOf(st)[LabelFingerprint],
		Table:         labelsOf(st)[LabelTable],
		SQL:           st.Spec.Statement,
		Origin:        originOf(st),
	}
	s.Version, _ = strconv.Atoi(labelsOf(st)[LabelVersion])
	if st.Status != nil {
		s.Detail = st.Status.Detail
	}
	s.OffsetsFrom = st.Spec.Properties[PropertyOffsetsFrom]
	if st.Metadata != nil && st.Metadata.CreatedAt != nil {
		s.CreatedAt = *st.Metadata.CreatedAt
	}
	return s
}

func readPools(ctx context.Context, c Client) ([]planner.ComputePool, error) {
	pools, err := c.ListComputePools(ctx)
	if err != nil {
		return nil, fmt.Errorf("list compute pools: %w", err)
	}
	var out []planner.ComputePool
	for _, p := range pools {
		cp := planner.ComputePool{ID: p.ID, Name: p.Spec.DisplayName, MaxCFU: p.Spec.MaxCFU}
		if p.Status != nil {
			cp.Phase, cp.CurrentCFU = p.Status.Phase, p.Status.CurrentCFU
		}
		out = append(out, cp)
	}
	return out, nil
}

// phaseOf is the statement's phase, "" when it has no status.
func phaseOf(st *confluent.Statement) confluent.Phase {
	if st == nil || st.Status == nil {
		return ""
	}
	return st.Status.Phase
}
