package deployments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/internal/backoff"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
	"github.com/shiftleft/shiftleft/planner"
)

// Validator is what a validation needs of a client; *confluent.Client has
// it.
type Validator interface {
	ValidateStatement(ctx context.Context, r confluent.StatementRequest) error
}

// Check is the dry run of one statement.
type Check struct {
	Table string `json:"table"`
	// Kind is "ddl" or "dml".
	Kind string `json:"kind"`
	// File is the statement's file, pipelines-relative like
	// inventory.Table's refs.
	File string `json:"file"`
	// Line is the line of File that Flink's error names, or where the
	// statement starts when it names none (or the statement is valid).
	Line int `json:"line"`
	// Error is Flink's answer when it rejects the statement; "" when the
	// statement is valid, or could not be checked.
	Error string `json:"error,omitempty"`
	// Unchecked says why the target could not check the statement: it
	// uses a table this change creates or replaces, and the target checks
	// each dry run against its tables as they are (Confluent Cloud: see
	// [Validate]). "" when it was checked.
	Unchecked string `json:"unchecked,omitempty"`
}

// Valid reports whether Flink did not reject the statement.
func (c Check) Valid() bool { return c.Error == "" }

// Location is "file:line".
func (c Check) Location() string { return c.File + ":" + strconv.Itoa(c.Line) }

// UnknownTable is a table the pipelines read that neither the tree
// defines nor the target has: a misspelt name, or a topic not declared.
type UnknownTable struct {
	Table string `json:"table"`
	// ReadBy are the checked tables that read it.
	ReadBy []string `json:"read_by"`
}

// Validation is what the dry runs of a change found.
type Validation struct {
	// Checks are in dependency order, a table's DDL before its DML.
	Checks []Check `json:"checks"`
	// Unknown are the tables read that nothing has.
	Unknown []UnknownTable `json:"unknown_tables,omitempty"`
}

// Invalid counts the statements rejected and the unknown tables.
func (v *Validation) Invalid() int {
	n := len(v.Unknown)
	for _, c := range v.Checks {
		if !c.Valid() {
			n++
		}
	}
	return n
}

// ValidateRequest says what to validate, and how statements are made.
type ValidateRequest struct {
	// Tree is the pipelines folder (rooted as inventory.Build reads it).
	Tree fs.FS
	// Graph is the tree's graph.
	Graph *pipeline.Graph
	// Changes are the tables to check and which of their files changed:
	// a new table or a changed DDL has its DDL checked, then its DML; a
	// changed DML has its DML checked.
	Changes []planner.Change
	// Naming names the dry runs as the deploy names the statements.
	Naming planner.Naming
	// Properties every statement gets (sql.current-catalog...), under
	// the files' own; ComputePoolID and Principal as a deploy sets them.
	Properties    map[string]string
	ComputePoolID string
	Principal     string
}

// validateAttempts bounds the dry runs of one statement that fail with a
// Retryable error, after the client's own retries.
const validateAttempts = 5

// Validate dry-runs (property sql.dry-run) the new and changed statements
// of req.Changes against the target, in dependency order, and reports what
// Flink says of each; nothing is created. The dry runs of one call share a
// session (label [confluent.LabelDryRunSession]): where the target honours
// it (the shiftleft emulator) a new table's DDL counts for its DML and its
// readers'. A changed DDL is checked as the replacement of its table: a
// dry run of DROP TABLE IF EXISTS comes first. Tables the checked ones read
// that the tree does not define are looked up on the target first, and
// reported when it has none of them either.
//
// A target that does not honour the session (Confluent Cloud) rejects the
// DML of a table the change creates, because the table does not exist yet:
// when a statement that uses a table created or replaced in the session is
// rejected, a probe (a dry run creating a table, then one reading it) tells
// whether the target honours sessions; when it does not, the statement is
// reported Unchecked, with Flink's answer, rather than invalid.
//
// A rejected statement is a result, not an error; the error is for a
// target that cannot answer (Retryable errors that outlast the retries, an
// authentication failure) or a file that cannot be read.
func Validate(ctx context.Context, c Validator, req ValidateRequest) (*Validation, error) {
	v := &validation{c: c, req: req, session: newSession(), res: &Validation{Checks: []Check{}},
		load: TreeLoader(req.Tree, req.Graph.Inventory()), touched: map[string]bool{}}
	changes := map[string]planner.Change{}
	for _, ch := range req.Changes {
		changes[ch.Table] = ch
	}
	inv := req.Graph.Inventory()
	var order []*inventory.Table
	for _, name := range req.Graph.Order() {
		if t := inv.Tables[name]; t != nil && !t.External() && t.Name != inventory.NoTable {
			if _, ok := changes[name]; ok {
				order = append(order, t)
			}
		}
	}
	if err := v.unknown(ctx, order); err != nil {
		return nil, err
	}
	for _, t := range order {
		ch := changes[t.Name]
		if (ch.New || ch.DDL) && t.DDLRef != "" {
			if !ch.New {
				drop := "DROP TABLE IF EXISTS " + quote(t.Name)
				if err := v.dryRun(ctx, req.Naming.Drop(t.Name), drop, nil); err != nil && !isRejection(err) {
					return nil, err
				}
				v.touched[t.Name] = true
			}
			if err := v.check(ctx, t, "ddl", t.DDLRef, req.Naming.DDL(t.Name, t.Product), []string{t.Name}); err != nil {
				return nil, err
			}
		}
		if t.DMLRef != "" && (ch.New || ch.DDL || ch.DML) {
			uses := slices.Concat(t.Parents, []string{t.Name}, t.AlsoWrites)
			if err := v.check(ctx, t, "dml", t.DMLRef, req.Naming.DML(t.Name, t.Product), uses); err != nil {
				return nil, err
			}
		}
	}
	return v.res, nil
}

type validation struct {
	c       Validator
	req     ValidateRequest
	session string
	res     *Validation
	load    Loader
	// touched are the tables the session created or dropped.
	touched map[string]bool
	// honoured is whether the target honours the session, once probed.
	honoured *bool
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// newSession is a fresh session label value: 32 hex digits.
func newSession() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// unknown looks up the tables the checked ones read that the tree does not
// define (inventory's synthesized external tables), with a dry run of a
// query over each.
func (v *validation) unknown(ctx context.Context, tables []*inventory.Table) error {
	inv := v.req.Graph.Inventory()
	readers := map[string][]string{}
	var refs []string
	for _, t := range tables {
		for _, p := range t.Parents {
			if pt := inv.Tables[p]; pt != nil && pt.Synthesized {
				if readers[p] == nil {
					refs = append(refs, p)
				}
				readers[p] = append(readers[p], t.Name)
			}
		}
	}
	for _, ref := range refs {
		sql := "SELECT * FROM " + quote(ref)
		err := v.dryRun(ctx, v.req.Naming.DDL(ref, ""), sql, nil)
		switch {
		case isRejection(err):
			v.res.Unknown = append(v.res.Unknown, UnknownTable{Table: ref, ReadBy: readers[ref]})
		case err != nil:
			return err
		}
	}
	return nil
}

// check dry-runs the statement of one file, which uses the tables uses.
func (v *validation) check(ctx context.Context, t *inventory.Table, kind, ref, name string, uses []string) error {
	src, err := fs.ReadFile(v.req.Tree, strings.TrimPrefix(ref, v.req.Graph.Inventory().Root+"/"))
	if err != nil {
		return fmt.Errorf("validate %s: %w", ref, err)
	}
	sql, props, err := v.load(ref)
	if err != nil {
		return fmt.Errorf("validate %s: %w", ref, err)
	}
	// The SQL is the file's end, the SET statements that open it taken
	// off: Flink counts its lines from there.
	start := 1 + strings.Count(string(src[:len(src)-len(sql)]), "\n")
	c := Check{Table: t.Name, Kind: kind, File: ref, Line: start}
	err = v.dryRun(ctx, name, sql, props)
	switch {
	case isRejection(err):
		msg := rejection(err)
		if line, ok := flinkLine(msg); ok {
			c.Line = start + line - 1
		}
		var needs []string
		for _, u := range uses {
			if v.touched[u] && !slices.Contains(needs, u) {
				needs = append(needs, u)
			}
		}
		honoured := true
		if len(needs) > 0 {
			if honoured, err = v.honours(ctx); err != nil {
				return fmt.Errorf("validate %s: %w", ref, err)
			}
		}
		if honoured {
			c.Error = msg
		} else {
			c.Unchecked = fmt.Sprintf("uses %s, which this change creates or replaces, and the target checks a dry run "+
				"against its tables as they are; Flink said: %s", strings.Join(needs, ", "), msg)
		}
	case err != nil:
		return fmt.Errorf("validate %s: %w", ref, err)
	case kind == "ddl":
		v.touched[t.Name] = true
	}
	v.res.Checks = append(v.res.Checks, c)
	return nil
}

// honours reports whether the target counts a DDL dry run for the later
// dry runs of its session, as the shiftleft emulator does: a dry run
// creates a table of a name no one uses, and another reads it. Asked once.
func (v *validation) honours(ctx context.Context) (bool, error) {
	if v.honoured != nil {
		return *v.honoured, nil
	}
	probe := "shiftleft_dry_run_probe_" + v.session
	honoured := false
	err := v.dryRun(ctx, v.req.Naming.DDL(probe, ""), "CREATE TABLE "+quote(probe)+" (`x` INT)", nil)
	if err == nil {
		err = v.dryRun(ctx, v.req.Naming.DML(probe, ""), "SELECT `x` FROM "+quote(probe), nil)
		honoured = err == nil
	}
	if err != nil && !isRejection(err) {
		return false, err
	}
	v.honoured = &honoured
	return honoured, nil
}

// dryRun validates one statement of the session, trying again, with
// backoff, when the target fails with a Retryable error: a dry run counts
// toward rate limits like any request.
func (v *validation) dryRun(ctx context.Context, name, sql string, props map[string]string) error {
	merged := maps.Clone(v.req.Properties)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, props)
	r := confluent.StatementRequest{Name: name, SQL: sql, Properties: merged, ComputePoolID: v.req.ComputePoolID,
		Principal: v.req.Principal, Labels: map[string]string{confluent.LabelDryRunSession: v.session}}
	for attempt := 1; ; attempt++ {
		err := v.c.ValidateStatement(ctx, r)
		if err == nil || !confluent.Retryable(err) || attempt >= validateAttempts {
			return err
		}
		if err := backoff.Sleep(ctx, backoff.Jitter(time.Second, 30*time.Second, attempt)); err != nil {
			return err
		}
	}
}

// isRejection reports whether err is Flink refusing the statement, rather
// than the target failing to answer: a dry run that FAILED, or a create
// refused as a bad request (a statement too long, a property Flink rejects).
func isRejection(err error) bool {
	var failed *confluent.StatementFailedError
	if errors.As(err, &failed) {
		return true
	}
	var apiErr *confluent.APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusUnprocessableEntity)
}

// rejection is what Flink said.
func rejection(err error) string {
	var failed *confluent.StatementFailedError
	if errors.As(err, &failed) && failed.Detail != "" {
		return failed.Detail
	}
	return err.Error()
}

// flinkPosition finds the position Flink's messages give ("line 3, column
// 14", "From line 3, column 14 to ...", "at line 3"): a location to show,
// never a decision.
var flinkPosition = regexp.MustCompile(`(?i)\bline (\d+)`)

// flinkLine is the first line number msg names.
func flinkLine(msg string) (int, bool) {
	m := flinkPosition.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0
}
