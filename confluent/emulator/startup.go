package emulator

import (
	"fmt"
	"strconv"

	"github.com/shiftleft/shiftleft/confluent"
)

// Where a new statement starts reading a table, as Confluent Cloud decides
// it: an OPTIONS hint on the table in the SQL, else the statement property
// sql.tables.scan.startup.mode, else the table's own scan.startup.mode, else
// the earliest offset. sql.tables.initial-offset-from (carry-over) wins over
// all but the hint.

// Statement properties the emulator acts on.
const (
	propInitialOffsetFrom = "sql.tables.initial-offset-from"
	propDryRun            = "sql.dry-run"
	// propTables prefixes the scan.startup options as statement
	// properties. Confluent documents sql.tables.scan.startup.mode; the
	// timestamp and offsets of the same prefix are read by analogy.
	propTables = "sql.tables."
)

// Table options (and hint keys) of the start position.
const (
	optStartupMode    = "scan.startup.mode"
	optStartupMillis  = "scan.startup.timestamp-millis"
	optStartupOffsets = "scan.startup.specific-offsets"
)

// Start modes.
const (
	modeEarliest = "earliest-offset"
	modeLatest   = "latest-offset"
	modeTime     = "timestamp"
	modeOffsets  = "specific-offsets"
)

// startAt is where a statement starts reading a table.
type startAt struct {
	mode   string
	millis int64  // for modeTime
	off    uint64 // partition 0's offset, for modeOffsets
}

// offset is the topic offset the start is at now.
func (s startAt) offset(t *topic) uint64 {
	switch s.mode {
	case modeLatest:
		return t.end
	case modeTime:
		return t.offsetAt(s.millis)
	case modeOffsets:
		return s.off
	}
	return 0
}

// startOf is where st starts reading table whose WITH options are
// tableOpts; an error says which option is wrong, as Flink does.
func startOf(st *statement, table string, tableOpts map[string]string) (startAt, error) {
	sources := []struct {
		opts   map[string]string
		prefix string
	}{{st.Plan.Hints[table], ""}, {st.Properties, propTables}, {tableOpts, ""}}
	for _, src := range sources {
		mode, ok := src.opts[src.prefix+optStartupMode]
		if !ok {
			continue
		}
		s := startAt{mode: mode}
		key := func(k string) string { return src.prefix + k }
		switch mode {
		case modeEarliest, modeLatest:
		case modeTime:
			v, ok := src.opts[key(optStartupMillis)]
			if !ok {
				return s, fmt.Errorf("'%s' is required in 'timestamp' startup mode but missing (table '%s').", key(optStartupMillis), table)
			}
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms < 0 {
				return s, fmt.Errorf("Could not parse value '%s' for key '%s' (table '%s'): want milliseconds since the epoch.", v, key(optStartupMillis), table)
			}
			s.millis = ms
		case modeOffsets:
			v, ok := src.opts[key(optStartupOffsets)]
			if !ok {
				return s, fmt.Errorf("'%s' is required in 'specific-offsets' startup mode but missing (table '%s').", key(optStartupOffsets), table)
			}
			off, err := partitionZero(v)
			if err != nil {
				return s, fmt.Errorf("Invalid properties '%s' should follow the format 'partition:0,offset:42;partition:1,offset:300', but is '%s' (table '%s').",
					key(optStartupOffsets), v, table)
			}
			s.off = off
		default:
			return s, fmt.Errorf("Could not parse value '%s' for key '%s' (table '%s'): want %s, %s, %s or %s.",
				mode, key(optStartupMode), table, modeEarliest, modeLatest, modeTime, modeOffsets)
		}
		return s, nil
	}
	return startAt{mode: modeEarliest}, nil
}

// explicitStart reports whether the SQL gives table a start mode by hint,
// which wins over carried-over offsets.
func explicitStart(st *statement, table string) bool {
	_, ok := st.Plan.Hints[table][optStartupMode]
	return ok
}

// partitionZero is partition 0's offset of Kafka's offsets string: the
// emulator's topics have one partition, so the others have no records to
// start at, and a partition not named starts at the earliest offset, as in
// Flink.
func partitionZero(s string) (uint64, error) {
	offsets, err := confluent.ParseOffsets(s)
	return uint64(offsets[0]), err
}

// formatOffsets is status.latest_offsets of a topic whose next offset to
// read is off, in Confluent's format.
func formatOffsets(off uint64) string { return "partition:0,offset:" + strconv.FormatUint(off, 10) }
