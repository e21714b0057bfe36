// Package emulator is an in-process fake of Confluent Cloud for Apache Flink:
// an http.Handler that speaks the statements API (sql/v1) and the compute
// pools API (fcpm/v2) with the wire types of package confluent, and enforces
// the rules a deployment depends on. Each environment has its own catalog of
// tables: a CREATE TABLE that already exists fails, an INSERT whose tables do
// not exist fails naming the missing one, and each running statement takes
// one CFU of its compute pool, so a full pool keeps new statements PENDING.
// A dry run (sql.dry-run) is checked as Flink's validator would, functions
// and columns included where the tokens leave no doubt (validate.go), and
// the dry runs of one session see the DDLs that passed before them
// (catalog.go).
//
// Each table is a Kafka topic of records (data.go): a record is only its
// origin, and a running statement copies the records of its inputs to its
// sink when records are moved (Tick, or ProcessInterval), from where its
// start mode or a carry-over says (startup.go). So duplicates, missing
// records and topics deleted by DROP TABLE can be counted. Stop and resume
// keep offsets and state; Confluent's limits and quotas are enforced
// (limits.go).
//
// Phases change a configurable latency after the previous change, measured on
// an injectable clock, which the admin routes can move forward; state
// advances lazily on every request (and on a timer when the clock is the real
// one). Routes under /_emulator/ inspect and steer it: state, counters,
// reset, extra tables, records, ticks, the clock and fault injection
// (throttling, unavailability, lost responses, slow answers, failing and
// degraded statements). Routes lists them all.
//
// Tests of the client, deployments and the worker run against it over
// httptest.Server; a shiftleft emulator command is to serve it for demos
// and benchmarks.
package emulator
