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
	// Name is unique in the environment: lower-case letters, digits, '-'
	// and '.', at most 100 characters.
	Name string
	// SQL is spec.statement, at most 131072 characters.
	SQL string
	// ComputePoolID is optional: without it the environment's default pool
	// runs the statement.
	ComputePoolID string
	// Principal is the user or service account the statement runs as;
	// optional, the caller's identity by default.
	Principal string
	// Properties, such as sql.current-catalog and sql.current-database.
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

const maxSQLLength = 131072

// statementName is the spec's name pattern, anchored.
var statementName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func validateStatementName(name string) error {
	if len(name) > 100 || !statementName.MatchString(name) {
		return fmt.Errorf("%w: statement name %q: want at most 100 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", ErrInvalidRequest, name)
	}
	return nil
}

func (r StatementRequest) validate() error {
	if err := validateStatementName(r.Name); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(r.SQL); n == 0 || n > maxSQLLength {
		return fmt.Errorf("%w: statement %s: SQL must have 1 to %d characters, has %d", ErrInvalidRequest, r.Name, maxSQLLength, n)
	}
	return nil
}
