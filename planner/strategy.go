package planner

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

// Strategy is how a plan changes a table that runs other SQL.
type Strategy string

const (
	// StrategyVersion is the default, the one that loses nothing: a
	// stateless DML is replaced by a new statement that carries over the
	// running one's offsets; a change that must rebuild a table's state
	// needs a drop, which the plan makes only with permission.
	StrategyVersion Strategy = "version"
	// StrategyInPlace is StrategyVersion, except that a table with a
	// primary key (an upsert table) whose DDL did not change gets its new
	// DML in the same table: the reprocessed rows are upserts.
	StrategyInPlace Strategy = "in-place"
	// StrategyRecreate is shift_left's behaviour: a stateless DML restarts
	// under its name from the earliest offset, a stateful table is dropped
	// and created again. Dropping needs permission (AllowDrop).
	StrategyRecreate Strategy = "recreate"
)

// ErrInvalidStrategy: a strategy is none of version, in-place, recreate, or
// a table's allow_drop is not a boolean.
var ErrInvalidStrategy = errors.New("invalid deploy setting")

// ErrDropNotAllowed: the plan would run DROP TABLE, deleting a topic, its
// records and its schemas, without permission to drop. See [DropError].
var ErrDropNotAllowed = errors.New("the plan drops topics without permission")

// Keys of a table's .properties files that shiftleft reads and never sends
// to Confluent Cloud as statement properties.
const (
	// PropertyStrategy is the table's strategy (a [Strategy]).
	PropertyStrategy = "strategy"
	// PropertyAllowDrop, "true", lets a plan drop the table's topic.
	PropertyAllowDrop = "allow_drop"
)

// PlanProperty reports whether a .properties key is read by the planner,
// not a statement property.
func PlanProperty(key string) bool { return key == PropertyStrategy || key == PropertyAllowDrop }

// ParseStrategy reads a strategy as the command line or a file gives it;
// "" is the default.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(strings.TrimSpace(s)); st {
	case "", StrategyVersion, StrategyInPlace, StrategyRecreate:
		return st, nil
	}
	return "", fmt.Errorf("%w: %q: want version, in-place or recreate", ErrInvalidStrategy, s)
}

// tableSetting is a planner key of a table's .properties files, the DML's
// winning over the DDL's, and the file it came from.
func tableSetting(t *inventory.Table, key string) (value, ref string) {
	if v, ok := t.DMLProperties[key]; ok {
		return v, t.DMLRef
	}
	if v, ok := t.DDLProperties[key]; ok {
		return v, t.DDLRef
	}
	return "", ""
}

// checkSettings refuses a table whose strategy or allow_drop does not
// parse, before anything is planned.
func checkSettings(g *pipeline.Graph) error {
	for _, n := range g.Order() {
		t, _ := g.Table(n)
		if v, ref := tableSetting(t, PropertyStrategy); ref != "" {
			if _, err := ParseStrategy(v); err != nil {
				return fmt.Errorf("%s (%s): %s: %w", n, propertiesOf(ref), PropertyStrategy, err)
			}
		}
		if v, ref := tableSetting(t, PropertyAllowDrop); ref != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%w: %s (%s): %s is %q, want true or false", ErrInvalidStrategy, n, propertiesOf(ref), PropertyAllowDrop, v)
			}
		}
	}
	return nil
}

func propertiesOf(ref string) string { return strings.TrimSuffix(ref, ".sql") + ".properties" }

// strategy is the table's strategy: the deploy's (--strategy), else the
// table's own, else the configuration's, else the default.
func (b *builder) strategy(t *inventory.Table) Strategy {
	if b.opts.Strategy != "" {
		return b.opts.Strategy
	}
	if v, ref := tableSetting(t, PropertyStrategy); ref != "" && v != "" {
		return Strategy(v) // checkSettings vetted it
	}
	if b.opts.ConfigStrategy != "" {
		return b.opts.ConfigStrategy
	}
	return StrategyVersion
}

// allowDrop says whether the plan may drop the table's topic: the deploy
// or the configuration allows drops, or the table does.
func (b *builder) allowDrop(t *inventory.Table) bool {
	if b.opts.AllowDrop {
		return true
	}
	v, _ := tableSetting(t, PropertyAllowDrop)
	ok, _ := strconv.ParseBool(v)
	return ok
}

// DropError lists the tables whose topic a plan would drop without
// permission; it wraps [ErrDropNotAllowed].
type DropError struct {
	Refused []RefusedDrop
}

// RefusedDrop is one topic a plan would drop, and why it would.
type RefusedDrop struct {
	Table  string `json:"table"`
	Reason string `json:"reason"`
}

func (e *DropError) Error() string {
	parts := make([]string, len(e.Refused))
	for i, r := range e.Refused {
		parts[i] = "topic " + r.Table + " (" + r.Reason + ")"
	}
	return fmt.Sprintf("%s: it would drop %s; nothing was changed", ErrDropNotAllowed, strings.Join(parts, ", "))
}

func (e *DropError) Unwrap() error { return ErrDropNotAllowed }

// checkDrops refuses a plan that runs DROP TABLE on a table nobody allowed
// to drop. A drop an interrupted recreate already ran is finished whatever
// the permission: its topic is gone already.
func (b *builder) checkDrops(p *Plan) error {
	var refused []RefusedDrop
	for _, a := range p.Actions {
		if !dropsTopic(a) {
			continue
		}
		t, _ := b.g.Table(a.Table)
		if b.state(t).dropped || b.allowDrop(t) {
			continue
		}
		refused = append(refused, RefusedDrop{Table: PhysicalName(a.Table, b.state(t).desired.Version), Reason: string(a.Kind) + ": " + a.Reason})
	}
	if len(refused) > 0 {
		return &DropError{Refused: refused}
	}
	return nil
}

func dropsTopic(a Action) bool {
	return slices.ContainsFunc(a.Steps, func(s Step) bool { return s.Kind == DropTable })
}

// consequence says what the action does to the table's data, as a person
// reviewing the plan needs to read it.
func (b *builder) consequence(t *inventory.Table, s state, kind ActionKind) string {
	topic := PhysicalName(t.Name, s.desired.Version)
	rebuild := "rebuilds it from the earliest offset of its inputs"
	switch kind {
	case Skip:
		return "none: its data is left as it is"
	case Drop:
		return "drops topic " + topic + " (its records and schema)"
	case Recreate:
		return "drops topic " + topic + " (its records and schema), then " + rebuild
	case RestartDML:
		return "restarts its DML from the earliest offset (" + b.whyEarliest(t, s) + "): " + topic + " receives every input record again (duplicates)"
	case CarryOver:
		return "carries over offsets from " + s.carry.from + ": " + s.carry.into + " reads on where it stopped, nothing read twice or skipped; " +
			s.carry.from + " is " + b.kept()
	case Alter:
		return b.alterConsequence(t, s)
	case NewVersion:
		return b.newVersionConsequence(t, s)
	case InPlace:
		return "in place: reprocesses from the earliest offset into the same keyed table " + topic +
			" (its rows are upserted again, none deleted); " + s.dml.Name + " is stopped and " + b.kept()
	}
	switch {
	case !s.dropped && slices.ContainsFunc(b.steps(t, s, kind), func(s Step) bool { return s.Kind == DropTable }):
		// A table created over one that exists with another DDL.
		return "drops topic " + topic + " (its records and schema): it exists with another DDL; then " + rebuild
	case s.dropped:
		return "its topic was dropped by an interrupted recreate: creates it again and " + rebuild
	case !s.exists:
		return "creates topic " + topic + " and fills it from the earliest offset of its inputs"
	case t.DMLRef == "":
		return "none: creates its DDL statement over the existing topic"
	case s.underway:
		return "none: waits for " + s.sync.Statement + ", already created with this SQL"
	}
	return "starts its DML from the earliest offset (" + b.whyEarliest(t, s) + ")"
}

// kept says what becomes of a replaced DML.
func (b *builder) kept() string {
	if b.opts.KeepStopped == 0 {
		return "then deleted (--keep-stopped 0)"
	}
	return "kept stopped as a rollback point"
}

// whyEarliest says why a new DML of an existing table starts at the
// earliest offset rather than carrying over the offsets of the one before.
func (b *builder) whyEarliest(t *inventory.Table, s state) string {
	switch {
	case s.carry == nil:
		return s.noCarry
	case b.strategy(t) == StrategyRecreate:
		return "strategy recreate"
	}
	return "its input is dropped and filled again"
}
