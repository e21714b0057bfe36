// Package flinksql reads Flink SQL the way a deployment tool needs to: it
// tokenizes a script (comments, string literals, backticked identifiers,
// hints) and walks the tokens to find the table a DDL creates, the tables a
// DML writes and reads, whether the statement keeps state, its join
// complexity and a fingerprint of its normalised text.
//
// It is not a full Flink SQL parser. The walker follows the clauses that can
// name a table (FROM lists, joins, sub-queries, CTEs, set operations, window
// and other table functions, temporal joins) and skips the rest of a
// statement (expressions, DDL clauses, statements that name no table read),
// so statements it does not fully understand still yield their table
// references. Where a broken shape would lose a table instead (a word that
// starts no statement, a FROM without its table, a misspelt keyword where a
// clause must start, text after a query), it is an error with its position.
// Parentheses may nest MaxNesting deep, the walker's only recursion, so no
// input can overflow its stack. Decisions are made on tokens, never on raw
// text: a FROM inside a string, a comment saying "JOIN later" or a column
// called user_join changes nothing.
//
// The package is pure: no I/O, no logging.
package flinksql
