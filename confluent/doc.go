// Package confluent is a client of Confluent Cloud for Apache Flink: the
// statements API (sql/v1) and the compute-pools API (fcpm/v2). Requests take a
// context first; retries with backoff, Retry-After and a lost create's 409
// stay inside the client. The same client talks to the local emulator in
// confluent/emulator.
package confluent
