package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shiftleft/shiftleft/confluent"
)

// The statements API, sql/v1.

// maxProperties is the spec's limit of spec.properties entries.
const maxProperties = 8192

func (e *Emulator) createStatement(c *call) (response, error) {
	var in confluent.Statement
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	if err := validateCreate(c, &in); err != nil {
		return response{}, err
	}
	env := e.m.env(c.path("env"))
	st := &statement{
		Org: c.path("org"), Env: env.ID, Name: in.Name, SQL: in.Spec.Statement,
		Properties: in.Spec.Properties, PoolID: in.Spec.ComputePoolID, Principal: in.Spec.Principal,
		CreatedAt: c.now, Plan: classify(in.Spec.Statement), Phase: confluent.PhasePending,
	}
	if in.Metadata != nil {
		st.Labels = in.Metadata.Labels
	}
	if strings.EqualFold(st.Properties[propDryRun], "true") {
		return e.dryRun(c, env, st), nil
	}
	if old := env.Statements[in.Name]; old != nil {
		err := conflict(codeAlreadyExists, "Statement '%s' already exists.", in.Name)
		err.pointer, err.location = "/name", statementURL(c.base, old)
		return response{}, err
	}
	if err := e.statementQuota(env); err != nil {
		return response{}, err
	}
	var p *pool
	if id := in.Spec.ComputePoolID; id != "" {
		if p = e.m.Pools[id]; p == nil || p.Env != env.ID {
			return response{}, invalid("/spec/compute_pool_id", "compute pool '%s' does not exist in environment '%s'", id, env.ID)
		}
	} else {
		var err error
		if p, err = e.defaultPool(env, c.now); err != nil {
			return response{}, err
		}
	}
	st.Seq, st.PoolID = e.m.nextID(), p.ID
	e.touch(st, c.now)
	env.add(st)
	e.schedule(st, c.now)
	e.counters.Creates[st.Name]++
	return response{status: http.StatusCreated, header: http.Header{"Location": {statementURL(c.base, st)}},
		body: render(c.base, st)}, nil
}

// dryRun answers a statement with sql.dry-run "true": checked against the
// catalog as it would be when run, COMPLETED or FAILED with the reason, and
// neither run nor kept. In a dry-run session (see dryRunSession) the
// catalog is the session's view of it, which a DDL that passes changes.
func (e *Emulator) dryRun(c *call, env *environment, st *statement) response {
	st.Version, st.UpdatedAt = 1, c.now
	st.EndTime = &c.now
	st.Phase = confluent.PhaseCompleted
	cat := e.catalog(env)
	cat.session = e.session(env, st, c.now)
	class, detail := e.check(cat, st, true)
	if detail == "" && st.Plan.Job && st.Properties[propInitialOffsetFrom] != "" && len(st.Plan.Stateful) > 0 {
		class, detail = exValidation, carryStateful(st.Plan.Stateful)
	}
	if detail == "" && cat.session != nil {
		cat.apply(st.Plan)
	}
	if detail != "" {
		st.Phase, st.Detail = confluent.PhaseFailed, detail
		st.Exceptions = []confluent.StatementException{{Kind: "StatementException", Name: class, Message: detail, Timestamp: &c.now}}
	}
	return response{status: http.StatusCreated, header: http.Header{"Location": {statementURL(c.base, st)}},
		body: render(c.base, st)}
}

func validateCreate(c *call, in *confluent.Statement) error {
	switch {
	case in.Name == "":
		return invalid("/name", "name is required")
	case len(in.Name) > MaxNameLength:
		err := invalid("/name", "Statement name '%s' is %d characters long; the most is %d.", in.Name, len(in.Name), MaxNameLength)
		err.code = codeNameTooLong
		return err
	case !nameRE.MatchString(in.Name):
		return invalid("/name", "Statement name %q must be lower-case letters, digits and '-', starting and ending with a letter or a digit", in.Name)
	case in.Spec.Statement == "":
		return invalid("/spec/statement", "spec.statement is required")
	case utf8.RuneCountInString(in.Spec.Statement) > MaxStatementLength:
		err := invalid("/spec/statement", "spec.statement is longer than %d characters", MaxStatementLength)
		err.code = codeStatementTooLong
		return err
	case len(in.Spec.Properties) > maxProperties:
		return invalid("/spec/properties", "spec.properties has more than %d entries", maxProperties)
	case in.Spec.Stopped != nil && *in.Spec.Stopped:
		return invalid("/spec/stopped", "A statement cannot be created stopped: create it, then stop it.")
	case in.EnvironmentID != "" && in.EnvironmentID != c.path("env"):
		return invalid("/environment_id", "environment_id %q differs from the URL's %q", in.EnvironmentID, c.path("env"))
	case in.OrganizationID != "" && in.OrganizationID != c.path("org"):
		return invalid("/organization_id", "organization_id %q differs from the URL's %q", in.OrganizationID, c.path("org"))
	}
	return nil
}

func (e *Emulator) listStatements(c *call) (response, error) {
	q := c.r.URL.Query()
	size, after, err := pageQuery(q)
	if err != nil {
		return response{}, err
	}
	labels, err := labelSelector(q.Get("label_selector"))
	if err != nil {
		return response{}, err
	}
	poolID := q.Get("spec.compute_pool_id")
	list := statementList{APIVersion: confluent.StatementAPIVersion, Kind: "StatementList",
		Metadata: listMeta{Self: selfURL(c)}, Data: []confluent.Statement{}}
	env := e.m.Environments[c.path("env")]
	if env == nil {
		return response{status: http.StatusOK, body: list}, nil
	}
	keys := env.names
	for _, t := range labels {
		if !t.not {
			keys = env.labelled[t.key+"="+t.value]
			break
		}
	}
	names, more := page(keys, after, size, func(name string) bool {
		st := env.Statements[name]
		if poolID != "" && st.PoolID != poolID {
			return false
		}
		for _, t := range labels {
			if !t.matches(st.Labels) {
				return false
			}
		}
		return true
	})
	for _, name := range names {
		list.Data = append(list.Data, render(c.base, env.Statements[name]))
	}
	if more {
		list.Metadata.Next = nextPage(c, names[len(names)-1])
	}
	return response{status: http.StatusOK, body: list}, nil
}

// labelTerm is one requirement of a label_selector: the label key has (or,
// with not, lacks) the value.
type labelTerm struct {
	key, value string
	not        bool
}

func (t labelTerm) matches(labels map[string]string) bool {
	v, ok := labels[t.key]
	return (ok && v == t.value) != t.not
}

// labelSelector reads Kubernetes-style equality terms separated by commas:
// key=value, key==value or key!=value (which a statement without the label
// also matches).
func labelSelector(s string) ([]labelTerm, error) {
	if s == "" {
		return nil, nil
	}
	var terms []labelTerm
	for _, raw := range strings.Split(s, ",") {
		term := strings.TrimSpace(raw)
		var t labelTerm
		var ok bool
		if t.key, t.value, ok = strings.Cut(term, "!="); ok {
			t.not = true
		} else if t.key, t.value, ok = strings.Cut(term, "=="); !ok {
			t.key, t.value, ok = strings.Cut(term, "=")
		}
		t.key, t.value = strings.TrimSpace(t.key), strings.TrimSpace(t.value)
		if !ok || t.key == "" {
			return nil, badParam("label_selector", "label_selector term %q is not key=value or key!=value", raw)
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// lookup finds the statement of the URL, 404 if there is none.
func (e *Emulator) lookup(c *call) (*statement, error) {
	if env := e.m.Environments[c.path("env")]; env != nil {
		if st := env.Statements[c.path("name")]; st != nil {
			return st, nil
		}
	}
	return nil, notFound("Statement '%s' was not found in environment '%s'.", c.path("name"), c.path("env"))
}

func (e *Emulator) getStatement(c *call) (response, error) {
	st, err := e.lookup(c)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: render(c.base, st)}, nil
}

func (e *Emulator) putStatement(c *call) (response, error) {
	st, err := e.lookup(c)
	if err != nil {
		return response{}, err
	}
	var in confluent.Statement
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	if err := e.update(c, st, &in, true); err != nil {
		// The spec declares 400, not 422, for the PUT (and 409 only in its
		// description, which is kept for a stale resource_version).
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusUnprocessableEntity {
			ae.status = http.StatusBadRequest
		}
		return response{}, err
	}
	return response{status: http.StatusAccepted}, nil
}

// patchStatement applies a JSON Patch to the statement as GET shows it, then
// makes the same update a PUT of the result would, version check aside (a
// "test" op on /metadata/resource_version does that).
func (e *Emulator) patchStatement(c *call) (response, error) {
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json-patch+json" && mt != "application/json") {
			return response{}, &apiError{status: http.StatusUnsupportedMediaType, code: codeMediaType,
				detail: fmt.Sprintf("Content-Type %q is not application/json-patch+json or application/json", ct)}
		}
	}
	st, err := e.lookup(c)
	if err != nil {
		return response{}, err
	}
	var ops []patchOp
	if err := decode(c.body, &ops); err != nil {
		return response{}, err
	}
	current, err := json.Marshal(render(c.base, st))
	if err != nil {
		return response{}, err
	}
	var doc any
	if err := json.Unmarshal(current, &doc); err != nil {
		return response{}, err
	}
	for i, op := range ops {
		if doc, err = op.apply(doc, i); err != nil {
			return response{}, err
		}
	}
	patched, err := json.Marshal(doc)
	if err != nil {
		return response{}, err
	}
	var in confluent.Statement
	if err := json.Unmarshal(patched, &in); err != nil {
		return response{}, invalid(typeErrorPointer(err), "the patched statement is not valid: %v", err)
	}
	if err := e.update(c, st, &in, false); err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: render(c.base, st)}, nil
}

// update applies a PUT body: spec.stopped may change, and spec.principal and
// spec.compute_pool_id with a resume; everything else must stay as it is.
func (e *Emulator) update(c *call, st *statement, in *confluent.Statement, checkVersion bool) error {
	if st.Phase == confluent.PhaseDeleting {
		return conflict(codeBeingDeleted, "Statement '%s' is being deleted.", st.Name)
	}
	version := strconv.FormatUint(st.Version, 10)
	switch {
	case in.Name == "":
		return invalid("/name", "name is required")
	case in.Name != st.Name:
		return invalid("/name", "name is immutable: %q, not %q", st.Name, in.Name)
	case checkVersion && (in.Metadata == nil || in.Metadata.ResourceVersion == ""):
		return invalid("/metadata/resource_version", "metadata.resource_version is required")
	case checkVersion && in.Metadata.ResourceVersion != version:
		return conflict(codeVersionConflict,
			"Statement '%s' changed since it was read: resource_version is %s, not %s. Read it again and retry.",
			st.Name, version, in.Metadata.ResourceVersion)
	case in.Spec.Stopped == nil:
		return invalid("/spec/stopped", "spec.stopped is required")
	case in.Spec.Statement != "" && in.Spec.Statement != st.SQL:
		return invalid("/spec/statement", "spec.statement is immutable")
	case in.Spec.Properties != nil && !maps.Equal(in.Spec.Properties, st.Properties):
		return invalid("/spec/properties", "spec.properties is immutable")
	case in.Metadata != nil && in.Metadata.Labels != nil && !maps.Equal(in.Metadata.Labels, st.Labels):
		return invalid("/metadata/labels", "metadata.labels is immutable")
	}
	resume := st.Stopped && !*in.Spec.Stopped
	newPool := in.Spec.ComputePoolID != "" && in.Spec.ComputePoolID != st.PoolID
	newPrincipal := in.Spec.Principal != "" && in.Spec.Principal != st.Principal
	switch {
	case newPool && !st.Stopped:
		return invalid("/spec/compute_pool_id", "spec.compute_pool_id can change only while the statement is stopped")
	case newPrincipal && !st.Stopped:
		return invalid("/spec/principal", "spec.principal can change only while the statement is stopped")
	case resume && !st.Plan.Resumable:
		err := invalid("/spec/stopped", "Statement '%s' (%s) cannot be resumed: only INSERT INTO, CREATE TABLE AS SELECT and "+
			"EXECUTE STATEMENT SET statements resume. Create a new statement instead.", st.Name, st.Plan.SQLKind)
		err.code = codeNotResumable
		return err
	case newPool:
		if p := e.m.Pools[in.Spec.ComputePoolID]; p == nil || p.Env != st.Env {
			return invalid("/spec/compute_pool_id", "compute pool '%s' does not exist in environment '%s'",
				in.Spec.ComputePoolID, st.Env)
		}
		st.PoolID = in.Spec.ComputePoolID
	}
	if newPrincipal {
		st.Principal = in.Spec.Principal
	}
	stopped := *in.Spec.Stopped
	if !newPool && !newPrincipal && stopped == st.Stopped {
		return nil // nothing changes: no new version
	}
	st.Stopped = stopped
	e.touch(st, c.now)
	switch {
	case resume:
		e.resume(st, c.now)
	case stopped:
		e.stop(st, c.now)
	}
	return nil
}

func (e *Emulator) deleteStatementRoute(c *call) (response, error) {
	st, err := e.lookup(c)
	if err != nil {
		return response{}, err
	}
	e.deleteStatement(st, c.now)
	return response{status: http.StatusAccepted}, nil
}

func (e *Emulator) statementExceptions(c *call) (response, error) {
	st, err := e.lookup(c)
	if err != nil {
		return response{}, err
	}
	list := confluent.StatementExceptionList{APIVersion: confluent.StatementAPIVersion, Kind: "StatementExceptionList",
		Metadata: confluent.ListMeta{Self: selfURL(c)}, Data: []confluent.StatementException{}}
	for i := len(st.Exceptions) - 1; i >= 0; i-- {
		list.Data = append(list.Data, st.Exceptions[i])
	}
	return response{status: http.StatusOK, body: list}, nil
}

// statementResults answers no rows: the emulator runs no data.
func (e *Emulator) statementResults(c *call) (response, error) {
	if _, err := e.lookup(c); err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: statementResult{APIVersion: confluent.StatementAPIVersion,
		Kind: "StatementResult", Metadata: confluent.ListMeta{Self: selfURL(c)}, Data: []any{}, Results: resultData{Data: []any{}}}}, nil
}

func statementURL(base string, st *statement) string {
	return fmt.Sprintf("%s/sql/v1/organizations/%s/environments/%s/statements/%s", base, st.Org, st.Env, st.Name)
}

// render is the statement as the API shows it.
func render(base string, st *statement) confluent.Statement {
	stopped := st.Stopped
	out := confluent.Statement{
		APIVersion: confluent.StatementAPIVersion, Kind: "Statement",
		Metadata: &confluent.StatementMetadata{Self: statementURL(base, st), CreatedAt: &st.CreatedAt,
			UpdatedAt: &st.UpdatedAt, UID: st.uid(), ResourceVersion: strconv.FormatUint(st.Version, 10), Labels: st.Labels},
		Name: st.Name, OrganizationID: st.Org, EnvironmentID: st.Env,
		Spec: confluent.StatementSpec{Statement: st.SQL, StatementName: st.Name, Properties: st.Properties,
			ComputePoolID: st.PoolID, Principal: st.Principal, Stopped: &stopped, ExecutionMode: "streaming"},
		Status: &confluent.StatementStatus{Phase: st.Phase, Detail: st.Detail, NetworkKind: "PUBLIC",
			LatestOffsets: st.LatestOffsets, LatestOffsetsTimestamp: st.OffsetsAt, EndTime: st.EndTime},
	}
	if st.Phase != confluent.PhaseFailed {
		out.Status.Traits = traits(st.Plan)
	}
	if st.ScalingState != "" {
		out.Status.ScalingStatus = &confluent.ScalingStatus{ScalingState: st.ScalingState, LastUpdated: &st.UpdatedAt}
	}
	return out
}

// decode reads a JSON request body; malformed JSON is a 400.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("the request body is not valid JSON for this request: %v", err)
	}
	return nil
}

// typeErrorPointer turns the field of a JSON type error into a JSON pointer.
func typeErrorPointer(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return "/" + strings.ReplaceAll(te.Field, ".", "/")
	}
	return ""
}

// traits is status.traits, which Confluent sends for a statement in every
// phase but FAILED (its confluent-sql driver refuses a statement without
// them). The result schema's columns are not modelled: a query's is empty,
// a DDL statement has none.
func traits(p plan) *confluent.StatementTraits {
	bounded, appendOnly := !p.Job, p.AppendOnly
	t := &confluent.StatementTraits{SQLKind: p.SQLKind, IsBounded: &bounded, IsAppendOnly: &appendOnly, UpsertColumns: []int{}}
	if !p.ddl() {
		t.Schema = &confluent.ResultSchema{Columns: []confluent.ColumnDetails{}}
	}
	return t
}
