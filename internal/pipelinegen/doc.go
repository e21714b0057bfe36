// Package pipelinegen writes synthetic Flink SQL pipelines trees in the
// layout of shift_left (sources/, intermediates/, dimensions/, facts/ and
// views/, one folder per table holding sql-scripts/ddl.<table>.sql and
// sql-scripts/dml.<table>.sql) and returns the ground truth of what it wrote:
// every table's type, product, parents and statefulness.
//
// It is for tests and benchmarks of the tools that read such trees. The
// output is a pure function of Options: the same Options give a byte-identical
// tree, so a failing test or a benchmark can be reproduced from its seed.
package pipelinegen
