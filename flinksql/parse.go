package flinksql

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// MaxNesting is how deep parentheses (sub-queries, calls, expressions) may
// nest. The walker recurses once per level, so the limit is what keeps a
// hostile input from overflowing the stack; real queries stay far below it.
const MaxNesting = 1000

// MaxStatementBytes is the most SQL text Confluent Cloud takes in one
// statement ("exceeds 4194304 bytes").
const MaxStatementBytes = 4 << 20

// Parse tokenizes and walks a SQL script. It fails with a *SyntaxError on a
// lexical error (unterminated string, comment or identifier, invalid UTF-8),
// unbalanced parentheses or ones nested deeper than MaxNesting, a statement
// longer than MaxStatementBytes, and on the shapes that are not Flink SQL
// where the walker must understand the text to find tables: a word that
// starts no statement, a FROM or JOIN without its table, an unknown word
// where a clause must start, a query missing where one must be, text after
// the end of a query. Anything else it does not understand is skipped.
func Parse(src string) (*Script, error) { return parse(src, nil) }

// parse is Parse; with refs, it appends to *refs the last part of every
// table name the script creates, writes or reads (CTE names aside).
func parse(src string, refs *[]Token) (*Script, error) {
	sc := scratchPool.Get().(*scratch)
	defer sc.release()
	all, err := tokenize(src, sc.toks[:0])
	sc.toks = all
	if err != nil {
		return nil, withTable(err, all)
	}
	fp := fingerprint(all)
	toks := slices.DeleteFunc(all, func(t Token) bool { return t.Kind == Hint })
	match, isQuery := sc.groups(len(toks))
	if err := pairParens(toks, match, isQuery); err != nil {
		return nil, withTable(err, toks)
	}
	p := &parser{toks: toks, match: match, isQuery: isQuery, limit: len(toks), refs: refs}
	script := &Script{Fingerprint: fp, Joins: countJoins(toks)}
	if err := p.script(script); err != nil {
		return nil, err
	}
	return script, nil
}

// script walks every statement into s. The walker reports a shape it cannot
// read by panicking with a bailout, which stops it wherever it is; script
// turns that into the error.
func (p *parser) script(s *Script) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	for !p.atEnd() {
		if p.peek(0).IsPunct(";") {
			p.pos++
			continue
		}
		s.Statements = append(s.Statements, Statement{})
		p.statement(&s.Statements[len(s.Statements)-1])
	}
	return nil
}

// bailout carries the walker's error up to script.
type bailout struct{ err *SyntaxError }

// fail stops the walk with an error at t, or at the end of the current
// group when t is the end.
func (p *parser) fail(t Token, format string, args ...any) {
	pos := t.Pos
	if t.Kind == 0 {
		pos = p.toks[min(p.pos, len(p.toks)-1)].Pos
	}
	err := &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
	if st := p.stmt; st != nil {
		err.Table = st.Table
		if err.Table == nil && len(st.Writes) > 0 {
			err.Table = st.Writes[0]
		}
	}
	panic(bailout{err})
}

// describe names a token for an error message.
func describe(t Token) string {
	switch {
	case t.Kind == 0:
		return "the end"
	case t.Kind == QuotedIdent:
		return Name{t.Text}.String()
	case len(t.Text) > 40:
		return strings.ToValidUTF8(t.Text[:40], "") + "..."
	}
	return t.Text
}

// withTable names, in a lexical or parenthesis error, the table the script
// creates or writes, as far as toks (read up to the error) say.
func withTable(err error, toks []Token) error {
	se, ok := err.(*SyntaxError)
	if !ok {
		return err
	}
	p := &parser{toks: toks, limit: len(toks)}
	for ; p.pos < len(toks); p.pos++ {
		switch {
		case p.accept(kwInsert, kwInto), p.accept(kwInsert, kwOverwrite):
			p.accept(kwTable)
		case p.at(kwCreate):
			for p.pos < len(toks) && !p.at(kwTable) && !p.peek(0).IsPunct(";") {
				p.pos++
			}
			if !p.accept(kwTable) {
				continue
			}
			p.accept(kwIf, kwNot, kwExists)
		default:
			continue
		}
		if se.Table = p.name(); se.Table != nil {
			break
		}
	}
	return se
}

// scratch holds what Parse needs only while it runs, for the next Parse to
// reuse: with a Parse per SQL file of a large repository, allocating these
// anew each time made most of the garbage.
type scratch struct {
	toks    []Token
	match   []int32
	isQuery []bool
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxScratch caps the tokens a pooled scratch has room for, so that one huge
// script does not keep its buffers alive.
const maxScratch = 1 << 14

// groups returns the match and isQuery slices for n tokens, isQuery all false.
func (sc *scratch) groups(n int) ([]int32, []bool) {
	sc.match = slices.Grow(sc.match[:0], n)[:n]
	sc.isQuery = slices.Grow(sc.isQuery[:0], n)[:n]
	clear(sc.isQuery)
	return sc.match, sc.isQuery
}

func (sc *scratch) release() {
	if cap(sc.toks) > maxScratch {
		return
	}
	// Tokens point into the source, which must not outlive its Parse here.
	clear(sc.toks)
	sc.toks = sc.toks[:0]
	scratchPool.Put(sc)
}

// pairParens pairs every "(" with its ")" in match, so the walker can step
// over a group in one move, and marks the groups that hold a query in
// isQuery, which must be all false.
func pairParens(toks []Token, match []int32, isQuery []bool) error {
	// Deep enough for most scripts without allocating.
	stack := make([]int32, 0, 64)
	for i, t := range toks {
		match[i] = -1
		if t.Kind != Punct {
			continue
		}
		switch t.Text {
		case "(":
			if len(stack) == MaxNesting {
				return &SyntaxError{Pos: t.Pos, Msg: fmt.Sprintf("parentheses nested deeper than %d levels", MaxNesting)}
			}
			stack = append(stack, int32(i))
		case ")":
			if len(stack) == 0 {
				return &SyntaxError{Pos: t.Pos, Msg: "unexpected )"}
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			match[open] = int32(i)
			isQuery[open] = holdsQuery(toks, match, isQuery, int(open))
		}
	}
	if len(stack) > 0 {
		return &SyntaxError{Pos: toks[stack[len(stack)-1]].Pos, Msg: "unclosed ("}
	}
	return nil
}

// holdsQuery reports whether the group opening at open holds a query; the
// groups inside it are already marked. A group opening with a query in
// parentheses is a query only when a set operation, ORDER BY... or the
// group's end follows: ((SELECT ...) UNION ALL (SELECT ...)) is a query,
// ((SELECT ...) AS d JOIN t ON ...) a join.
func holdsQuery(toks []Token, match []int32, isQuery []bool, open int) bool {
	first := toks[open+1] // a ")" at worst
	if first.IsPunct("(") {
		after := toks[match[open+1]+1]
		return isQuery[open+1] && (after.IsPunct(")") || after.in(classSetOp) || after.in(classSort))
	}
	return first.kw == kwSelect || first.kw == kwWith || first.kw == kwValues
}

// groupCtx says where a parenthesised group stands, which decides what a
// query inside it means.
type groupCtx uint8

const (
	ctxExpr groupCtx = iota // inside an expression: a query here is a sub-query
	ctxFrom                 // a derived table, a set-operation operand, a CTE body
)

type parser struct {
	toks    []Token
	match   []int32
	isQuery []bool // by the index of a group's "("
	pos     int
	limit   int // index of the closing ")" of the current group, or len(toks)
	stmt    *Statement
	// reads and reasons collect the statement's reads and state reasons
	// without duplicates, in order.
	reads   names
	reasons ordered[string]
	// scope holds the CTE names visible at this point, innermost last.
	scope []string
	// refs, when set, collects the last token of every table name (ref).
	refs *[]Token
	// nameEnd is the index of the last token of the name read last.
	nameEnd int
}

// ref records the name read last as a table reference.
func (p *parser) ref() {
	if p.refs != nil {
		*p.refs = append(*p.refs, p.toks[p.nameEnd])
	}
}

var eof = Token{}

func (p *parser) peek(k int) Token {
	if i := p.pos + k; i < p.limit {
		return p.toks[i]
	}
	return eof
}

func (p *parser) prev(k int) Token {
	if i := p.pos - k; i >= 0 {
		return p.toks[i]
	}
	return eof
}

func (p *parser) at(kw keyword) bool { return p.peek(0).kw == kw }
func (p *parser) atEnd() bool        { return p.pos >= p.limit }

// accept moves past the keywords kws if they come next, in order.
func (p *parser) accept(kws ...keyword) bool {
	for i, kw := range kws {
		if p.peek(i).kw != kw {
			return false
		}
	}
	p.pos += len(kws)
	return true
}

func (p *parser) reason(r string) {
	p.reasons.add(r, func(a, b string) bool { return a == b }, func(s string) string { return s })
}

func (p *parser) read(n Name) {
	if len(n) == 1 {
		for _, cte := range p.scope {
			if cte == n[0] {
				return
			}
		}
	}
	p.reads.add(n)
	if len(n) > 0 {
		p.ref()
	}
}

// statement walks one statement into st, in place to save a copy and an
// allocation, and leaves the cursor after its ";".
func (p *parser) statement(st *Statement) {
	first := p.pos
	t := p.peek(0)
	st.Pos = t.Pos
	p.stmt = st
	switch {
	case t.kw == kwCreate || (t.kw == kwReplace && p.peek(1).kw == kwTable):
		p.create()
	case t.kw == kwInsert:
		st.Kind = KindInsert
		p.insert()
	case t.kw == kwExecute:
		p.pos++
		switch {
		case p.accept(kwStatement, kwSet):
			p.statementSet()
		case p.at(kwInsert):
			st.Kind = KindInsert
			p.insert()
		}
	case p.accept(kwBegin, kwStatement, kwSet):
		p.statementSet()
	case t.kw == kwWith && p.withInsert():
		st.Kind = KindInsert
	case t.kw == kwSelect || t.kw == kwWith || t.kw == kwValues || t.kw == kwTable || t.IsPunct("("):
		st.Kind = KindQuery
		p.queryWithFeatures()
	case t.kw == kwDrop:
		p.pos++
		st.Temporary = p.accept(kwTemporary)
		if p.accept(kwTable) {
			st.IfExists = p.accept(kwIf, kwExists)
			p.named(KindDropTable)
		}
	case p.accept(kwAlter, kwTable):
		st.IfExists = p.accept(kwIf, kwExists)
		if p.named(KindAlterTable) && p.at(kwSet) && p.peek(1).IsPunct("(") {
			p.pos++
			p.options()
		}
	case !t.in(classStatement):
		hint := ""
		if p.prev(1).IsPunct(";") {
			hint = " (is the ; before it a stray one?)"
		}
		p.fail(t, "%s does not start a statement%s", describe(t), hint)
	}
	if walked := st.Kind != KindOther && st.Kind != KindDropTable && st.Kind != KindAlterTable; walked && !p.atEnd() && !p.peek(0).IsPunct(";") {
		// The walk of a query stops only at a ";" or at an INSERT.
		p.fail(p.peek(0), "unexpected %s: a ; must end the statement before it", describe(p.peek(0)))
	}
	p.skipStatement()
	last := p.pos - 1
	if p.toks[last].IsPunct(";") && last > first {
		last--
	}
	if size := p.toks[last].Pos.Offset + len(p.toks[last].Text) - st.Pos.Offset; size > MaxStatementBytes {
		p.fail(t, "the statement is %d bytes long: Confluent Cloud takes at most %d bytes (4 MB) in one statement", size, MaxStatementBytes)
	}
	st.Reads, st.Stateful = p.reads.list, p.reasons.list
	p.stmt, p.reads, p.reasons = nil, names{}, ordered[string]{}
}

// skipStatement moves past the rest of the statement and its ";".
func (p *parser) skipStatement() {
	for !p.atEnd() {
		t := p.peek(0)
		if t.IsPunct("(") {
			p.pos = int(p.match[p.pos]) + 1
			continue
		}
		p.pos++
		if t.IsPunct(";") {
			return
		}
	}
}

// named reads the table name of a CREATE, DROP or ALTER statement and sets
// the statement's kind; without a name the statement stays KindOther, so a
// statement of these kinds always has its table.
func (p *parser) named(kind Kind) bool {
	if p.stmt.Table = p.name(); p.stmt.Table == nil {
		return false
	}
	p.ref()
	p.stmt.Kind = kind
	return true
}

// statementSet walks the INSERT statements between BEGIN and END, which is
// all a statement set may hold.
func (p *parser) statementSet() {
	p.stmt.Kind = KindStatementSet
	p.accept(kwBegin)
	for !p.atEnd() {
		switch t := p.peek(0); {
		case t.IsPunct(";"):
			p.pos++
		case t.kw == kwEnd:
			p.pos++
			return
		case t.kw == kwInsert:
			p.insert()
		default:
			p.fail(t, "a statement set holds INSERT statements only, not %s", describe(t))
		}
	}
	p.fail(eof, "the statement set has no END")
}

// create walks CREATE [OR REPLACE|OR ALTER] [TEMPORARY] [MATERIALIZED] TABLE
// or VIEW, and REPLACE TABLE ... AS.
func (p *parser) create() {
	st := p.stmt
	if p.accept(kwReplace) {
		st.OrReplace = true
	} else {
		p.pos++ // CREATE
		// CREATE OR ALTER (Flink 2.1 materialized tables) replaces too.
		st.OrReplace = p.accept(kwOr, kwReplace) || p.accept(kwOr, kwAlter)
	}
	st.Temporary = p.accept(kwTemporary)
	materialized := p.accept(kwMaterialized)
	switch {
	case p.accept(kwTable):
		st.IfNotExists = p.accept(kwIf, kwNot, kwExists)
		kind := KindCreateTable
		if materialized {
			kind = KindCreateMaterializedTable
		}
		if p.named(kind) {
			p.tableTail()
		}
	case p.accept(kwView):
		st.IfNotExists = p.accept(kwIf, kwNot, kwExists)
		if !p.named(KindCreateView) {
			return
		}
		for !p.atEnd() && !p.peek(0).IsPunct(";") {
			if p.accept(kwAs) {
				p.queryWithFeatures()
				return
			}
			p.skipOne()
		}
	}
}

// tableTail walks what follows CREATE TABLE name: the column list (skipped),
// WITH options, LIKE source and AS query.
func (p *parser) tableTail() {
	for !p.atEnd() && !p.peek(0).IsPunct(";") {
		switch {
		case p.at(kwWith) && p.peek(1).IsPunct("("):
			p.pos++
			p.options()
		case p.accept(kwLike):
			if n := p.name(); n != nil {
				p.read(n)
			}
		case p.accept(kwAs):
			p.queryWithFeatures()
			return
		case p.peek(0).IsPunct("("):
			// The column list: a PRIMARY KEY in it, of a column or of the
			// table, makes the table an upsert table.
			p.inGroup(func() {
				for !p.atEnd() {
					if p.accept(kwPrimary, kwKey) {
						p.stmt.PrimaryKey = true
						continue
					}
					p.skipOne()
				}
			})
		default:
			p.skipOne()
		}
	}
}

// options reads a WITH ('key' = 'value', ...) list.
func (p *parser) options() {
	p.inGroup(func() {
		for !p.atEnd() {
			k, eq, v := p.peek(0), p.peek(1), p.peek(2)
			if k.Kind == String && eq.IsPunct("=") && v.Kind == String {
				if p.stmt.Options == nil {
					p.stmt.Options = map[string]string{}
				}
				p.stmt.Options[strings.ToLower(unquote(k.Text))] = unquote(v.Text)
				p.pos += 3
				continue
			}
			p.skipOne()
		}
	})
}

func unquote(lit string) string {
	q := lit[:1]
	return strings.ReplaceAll(lit[1:len(lit)-1], q+q, q)
}

func (p *parser) insert() {
	p.pos++ // INSERT
	into := p.peek(0)
	if !p.accept(kwInto) && !p.accept(kwOverwrite) {
		p.fail(into, "INTO or OVERWRITE must follow INSERT, not %s", describe(into))
	}
	p.accept(kwTable)
	n := p.name()
	if n == nil {
		p.fail(p.peek(0), "a table must follow INSERT %s, not %s", into.upper(), describe(p.peek(0)))
	}
	p.stmt.Writes = append(p.stmt.Writes, n)
	p.ref()
	if p.at(kwPartition) && p.peek(1).IsPunct("(") {
		p.pos++
		p.skipOne()
	}
	if p.peek(0).IsPunct("(") && !p.isQuery[p.pos] {
		p.skipOne() // column list
	}
	p.queryWithFeatures()
}

// withInsert walks "WITH a AS (...) INSERT INTO t SELECT ... FROM a", the
// form Spark and Hive users write, as an INSERT that sees the CTEs. It
// reports false, having moved nothing, when no INSERT follows the CTEs.
func (p *parser) withInsert() bool {
	start, mark := p.pos, len(p.scope)
	p.with()
	if !p.at(kwInsert) {
		p.pos, p.scope = start, p.scope[:mark]
		return false
	}
	p.features(start, p.pos)
	p.insert()
	p.scope = p.scope[:mark]
	return true
}

// queryWithFeatures walks a query and records the token-level signs of state
// in it.
func (p *parser) queryWithFeatures() {
	start := p.pos
	p.query()
	p.features(start, p.pos)
}

// features records GROUP BY, OVER, MATCH_RECOGNIZE, window table functions and
// aggregate calls found in toks[from:to].
func (p *parser) features(from, to int) {
	for i := from; i < to; i++ {
		t := p.toks[i]
		if t.Kind != Word {
			continue
		}
		var next Token
		if i+1 < len(p.toks) {
			next = p.toks[i+1]
		}
		call := next.IsPunct("(")
		switch {
		case t.kw == kwGroup && next.kw == kwBy:
			p.reason("GROUP BY")
		case t.kw == kwOver && (call || next.Kind == Word || next.Kind == QuotedIdent):
			p.reason("OVER window")
		case t.kw == kwMatchRecognize:
			p.reason("MATCH_RECOGNIZE")
		case call && t.in(classWindowTVF):
			p.reason("window " + t.upper())
		case call && t.in(classAggregate) && !p.overAfter(i+1):
			p.reason("aggregate " + t.upper() + "()")
		}
	}
}

// overAfter reports whether the call whose "(" is at open is followed by OVER:
// SUM(x) OVER (...) is an OVER aggregation, not a global one.
func (p *parser) overAfter(open int) bool {
	after := int(p.match[open]) + 1
	return after < len(p.toks) && p.toks[after].kw == kwOver
}

// query walks [WITH ...] set-expression [ORDER BY ...] [LIMIT ...].
func (p *parser) query() {
	mark := len(p.scope)
	if p.at(kwWith) {
		p.with()
	}
	p.setExpr()
	p.scope = p.scope[:mark]
}

func (p *parser) with() {
	p.pos++ // WITH
	p.accept(kwRecursive)
	for isName(p.peek(0)) {
		name := p.peek(0).Text
		p.pos++
		if p.peek(0).IsPunct("(") && !p.isQuery[p.pos] {
			p.skipOne() // column aliases
		}
		p.accept(kwAs)
		if p.peek(0).IsPunct("(") {
			p.group(ctxFrom)
		}
		// A CTE is visible to the CTEs after it and to the main query, not
		// to its own body: Flink has no recursive CTEs.
		p.scope = append(p.scope, name)
		if !p.peek(0).IsPunct(",") {
			return
		}
		p.pos++
	}
}

var setOps = makeSet(`UNION INTERSECT EXCEPT MINUS`)

// sortWords end a set expression: its ORDER BY, LIMIT, OFFSET and FETCH.
var sortWords = makeSet(`ORDER LIMIT OFFSET FETCH`)

// endOfSelect reports whether t ends the clauses of one SELECT: a set
// operation, a sort, or the start of another statement.
func endOfSelect(t Token) bool {
	return t.in(classSetOp) || t.in(classSort) || t.kw == kwInsert || t.kw == kwSelect || t.kw == kwValues
}

func (p *parser) setExpr() {
	for after := "a query"; ; {
		switch t := p.peek(0); {
		case t.kw == kwSelect:
			p.selectCore()
		case t.kw == kwValues:
			p.pos++
			p.scan(endOfSelect, false)
		case t.IsPunct("("):
			p.group(ctxFrom)
		case t.kw == kwTable && isName(p.peek(1)):
			p.pos++
			p.read(p.name())
		default:
			p.fail(t, "%s must come here (SELECT, VALUES, WITH, TABLE or a query in parentheses), not %s", after, describe(t))
		}
		op := p.peek(0)
		if !op.in(classSetOp) {
			break
		}
		p.pos++
		// Only UNION ALL just concatenates; UNION [DISTINCT], INTERSECT and
		// EXCEPT deduplicate or match rows, which Flink does with state.
		if all := p.accept(kwAll); !all || op.kw != kwUnion {
			p.reason(op.upper())
		}
		p.accept(kwDistinct)
		after = "a query after " + op.upper()
	}
	if !p.peek(0).in(classSort) {
		if t := p.peek(0); !p.atEnd() && !t.IsPunct(";") && t.kw != kwInsert {
			p.fail(t, "unexpected %s after the query", describe(t))
		}
		return
	}
	// ORDER BY, LIMIT, OFFSET, FETCH of the whole set expression: sorting or
	// limiting a stream keeps state.
	p.scan(func(t Token) bool {
		if t.in(classSort) {
			kw := t.upper()
			if p.peek(1).kw == kwBy {
				kw += " BY"
			}
			p.reason(kw)
		}
		return t.kw == kwInsert
	}, true)
}

func (p *parser) selectCore() {
	p.pos++ // SELECT
	if p.accept(kwDistinct) {
		p.reason("SELECT DISTINCT")
	} else {
		p.accept(kwAll)
	}
	// An empty select list is refused by Flink, but shift_left's templates
	// have one (SELECT -- part to select stuff FROM src): the FROM still
	// names the table.
	p.scan(func(t Token) bool { return t.kw != 0 && (p.atFrom() || p.atClause()) }, true)
	if p.accept(kwFrom) {
		p.fromList()
	} else if t := p.peek(0); t.kw == kwWhere || t.kw == kwHaving || t.kw == kwWindow || t.kw == kwQualify || t.kw == kwGroup {
		p.fail(t, "%s needs a FROM clause before it (is FROM misspelt?)", t.upper())
	}
	// WHERE, GROUP BY, HAVING, WINDOW and QUALIFY, which hold no FROM or
	// join of their own: one there is misplaced.
	p.scan(func(t Token) bool { return t.kw != 0 && (endOfSelect(t) || p.atFrom() || p.atJoin()) }, true)
}

// atFrom reports whether a FROM clause starts here: IS [NOT] DISTINCT FROM
// compares, it does not start one.
func (p *parser) atFrom() bool {
	return p.at(kwFrom) && !(p.prev(1).kw == kwDistinct && (p.prev(2).kw == kwIs || p.prev(2).kw == kwNot))
}

// atClause reports whether a clause of the current query level starts here.
// GROUP and ORDER need their BY: LISTAGG(x) WITHIN GROUP (...) is a call.
func (p *parser) atClause() bool {
	t := p.peek(0)
	if t.kw == kwGroup || t.kw == kwOrder {
		return p.peek(1).kw == kwBy
	}
	return t.in(classClause)
}

// scan walks tokens of the current level until stop says so, a ";" or the end
// of the group, visiting every nested group and the TABLE arguments of table
// functions. With shape, it fails on three names or values in a row, which no
// expression has: one expression and its alias are two, so the middle one is
// a misspelt keyword (a, b FORM src) or a missing comma.
func (p *parser) scan(stop func(Token) bool, shape bool) {
	var sh shapeCheck
	for !p.atEnd() {
		at := p.pos
		t := &p.toks[at]
		switch {
		case t.IsPunct(";"):
			return
		case stop != nil && stop(*t):
			return
		case t.IsPunct("("):
			p.group(ctxExpr)
		case t.kw == kwTable && isName(p.peek(1)) && (p.prev(1).IsPunct("(") || p.prev(1).IsPunct(",") || p.prev(1).IsPunct("=>")):
			// TUMBLE(TABLE orders, ...) and DATA => TABLE orders.
			p.pos++
			p.read(p.name())
		default:
			p.pos++
		}
		if shape && sh.next(p.toks, at) {
			second := p.toks[sh.second]
			p.fail(second, "unexpected %s after %s: is %s a misspelt keyword, or is a comma missing?",
				describe(*t), describe(second), describe(second))
		}
	}
}

// shapeCheck counts the operands in a row of an expression's tokens.
type shapeCheck struct {
	run    int  // operands since the last operator, keyword or ","
	dot    bool // the last token was a "."
	name   bool // the last token was a counted name or a part after a "."
	second int  // the index of the token that made the run two long
}

// next counts toks[i], the first token of what the scan just walked (a
// group as a whole); it reports a third operand in a row. Keywords count as
// operators, so a word Flink reserves but lets name a column or an alias
// (C, A) counts for nothing, unless a "." follows it.
func (c *shapeCheck) next(toks []Token, i int) bool {
	t, prev := &toks[i], &eof
	if i > 0 {
		prev = &toks[i-1]
	}
	name, before := false, c.run
	switch t.Kind {
	case Punct:
		switch t.Text {
		case ".":
			if prev.Kind == Word && !c.name && !c.dot {
				c.run++ // c.id: the keyword before the "." names a table
			}
		case "(":
			if !c.dot && !isOperandName(prev) { // fn(...) is one operand with its name
				c.run++
			}
		case "*":
			if c.dot || prev.IsPunct(",") || prev.kw == kwSelect || prev.kw == kwDistinct || prev.kw == kwAll {
				c.run = max(c.run, 1) // t.*, SELECT *: an operand, not a product
			} else {
				c.run = 0
			}
		case "]":
			c.run = max(c.run, 1)
		default:
			c.run = 0 // an operator or a ","
		}
	case Number:
		c.run++
	case String:
		// 'a' 'b' is one literal, N'x' and X'0A' too.
		if prev.Kind != String && !(prev.Kind == Word && prev.Pos.Offset+len(prev.Text) == t.Pos.Offset) {
			c.run++
		}
	default: // a name or a keyword
		switch {
		case c.dot:
			name = true // a.b is one name
		case isOperandName(t):
			c.run++
			name = true
		default:
			c.run = 0
		}
	}
	c.dot, c.name = t.Kind == Punct && t.Text == ".", name
	if c.run == 2 && before < 2 {
		c.second = i
	}
	return c.run >= 3
}

// isOperandName reports whether t is a name that stands for a value: an
// identifier, not a keyword.
func isOperandName(t *Token) bool {
	return t.Kind == QuotedIdent || (t.Kind == Word && !t.in(classReserved|classSoft|classExprWord))
}

func (p *parser) fromList() {
	p.tableRef("FROM", "")
	for !p.atEnd() {
		switch t := p.peek(0); {
		case t.IsPunct(";"):
			return
		case t.IsPunct(","):
			p.pos++
			p.tableRef("a comma", "comma join")
		case p.atJoin():
			kw := p.joinKeyword()
			p.tableRef(kw, kw)
		case t.kw == kwOn:
			p.pos++
			p.scan(func(t Token) bool { return t.IsPunct(",") || p.atJoin() || p.atClause() }, true)
		case t.kw == kwUsing && p.peek(1).IsPunct("("):
			p.pos++
			p.group(ctxExpr)
		case p.atClause():
			return
		default:
			p.fail(t, "unexpected %s in the FROM clause: a join, a comma or a clause (WHERE, GROUP BY...) must come after a table and its alias", describe(t))
		}
	}
}

// atJoin reports whether a join keyword sequence starts here.
func (p *parser) atJoin() bool {
	t := p.peek(0)
	if t.kw == kwJoin {
		return true
	}
	if !t.in(classJoin) {
		return false
	}
	next := p.peek(1)
	if t.kw == kwNatural {
		return next.in(classJoin)
	}
	return next.kw == kwJoin || next.kw == kwOuter
}

// joinKeyword consumes a join keyword sequence and returns it upper-cased.
func (p *parser) joinKeyword() string {
	start := p.pos
	for !p.atEnd() {
		p.pos++
		if p.prev(1).kw == kwJoin {
			break
		}
	}
	if p.pos-start == 1 {
		return p.toks[start].upper() // JOIN, without building a string
	}
	var b strings.Builder
	for i, t := range p.toks[start:p.pos] {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.upper())
	}
	return b.String()
}

// tableRef walks one item of a FROM list and what follows it (refTail).
// after is what precedes it, for errors; join is the keyword that joined it
// to the items before ("" for the first item): a join with a table, a
// sub-query or a table function over a table keeps state in Flink; one with
// UNNEST or LATERAL TABLE(fn()) does not, unless the function takes a table.
func (p *parser) tableRef(after, join string) {
	switch t := p.peek(0); {
	case t.IsPunct("("):
		p.group(ctxFrom)
		if join != "" {
			p.reason(join + " with a sub-query")
		}
	case t.kw == kwLateral:
		p.pos++
		switch {
		case p.accept(kwTable):
			p.call(true, join) // a table function call
		case p.peek(0).IsPunct("("):
			p.group(ctxFrom)
			if join != "" {
				p.reason(join + " with a LATERAL sub-query")
			}
		case isName(p.peek(0)) && p.callAfterName():
			p.name()
			p.call(true, join)
		default:
			p.fail(p.peek(0), "a sub-query or a table function must follow LATERAL, not %s", describe(p.peek(0)))
		}
	case t.kw == kwUnnest:
		p.pos++
		p.call(false, "")
		p.accept(kwWith, kwOrdinality)
	case t.kw == kwTable && p.peek(1).IsPunct("("):
		p.pos++
		p.call(false, join) // TABLE(TUMBLE(TABLE t, ...)) records t
		if join != "" {
			p.reason(join + " with a table function")
		}
	case isName(t) && p.callAfterName():
		// FROM fn(...) and FROM TUMBLE(TABLE t, ...): a table function,
		// whose TABLE arguments are what it reads.
		p.name()
		p.call(false, join)
		if join != "" {
			p.reason(join + " with a table function")
		}
	case isName(t) || (t.kw == kwTable && isName(p.peek(1))):
		p.accept(kwTable) // FROM TABLE t names t
		n := p.name()
		p.read(n)
		temporal := p.accept(kwFor, kwSystemTime, kwAs, kwOf)
		if temporal {
			p.scan(func(t Token) bool {
				return t.kw == kwAs || t.kw == kwOn || t.kw == kwUsing || t.IsPunct(",") || p.atJoin() || p.atClause()
			}, false)
		}
		switch {
		case join != "" && temporal:
			p.reason(join + " " + n.String() + " FOR SYSTEM_TIME AS OF (temporal join)")
		case join != "":
			p.reason(join + " " + n.String())
		}
	default:
		p.fail(t, "a table must follow %s, not %s", after, describe(t))
	}
	p.refTail()
}

// refTail walks what may follow a FROM item: MATCH_RECOGNIZE (...), an alias
// with its column names, TABLESAMPLE.
func (p *parser) refTail() {
	var matched, aliased, sampled bool
	for {
		switch t := p.peek(0); {
		case !matched && t.kw == kwMatchRecognize && p.peek(1).IsPunct("("):
			p.pos++
			p.group(ctxExpr)
			matched = true
		case !sampled && t.kw == kwTablesample:
			// TABLESAMPLE BERNOULLI (10) [REPEATABLE (1)]
			for p.pos++; p.peek(0).Kind == Word && p.peek(1).IsPunct("("); {
				p.pos++
				p.skipOne()
			}
			sampled = true
		case !aliased && (t.kw == kwAs || isName(t)):
			if p.accept(kwAs) && !isName(p.peek(0)) {
				p.fail(p.peek(0), "an alias must follow AS, not %s", describe(p.peek(0)))
			}
			p.pos++
			if p.peek(0).IsPunct("(") {
				p.skipOne() // column names
			}
			aliased = true
		default:
			return
		}
	}
}

// call walks the arguments of a table function call at the cursor's "(",
// the function's name (or TABLE, UNNEST) just before it. A call with a TABLE
// argument PARTITION BY a key has set semantics, which keeps state per key
// (window TVFs aside: features counts them); a LATERAL one with any TABLE
// argument, such as SNAPSHOT(input => TABLE t), keeps that table in state to
// join it.
func (p *parser) call(lateral bool, join string) {
	open, fn := p.pos, p.prev(1)
	if !p.peek(0).IsPunct("(") {
		p.fail(p.peek(0), "( must follow %s, not %s", fn.upper(), describe(p.peek(0)))
	}
	// TABLE(fn(...)) and LATERAL TABLE(fn(...)): look into fn's arguments.
	if args := open + 2; fn.kw == kwTable && args < int(p.match[open]) && p.toks[open+1].Kind == Word && p.toks[args].IsPunct("(") {
		fn, open = p.toks[open+1], args
	}
	var table Name
	partitioned := false
	for i := open + 1; i < int(p.match[open]); i++ {
		switch t := p.toks[i]; {
		case t.IsPunct("("):
			i = int(p.match[i])
		case t.kw == kwTable && table == nil:
			table = p.nameAt(i + 1)
		case t.kw == kwPartition && p.toks[i+1].kw == kwBy:
			partitioned = true
		}
	}
	p.group(ctxExpr)
	switch {
	case table == nil:
	case lateral:
		p.reason(strings.TrimSpace(join+" LATERAL "+fn.upper()) + " over TABLE " + table.String())
	case partitioned && !fn.in(classWindowTVF):
		p.reason("table function " + fn.upper() + " over TABLE " + table.String() + " PARTITION BY")
	}
}

// callAfterName reports whether the name at the cursor is followed by "(".
func (p *parser) callAfterName() bool {
	k := p.nameParts()
	return k > 0 && p.peek(2*k-1).IsPunct("(")
}

// group walks a parenthesised group and leaves the cursor after it. A query
// inside an expression is a sub-query, which Flink runs as a join.
func (p *parser) group(ctx groupCtx) {
	open := p.pos
	isQuery := p.isQuery[open]
	if isQuery && ctx == ctxExpr {
		switch before := p.prev(1); {
		case before.kw == kwIn:
			p.reason("IN sub-query")
		case before.kw == kwExists:
			p.reason("EXISTS sub-query")
		case before.kw == kwAny || before.kw == kwSome || before.kw == kwAll:
			p.reason(before.upper() + " sub-query")
		default:
			p.reason("scalar sub-query")
		}
	}
	p.inGroup(func() {
		switch {
		case isQuery:
			p.query()
		case ctx == ctxFrom:
			p.fromList() // a parenthesised join: FROM (a JOIN b ON ...)
		}
		p.scan(nil, false)
	})
}

// inGroup runs walk with the cursor inside the group that opens at the
// cursor, which must be a "(", then moves past the group.
func (p *parser) inGroup(walk func()) {
	open := p.pos
	closing := int(p.match[open])
	saved := p.limit
	p.pos, p.limit = open+1, closing
	walk()
	p.pos, p.limit = closing+1, saved
}

// skipOne moves past one token, or a whole group.
func (p *parser) skipOne() {
	if p.peek(0).IsPunct("(") {
		p.pos = int(p.match[p.pos]) + 1
		return
	}
	p.pos++
}

// structural are the words that can never be a table name without backticks.
var structural = makeSet(`SELECT FROM WHERE GROUP HAVING ORDER LIMIT OFFSET FETCH UNION INTERSECT
EXCEPT MINUS JOIN LEFT RIGHT FULL INNER CROSS NATURAL OUTER ON USING AS WITH VALUES LATERAL UNNEST
TABLE INSERT INTO SET AND OR NOT NULL CASE WHEN THEN ELSE END BY DISTINCT ALL WINDOW OVER PARTITION
IN IS EXISTS BETWEEN LIKE FOR QUALIFY MATCH_RECOGNIZE CREATE DROP ALTER BEGIN EXECUTE`)

func isName(t Token) bool {
	return t.Kind == QuotedIdent || (t.Kind == Word && !t.in(classStructural))
}

// name reads a possibly qualified name: ident { . ident }.
func (p *parser) name() Name {
	n := make(Name, p.nameParts())
	if len(n) == 0 {
		return nil
	}
	for i := range n {
		n[i] = p.peek(2 * i).Text
	}
	p.pos += 2*len(n) - 1
	p.nameEnd = p.pos - 1
	return n
}

// nameAt reads the name at toks[i] without moving the cursor.
func (p *parser) nameAt(i int) Name {
	saved := p.pos
	p.pos = i
	n := p.name()
	p.pos = saved
	return n
}

// nameParts counts the parts of the name at the cursor, 0 when there is none.
func (p *parser) nameParts() int {
	if !isName(p.peek(0)) {
		return 0
	}
	k := 1
	for p.peek(2*k-1).IsPunct(".") && (p.peek(2*k).Kind == Word || p.peek(2*k).Kind == QuotedIdent) {
		k++
	}
	return k
}

// countJoins counts JOIN keywords by the words before them.
func countJoins(toks []Token) JoinCounts {
	var c JoinCounts
	for i, t := range toks {
		if t.kw != kwJoin {
			continue
		}
		j := i - 1
		if j >= 0 && toks[j].kw == kwOuter {
			j--
		}
		var before Token
		if j >= 0 {
			before = toks[j]
		}
		switch {
		case before.kw == kwLeft:
			c.Left++
		case before.kw == kwRight:
			c.Right++
		case before.kw == kwFull:
			c.Outer++
		case before.kw == kwInner:
			c.Inner++
		case before.kw == kwCross:
			c.Cross++
		default:
			c.Regular++
		}
	}
	return c
}
