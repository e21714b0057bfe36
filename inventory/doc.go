// Package inventory turns a pipelines tree into tables: it scans an fs.FS (a
// directory or a git tree) for sql-scripts folders, applies shift_left's
// naming, product and type rules, resolves each table's parents, and reads
// and writes inventory.json and pipeline_definition.json byte for byte as
// shift_left does, so a repo can use both tools.
//
// A [Cache] makes builds of git trees cost what changed: the facts of each
// SQL file are kept by the hash of its content, each table folder's result
// by its path and tree hash, each tree's inventory by its root hash, and a
// build through it equals the full build byte for byte.
//
// It does no network I/O and never logs; oddities come back as Warnings and
// broken files as errors that name the file and the table.
package inventory
