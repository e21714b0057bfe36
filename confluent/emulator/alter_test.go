package emulator

import (
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestAlterTable: an ALTER TABLE in a form Confluent Cloud runs changes the
// catalog and keeps the topic and its records; any other form, or a change
// the schema does not allow, fails as Flink fails it, changing nothing.
func TestAlterTable(t *testing.T) {
	h := start(t, ExternalTables([]string{"raw"}))
	for name, sql := range map[string]string{
		"ddl": "CREATE TABLE t (id STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('kafka.retention.time' = '7 d')",
	} {
		h.create(name, sql)
	}
	h.settle()
	h.mustPhase("ddl", confluent.PhaseCompleted)
	h.create("dml", "INSERT INTO t SELECT id, ts FROM raw")
	h.settle()
	h.records("raw", 100)
	h.tick()
	steps := []step{
		{"ALTER TABLE t MODIFY WATERMARK FOR ts AS ts - INTERVAL '1' SECOND", confluent.PhaseCompleted, ""},
		{"ALTER TABLE t ADD (up AS UPPER(id))", confluent.PhaseCompleted, ""},
		{"ALTER TABLE t ADD (up AS LOWER(id))", confluent.PhaseFailed, "Try to add a column `up` which already exists"},
		{"ALTER TABLE t ADD (n INT)", confluent.PhaseFailed, "not supported by Confluent Cloud"},
		{"ALTER TABLE t MODIFY (id BIGINT)", confluent.PhaseFailed, "not supported by Confluent Cloud"},
		{"ALTER TABLE t DROP WATERMARK", confluent.PhaseCompleted, ""},
		{"ALTER TABLE t DROP WATERMARK", confluent.PhaseFailed, "does not define any watermark strategy"},
		{"ALTER TABLE t MODIFY WATERMARK FOR nope AS nope", confluent.PhaseFailed, "`nope` is not defined"},
		{"ALTER TABLE t SET ('scan.bounded.mode' = 'unbounded')", confluent.PhaseCompleted, ""},
		{"ALTER TABLE t RESET ('kafka.retention.time')", confluent.PhaseCompleted, ""},
	}
	for i, s := range steps {
		name := "alter-" + string(rune('a'+i))
		h.create(name, s.sql)
		h.settle()
		st := h.get(name)
		if st.Status.Phase != s.phase || !strings.Contains(st.Status.Detail, s.detail) {
			t.Fatalf("%s: %s %q, want %s with %q", s.sql, st.Status.Phase, st.Status.Detail, s.phase, s.detail)
		}
	}
	got := h.topic("t")
	if got.Records != 100 || got.Deleted != 0 {
		t.Fatalf("t after the ALTERs: %+v, want its 100 records kept", got)
	}
	if s := h.emu.Schema(testEnv, "t"); s == nil || s.Watermark != nil || len(s.Columns) != 3 || s.Columns[2].Name != "up" ||
		s.Options["scan.bounded.mode"] != "unbounded" || s.Options["kafka.retention.time"] != "" {
		t.Errorf("schema %+v, want no watermark, up added, the option set and the other reset", s)
	}
	if phase, _ := h.phaseOf("dml"); phase != confluent.PhaseRunning {
		t.Errorf("the writer is %s, want RUNNING: ALTER TABLE fails no statement", phase)
	}
}
