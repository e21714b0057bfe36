package confluent

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// StatementRequest is what [Client.CreateStatement] sends: the writable
// fields of a statement. The organization and environment are the
// client's.
type StatementRequest struct {
	// Name is unique in the environment: at most MaxNameLength lower-case
	// letters, digits and '-', starting and ending with a letter or a digit,
	// as Confluent's docs have it (the spec allows 100 characters and '.').
	Name string
	// SQL is spec.statement, at most MaxSQLLength characters.
	SQL string
	// ComputePoolID is optional: without it the environment's default pool
	// runs the statement.
	ComputePoolID string
	// Principal is the user or service account the statement runs as;
	// optional, the caller's identity by default.
	Principal string
	// Properties, such as sql.current-catalog and sql.current-database,
	// and the Property* names of this package.
	Properties map[string]string
	// Labels go to metadata.labels, the one metadata field sql.v1.Statement
	// re-declares beside the read-only StatementObjectMeta; they are what
	// ListOptions.LabelSelector filters on.
	Labels map[string]string
}

// ListOptions filters [Client.ListStatements]; empty fields do not filter.
type ListOptions struct {
	// ComputePoolID keeps the statements of one pool (spec.compute_pool_id).
	ComputePoolID string
	// LabelSelector is sent as label_selector, e.g. "team=sales" or
	// "user.confluent.io/hidden!=true".
	LabelSelector string
}

// Limits of a statement Confluent Cloud creates.
const (
	// MaxNameLength is the longest name of a new statement (Confluent's
	// docs; the spec says 100).
	MaxNameLength = 72
	// MaxSQLLength is the most characters of spec.statement (the spec's
	// maxLength).
	MaxSQLLength = 131072
)

// Statement properties Confluent Cloud acts on.
const (
	// PropertyInitialOffsetFrom names a statement whose offsets a new one
	// starts from once that one is STOPPED (carry-over; stateless
	// statements only). The new one waits PENDING until then, and fails
	// after six hours.
	PropertyInitialOffsetFrom = "sql.tables.initial-offset-from"
	// PropertyStartupMode is where a new statement starts reading its
	// tables: earliest-offset (the default), latest-offset, timestamp or
	// specific-offsets. A table's /*+ OPTIONS('scan.startup.mode'=...) */
	// hint wins over it.
	PropertyStartupMode = "sql.tables.scan.startup.mode"
	// PropertyDryRun "true" makes the server parse and validate the
	// statement and answer COMPLETED or FAILED, without running it.
	PropertyDryRun = "sql.dry-run"
)

// LabelDryRunSession groups dry runs: the shiftleft emulator checks each
// dry run carrying a value of this label against the catalog as the earlier
// dry runs of the same value would have changed it (a DDL that passed
// counts for the DML validated after it), and changes nothing. Confluent
// Cloud keeps labels as any other and checks each dry run against the
// catalog as it is.
const LabelDryRunSession = "shiftleft.dry-run-session"

// specName is the spec's name pattern, which existing statements follow.
var specName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// newName is the docs' pattern for the name of a new statement.
var newName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validateStatementName checks the name of a statement that may exist: the
// spec's rules, so that a statement made under them can still be managed.
func validateStatementName(name string) error {
	if len(name) > 100 || !specName.MatchString(name) {
		return fmt.Errorf("%w: statement name %q: want at most 100 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", ErrInvalidRequest, name)
	}
	return nil
}

func (r StatementRequest) validate() error {
	switch {
	case len(r.Name) > MaxNameLength:
		return fmt.Errorf("%w: %w: statement name %q has %d characters, the most is %d", ErrInvalidRequest, ErrNameTooLong, r.Name, len(r.Name), MaxNameLength)
	case !newName.MatchString(r.Name):
		return fmt.Errorf("%w: statement name %q: want lower-case letters, digits and '-', starting and ending with a letter or digit", ErrInvalidRequest, r.Name)
	}
	switch n := utf8.RuneCountInString(r.SQL); {
	case n == 0:
		return fmt.Errorf("%w: statement %s: no SQL", ErrInvalidRequest, r.Name)
	case n > MaxSQLLength:
		return fmt.Errorf("%w: %w: statement %s has %d characters of SQL, the most is %d", ErrInvalidRequest, ErrSQLTooLong, r.Name, n, MaxSQLLength)
	}
	return nil
}
