package emulator

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/flinksql"
)

// The data plane is a model of Kafka topics, not a SQL engine: every table
// of a catalog is a topic of one partition, a record is only its origin (the
// external topic and offset it first came from), and a running statement
// appends one record to its sink for each record it reads, keeping the
// origin. That is enough to count what a deploy does to data: duplicates
// (an origin twice in a topic), missing records (an origin of the inputs
// absent from the sink) and deleted topics.
//
// Records are kept run-length encoded: consecutive records from consecutive
// offsets of one origin, appended at one instant, are one run. A statement
// copies runs, so the work and the memory of moving records grow with the
// runs, which is at most the number of records.

// run is consecutive records of a topic: N records from offsets First to
// First+N-1 of the origin Src, appended at At (Unix milliseconds on the
// emulator's clock).
type run struct {
	Src   uint32
	First uint64
	N     uint64
	At    int64
	// start is the topic offset of the first record: the sum of the N of
	// the runs before, rebuilt on load.
	start uint64
}

// encodeRuns is records as a state file holds them: base64 of varints, four
// a run (origin, first offset, count, time since the previous run), a few
// bytes a run. It is a plain JSON string, which encoding/json writes far
// faster than what a MarshalJSON returns (that it scans again): a state of
// millions of runs is written in a fraction of the time.
func encodeRuns(runs []run) string {
	buf := make([]byte, 0, 8*len(runs))
	var at int64
	for _, r := range runs {
		buf = binary.AppendUvarint(buf, uint64(r.Src))
		buf = binary.AppendUvarint(buf, r.First)
		buf = binary.AppendUvarint(buf, r.N)
		buf = binary.AppendVarint(buf, r.At-at)
		at = r.At
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func decodeRuns(s string) ([]run, error) {
	vals, err := varints(s, 4)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	out := make([]run, 0, len(vals)/4)
	var at int64
	for i := 0; i < len(vals); i += 4 {
		at += int64(vals[i+3])
		r := run{Src: uint32(vals[i]), First: vals[i+1], N: vals[i+2], At: at}
		if vals[i] > math.MaxUint32 || r.N == 0 || r.First+r.N < r.First {
			return nil, fmt.Errorf("records: run %d (%d, %d, %d) is empty or out of range", i/4, vals[i], r.First, r.N)
		}
		out = append(out, r)
	}
	return out, nil
}

// varints reads base64 of varints, a multiple of per of them. The fourth of
// each group of four is signed (zig-zag), as encodeRuns writes it.
func varints(s string, per int) ([]uint64, error) {
	buf, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var out []uint64
	for len(buf) > 0 {
		var v uint64
		var n int
		if per == 4 && len(out)%4 == 3 {
			var sv int64
			sv, n = binary.Varint(buf)
			v = uint64(sv)
		} else {
			v, n = binary.Uvarint(buf)
		}
		if n <= 0 {
			return nil, errors.New("a truncated varint")
		}
		out, buf = append(out, v), buf[n:]
	}
	if len(out)%per != 0 {
		return nil, fmt.Errorf("%d numbers, not groups of %d", len(out), per)
	}
	return out, nil
}

// topic is the Kafka topic of a table. It outlives the table: DROP TABLE
// deletes its records and counts the deletion, and a table created again
// under the name gets an empty topic with a new origin.
type topic struct {
	// Source identifies the records appended to the topic as an external
	// one (no statement writes it): their origin is (Source, offset).
	Source uint32 `json:"source"`
	Runs   []run  `json:"-"`
	// Records is Runs as the state file holds them (encodeRuns), set only
	// while the model is encoded or decoded.
	Records string `json:"records,omitempty"`
	Deleted int    `json:"deleted,omitempty"`
	// Options are the WITH options of the CREATE TABLE, keys lower-cased:
	// a table's scan.startup.mode is one.
	Options map[string]string `json:"options,omitempty"`
	// Schema is what the table's CREATE TABLE declared, as ALTER TABLE
	// changed it since; nil for a table no plain CREATE TABLE made (a CTAS,
	// one declared through /_emulator/tables).
	Schema *flinksql.TableSchema `json:"schema,omitempty"`
	end    uint64
}

// decode reads the records of a state file, and rebuilds the runs' start
// offsets and the end offset.
func (t *topic) decode() error {
	runs, err := decodeRuns(t.Records)
	if err != nil {
		return err
	}
	t.Runs, t.Records = runs, ""
	t.reindex()
	return nil
}

func (t *topic) reindex() {
	t.end = 0
	for i := range t.Runs {
		t.Runs[i].start = t.end
		t.end += t.Runs[i].N
	}
}

// append adds the records of runs at the end, stamped at, merging a run
// that continues the last one.
func (t *topic) append(runs []run, at int64) {
	for _, r := range runs {
		if n := len(t.Runs); n > 0 {
			last := &t.Runs[n-1]
			if last.Src == r.Src && last.First+last.N == r.First && last.At == at {
				last.N += r.N
				t.end += r.N
				continue
			}
		}
		t.Runs = append(t.Runs, run{Src: r.Src, First: r.First, N: r.N, At: at, start: t.end})
		t.end += r.N
	}
}

// produce appends n new records of the topic's own origin.
func (t *topic) produce(n uint64, at int64) {
	t.append([]run{{Src: t.Source, First: t.end, N: n}}, at)
}

// from returns a copy of the records from offset off to the end.
func (t *topic) from(off uint64) []run {
	if off >= t.end {
		return nil
	}
	i, _ := slices.BinarySearchFunc(t.Runs, off, func(r run, off uint64) int {
		if r.start+r.N <= off {
			return -1
		}
		if r.start > off {
			return 1
		}
		return 0
	})
	out := slices.Clone(t.Runs[i:])
	skip := off - out[0].start
	out[0].First += skip
	out[0].N -= skip
	out[0].start = off
	return out
}

// offsetAt is the offset of the first record appended at or after ms.
func (t *topic) offsetAt(ms int64) uint64 {
	i, _ := slices.BinarySearchFunc(t.Runs, ms, func(r run, ms int64) int { return cmp.Compare(r.At, ms) })
	if i == len(t.Runs) {
		return t.end
	}
	return t.Runs[i].start
}

// clear deletes every record, as DROP TABLE deletes the topic; later records
// get a new origin.
func (t *topic) clear(source uint32) {
	t.Runs, t.end, t.Options, t.Schema, t.Source = nil, 0, nil, nil, source
	t.Deleted++
}

// span is the offsets [Lo, Hi) of one origin.
type span struct{ Lo, Hi uint64 }

// origins is a set of origins: for each source, sorted disjoint spans.
type origins map[uint32][]span

// add puts the offsets [lo, hi) of src in the set. Records mostly come in
// order, so a span at or after the last one is appended or merged at once.
func (o origins) add(src uint32, lo, hi uint64) {
	spans := o[src]
	n := len(spans)
	if n == 0 || lo > spans[n-1].Hi {
		o[src] = append(spans, span{lo, hi})
		return
	}
	if lo >= spans[n-1].Lo {
		spans[n-1].Hi = max(spans[n-1].Hi, hi)
		return
	}
	// Out of order: merge every span that overlaps or touches [lo, hi).
	i, _ := slices.BinarySearchFunc(spans, lo, func(s span, lo uint64) int { return cmp.Compare(s.Hi, lo) })
	j := i
	for j < n && spans[j].Lo <= hi {
		lo, hi = min(lo, spans[j].Lo), max(hi, spans[j].Hi)
		j++
	}
	o[src] = slices.Replace(spans, i, j, span{lo, hi})
}

// addRuns puts the origins of runs in the set.
func (o origins) addRuns(runs []run) {
	for _, r := range runs {
		o.add(r.Src, r.First, r.First+r.N)
	}
}

// count is the number of origins in the set.
func (o origins) count() uint64 {
	var n uint64
	for _, spans := range o {
		for _, s := range spans {
			n += s.Hi - s.Lo
		}
	}
	return n
}

// missingFrom counts the origins of o that other lacks.
func (o origins) missingFrom(other origins) uint64 {
	var n uint64
	for src, spans := range o {
		have := other[src]
		j := 0
		for _, s := range spans {
			lo := s.Lo
			for lo < s.Hi {
				for j < len(have) && have[j].Hi <= lo {
					j++
				}
				if j == len(have) || have[j].Lo >= s.Hi {
					n += s.Hi - lo
					break
				}
				if have[j].Lo > lo {
					n += have[j].Lo - lo
				}
				lo = have[j].Hi
			}
		}
	}
	return n
}

// originsOf is the set of origins of the records of runs, built by sorting
// the spans of each source once: a topic's records come in any order of
// origins.
func originsOf(runs []run) origins {
	bySrc := map[uint32][]span{}
	for _, r := range runs {
		bySrc[r.Src] = append(bySrc[r.Src], span{r.First, r.First + r.N})
	}
	o := origins{}
	for src, spans := range bySrc {
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.Lo, b.Lo) })
		merged := spans[:1]
		for _, s := range spans[1:] {
			last := &merged[len(merged)-1]
			if s.Lo <= last.Hi {
				last.Hi = max(last.Hi, s.Hi)
				continue
			}
			merged = append(merged, s)
		}
		o[src] = merged
	}
	return o
}

// MarshalJSON writes the set as base64 varints, three per span (source,
// start, length), in source order.
func (o origins) MarshalJSON() ([]byte, error) {
	var buf []byte
	for _, src := range slices.Sorted(maps.Keys(o)) {
		for _, s := range o[src] {
			buf = binary.AppendUvarint(buf, uint64(src))
			buf = binary.AppendUvarint(buf, s.Lo)
			buf = binary.AppendUvarint(buf, s.Hi-s.Lo)
		}
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(buf))
}

func (o *origins) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("origins: %w", err)
	}
	vals, err := varints(s, 3)
	if err != nil {
		return fmt.Errorf("origins: %w", err)
	}
	*o = origins{}
	for i := 0; i < len(vals); i += 3 {
		src, lo, n := vals[i], vals[i+1], vals[i+2]
		if src > math.MaxUint32 || n == 0 || lo+n < lo {
			return fmt.Errorf("origins: span (%d, %d, %d) is empty or out of range", src, lo, n)
		}
		o.add(uint32(src), lo, lo+n)
	}
	return nil
}

// TopicStats is what GET /_emulator/topics/{table} answers.
type TopicStats struct {
	Exists          bool   `json:"exists"`
	Records         uint64 `json:"records"`
	DistinctOrigins uint64 `json:"distinct_origins"`
	Duplicates      uint64 `json:"duplicates"`
	// Missing counts the origins in the inputs of the statements that write
	// the table but not in the table: records they skipped.
	Missing uint64 `json:"missing"`
	// Deleted counts the times the topic was deleted by DROP TABLE.
	Deleted int `json:"deleted"`
}

// stats counts the records of table in environment id, which a read does
// not create: an environment never used has only the global tables, empty.
func (m *model) stats(id, table string) TopicStats {
	if env := m.Environments[id]; env != nil {
		return env.stats(table)
	}
	return TopicStats{Exists: slices.Contains(m.GlobalTables, table)}
}

// stats counts the records of table in env.
func (env *environment) stats(table string) TopicStats {
	s := TopicStats{Exists: env.Tables[table]}
	t := env.Topics[table]
	if t == nil {
		return s
	}
	have := originsOf(t.Runs)
	s.Records, s.DistinctOrigins, s.Deleted = t.end, have.count(), t.Deleted
	s.Duplicates = s.Records - s.DistinctOrigins
	inputs := origins{}
	for _, in := range env.inputsOf(table) {
		if it := env.Topics[in]; it != nil {
			inputs.addRuns(it.Runs)
		}
	}
	s.Missing = inputs.missingFrom(have)
	return s
}

// inputsOf lists the tables read by the flows that write table, in the
// statements that are not being deleted.
func (env *environment) inputsOf(table string) []string {
	var out []string
	for _, name := range env.names {
		st := env.Statements[name]
		if st.Phase == confluent.PhaseDeleting {
			continue
		}
		for _, f := range st.Plan.Flows {
			if slices.Contains(f.Writes, table) {
				for _, r := range f.Reads {
					if !slices.Contains(out, r) {
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
}

// writer is a statement of env that writes table, not being deleted; nil if
// none.
func (env *environment) writer(table string) *statement {
	for _, name := range env.names {
		st := env.Statements[name]
		if st.Phase != confluent.PhaseDeleting && slices.Contains(st.Plan.sinks(), table) {
			return st
		}
	}
	return nil
}

// topic returns the topic of table, creating it empty on first use.
func (m *model) topic(env *environment, table string) *topic {
	if t := env.Topics[table]; t != nil {
		return t
	}
	t := &topic{Source: m.nextSource()}
	env.Topics[table] = t
	return t
}

func (m *model) nextSource() uint32 {
	m.LastSource++
	return m.LastSource
}

// ms is t in Unix milliseconds, as record timestamps are.
func ms(t time.Time) int64 { return t.UnixMilli() }

// encode is the model as the state file holds it.
func (m *model) encode() ([]byte, error) {
	for _, env := range m.Environments {
		for _, t := range env.Topics {
			t.Records = encodeRuns(t.Runs)
		}
	}
	data, err := json.Marshal(m)
	for _, env := range m.Environments {
		for _, t := range env.Topics {
			t.Records = ""
		}
	}
	return data, err
}
