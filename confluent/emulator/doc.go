// Package emulator is an in-process fake of Confluent Cloud for Apache Flink:
// an http.Handler that speaks the statements API (sql/v1) and the compute
// pools API (fcpm/v2) with the wire types of package confluent, and enforces
// the rules a deployment depends on. Each environment has its own catalog of
// tables: a CREATE TABLE that already exists fails, an INSERT whose tables do
// not exist fails naming the missing one, dropping a table fails the
// statements that use it, and each running statement takes one CFU of its
// compute pool, so a full pool keeps new statements PENDING.
//
// Phases change a configurable latency after the previous change, measured on
// an injectable clock; state advances lazily on every request (and on a timer
// when the clock is the real one). Routes under /_emulator/ inspect and steer
// it: state, counters, reset, extra tables and fault injection (throttling,
// unavailability, lost responses, slow answers, failing statements).
//
// Tests of the client, deployments and the worker run against it over
// httptest.Server; a shiftleft emulator command is to serve it for demos
// and benchmarks.
package emulator
