// Package deployments runs a [planner.Plan] against Confluent Cloud for
// Apache Flink through a [Client] (the confluent package's client, or the
// local emulator behind it), and reads the live state the planner needs
// ([ReadLive]).
//
// A [Runner] starts each action as soon as the actions of the tables in its
// After list have succeeded, at most MaxParallel at a time; a failure stops
// that table's descendants while independent branches finish. Every step is
// idempotent: statements carry labels (the table, the fingerprint of their
// SQL, the commit deployed), so a run that crashed at any point is finished
// by running the same plan again, without creating a statement twice.
package deployments
