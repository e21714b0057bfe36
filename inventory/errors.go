package inventory

import (
	"errors"
	"fmt"
)

var (
	// ErrNoDDL: a sql-scripts folder has no ddl.*.sql file.
	ErrNoDDL = errors.New("no ddl.*.sql file")
	// ErrTwoFiles: a sql-scripts folder has two DDL or two DML files.
	ErrTwoFiles = errors.New("two files of the same kind")
	// ErrEmptySQL: a DDL or DML file holds no statement.
	ErrEmptySQL = errors.New("no SQL statement in the file")
	// ErrNoInsert: a DML file writes no table.
	ErrNoInsert = errors.New("no INSERT INTO statement: a DML must write its table")
	// ErrNoCreate: a DDL-only table whose DDL creates no table.
	ErrNoCreate = errors.New("no CREATE TABLE statement")
	// ErrTableMismatch: the DDL creates one table and the DML writes another.
	ErrTableMismatch = errors.New("DDL and DML name different tables")
	// ErrDuplicateTable: two folders define the same table.
	ErrDuplicateTable = errors.New("table defined twice")
	// ErrNotUTF8: a SQL file is not valid UTF-8.
	ErrNotUTF8 = errors.New("not valid UTF-8")
	// ErrBadSQL: a SQL file does not parse (unterminated string or comment,
	// unbalanced or too deeply nested parentheses, a statement over 4 MB, a
	// clause that is not Flink's shape).
	ErrBadSQL = errors.New("invalid SQL")
	// ErrTooLarge: a SQL file is larger than Confluent Cloud takes in one
	// statement.
	ErrTooLarge = errors.New("SQL file too large")
	// ErrPanic: reading a file hit a bug in shiftleft; the file is named so
	// that it can be reported, and the build fails instead of the process.
	ErrPanic = errors.New("internal error while reading the file (a bug in shiftleft; please report it with the file)")
	// ErrUnknownSink: a DML writes a table that no folder of the tree
	// defines.
	ErrUnknownSink = errors.New("writes a table no folder defines")
	// ErrTwoWriters: two DMLs write one table.
	ErrTwoWriters = errors.New("table written by two DMLs")
	// ErrBadManifest: a seeds/external_tables.json file cannot be used.
	ErrBadManifest = errors.New("invalid external tables file")
	// ErrBadFile: a JSON metadata file cannot be read.
	ErrBadFile = errors.New("invalid metadata file")
)

// FileError is a problem with one file; it names the file and, when known,
// the table.
type FileError struct {
	Path  string
	Table string
	Err   error
}

func (e *FileError) Error() string {
	if e.Table != "" {
		return fmt.Sprintf("%s (table %s): %v", e.Path, e.Table, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }
