package flinksql

import (
	"fmt"
	"strings"
)

// Parse tokenizes and walks a SQL script. It fails only on lexical errors
// (unterminated string, comment or identifier, invalid UTF-8) and unbalanced
// parentheses; anything else it does not understand is skipped.
func Parse(src string) (*Script, error) {
	all, err := Tokenize(src)
	if err != nil {
		return nil, err
	}
	toks := make([]Token, 0, len(all))
	for _, t := range all {
		if t.Kind != Hint {
			toks = append(toks, t)
		}
	}
	match, isQuery, err := pairParens(toks)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, match: match, isQuery: isQuery, limit: len(toks)}
	script := &Script{Fingerprint: fingerprint(all), Joins: countJoins(toks)}
	for !p.atEnd() {
		if p.peek(0).IsPunct(";") {
			p.pos++
			continue
		}
		script.Statements = append(script.Statements, p.statement())
	}
	return script, nil
}

// pairParens pairs every "(" with its ")", so the walker can step over a
// group in one move, and marks the groups that hold a query.
func pairParens(toks []Token) (match []int32, isQuery []bool, err error) {
	match = make([]int32, len(toks))
	isQuery = make([]bool, len(toks))
	var stack []int32
	for i, t := range toks {
		match[i] = -1
		if t.Kind != Punct {
			continue
		}
		switch t.Text {
		case "(":
			stack = append(stack, int32(i))
		case ")":
			if len(stack) == 0 {
				return nil, nil, &SyntaxError{Pos: t.Pos, Msg: "unexpected )"}
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			match[open] = int32(i)
			isQuery[open] = holdsQuery(toks, match, isQuery, int(open))
		}
	}
	if len(stack) > 0 {
		return nil, nil, &SyntaxError{Pos: toks[stack[len(stack)-1]].Pos, Msg: "unclosed ("}
	}
	return match, isQuery, nil
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
		return isQuery[open+1] && (after.IsPunct(")") || setOps.has(after) || sortWords.has(after))
	}
	return first.Is("SELECT") || first.Is("WITH") || first.Is("VALUES")
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
	reasons map[string]bool
	// scope holds the CTE names visible at this point, innermost last.
	scope []string
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

func (p *parser) at(kw string) bool { return p.peek(0).Is(kw) }
func (p *parser) atEnd() bool       { return p.pos >= p.limit }

// accept moves past the keywords kws if they come next, in order.
func (p *parser) accept(kws ...string) bool {
	for i, kw := range kws {
		if !p.peek(i).Is(kw) {
			return false
		}
	}
	p.pos += len(kws)
	return true
}

func (p *parser) reason(format string, args ...any) {
	r := fmt.Sprintf(format, args...)
	if p.reasons[r] {
		return
	}
	if p.reasons == nil {
		p.reasons = map[string]bool{}
	}
	p.reasons[r] = true
	p.stmt.Stateful = append(p.stmt.Stateful, r)
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
}

// statement walks one statement and leaves the cursor after its ";".
func (p *parser) statement() Statement {
	st := Statement{Pos: p.peek(0).Pos}
	p.stmt = &st
	switch t := p.peek(0); {
	case t.Is("CREATE"):
		p.create()
	case t.Is("INSERT"):
		st.Kind = KindInsert
		p.insert()
	case t.Is("EXECUTE"):
		p.pos++
		switch {
		case p.accept("STATEMENT", "SET"):
			p.statementSet()
		case p.at("INSERT"):
			st.Kind = KindInsert
			p.insert()
		}
	case p.accept("BEGIN", "STATEMENT", "SET"):
		p.statementSet()
	case t.Is("SELECT") || t.Is("WITH") || t.Is("VALUES") || t.IsPunct("("):
		st.Kind = KindQuery
		p.queryWithFeatures()
	case t.Is("DROP"):
		p.pos++
		st.Temporary = p.accept("TEMPORARY")
		if p.accept("TABLE") {
			st.IfExists = p.accept("IF", "EXISTS")
			p.named(KindDropTable)
		}
	case p.accept("ALTER", "TABLE"):
		st.IfExists = p.accept("IF", "EXISTS")
		p.named(KindAlterTable)
	}
	p.skipStatement()
	st.Reads = p.reads.list
	p.stmt, p.reads, p.reasons = nil, names{}, nil
	return st
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
	p.stmt.Kind = kind
	return true
}

func (p *parser) statementSet() {
	p.stmt.Kind = KindStatementSet
	p.accept("BEGIN")
	for !p.atEnd() {
		switch t := p.peek(0); {
		case t.IsPunct(";"):
			p.pos++
		case t.Is("END"):
			p.pos++
			return
		case t.Is("INSERT"):
			p.insert()
		default:
			p.skipStatement()
		}
	}
}

func (p *parser) create() {
	st := p.stmt
	p.pos++ // CREATE
	// CREATE OR ALTER (Flink 2.1 materialized tables) replaces too.
	st.OrReplace = p.accept("OR", "REPLACE") || p.accept("OR", "ALTER")
	st.Temporary = p.accept("TEMPORARY")
	materialized := p.accept("MATERIALIZED")
	switch {
	case p.accept("TABLE"):
		st.IfNotExists = p.accept("IF", "NOT", "EXISTS")
		kind := KindCreateTable
		if materialized {
			kind = KindCreateMaterializedTable
		}
		if p.named(kind) {
			p.tableTail()
		}
	case p.accept("VIEW"):
		st.IfNotExists = p.accept("IF", "NOT", "EXISTS")
		if !p.named(KindCreateView) {
			return
		}
		for !p.atEnd() && !p.peek(0).IsPunct(";") {
			if p.accept("AS") {
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
		case p.at("WITH") && p.peek(1).IsPunct("("):
			p.pos++
			p.options()
		case p.accept("LIKE"):
			if n := p.name(); n != nil {
				p.read(n)
			}
		case p.accept("AS"):
			p.queryWithFeatures()
			return
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
	if !p.accept("INTO") {
		p.accept("OVERWRITE")
	}
	p.accept("TABLE")
	n := p.name()
	if n == nil {
		return
	}
	p.stmt.Writes = append(p.stmt.Writes, n)
	if p.at("PARTITION") && p.peek(1).IsPunct("(") {
		p.pos++
		p.skipOne()
	}
	if p.peek(0).IsPunct("(") && !p.isQuery[p.pos] {
		p.skipOne() // column list
	}
	p.queryWithFeatures()
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
		case t.Is("GROUP") && next.Is("BY"):
			p.reason("GROUP BY")
		case t.Is("OVER") && (call || next.Kind == Word || next.Kind == QuotedIdent):
			p.reason("OVER window")
		case t.Is("MATCH_RECOGNIZE"):
			p.reason("MATCH_RECOGNIZE")
		case call && windowTVFs.has(t):
			p.reason("window %s", strings.ToUpper(t.Text))
		case call && aggregates.has(t) && !p.overAfter(i+1):
			p.reason("aggregate %s()", strings.ToUpper(t.Text))
		}
	}
}

// overAfter reports whether the call whose "(" is at open is followed by OVER:
// SUM(x) OVER (...) is an OVER aggregation, not a global one.
func (p *parser) overAfter(open int) bool {
	after := int(p.match[open]) + 1
	return after < len(p.toks) && p.toks[after].Is("OVER")
}

// query walks [WITH ...] set-expression [ORDER BY ...] [LIMIT ...].
func (p *parser) query() {
	mark := len(p.scope)
	if p.at("WITH") {
		p.with()
	}
	p.setExpr()
	p.scope = p.scope[:mark]
}

func (p *parser) with() {
	p.pos++ // WITH
	p.accept("RECURSIVE")
	for isName(p.peek(0)) {
		name := p.peek(0).Text
		p.pos++
		if p.peek(0).IsPunct("(") && !p.isQuery[p.pos] {
			p.skipOne() // column aliases
		}
		p.accept("AS")
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

// endOfSelect reports whether t ends the clauses of one SELECT.
func endOfSelect(t Token) bool { return setOps.has(t) || sortWords.has(t) || t.Is("INSERT") }

func (p *parser) setExpr() {
	for !p.atEnd() {
		switch t := p.peek(0); {
		case t.Is("SELECT"):
			p.selectCore()
		case t.Is("VALUES"):
			p.pos++
			p.scan(endOfSelect)
		case t.IsPunct("("):
			p.group(ctxFrom)
		case t.Is("TABLE") && isName(p.peek(1)):
			p.pos++
			p.read(p.name())
		default:
			return
		}
		op := p.peek(0)
		if !setOps.has(op) {
			break
		}
		p.pos++
		// Only UNION ALL just concatenates; UNION [DISTINCT], INTERSECT and
		// EXCEPT deduplicate or match rows, which Flink does with state.
		if all := p.accept("ALL"); !all || !op.Is("UNION") {
			p.reason("%s", strings.ToUpper(op.Text))
		}
		p.accept("DISTINCT")
	}
	// ORDER BY, LIMIT, OFFSET, FETCH of the whole set expression: sorting or
	// limiting a stream keeps state.
	p.scan(func(t Token) bool {
		if sortWords.has(t) {
			kw := strings.ToUpper(t.Text)
			if p.peek(1).Is("BY") {
				kw += " BY"
			}
			p.reason("%s", kw)
		}
		return t.Is("INSERT")
	})
}

func (p *parser) selectCore() {
	p.pos++ // SELECT
	if p.accept("DISTINCT") {
		p.reason("SELECT DISTINCT")
	} else {
		p.accept("ALL")
	}
	p.scan(func(t Token) bool {
		if t.Is("FROM") {
			// IS [NOT] DISTINCT FROM compares, it does not start a FROM clause.
			return !(p.prev(1).Is("DISTINCT") && (p.prev(2).Is("IS") || p.prev(2).Is("NOT")))
		}
		return p.atClause()
	})
	if p.accept("FROM") {
		p.fromList()
	}
	p.scan(endOfSelect)
}

// atClause reports whether a clause of the current query level starts here.
// GROUP and ORDER need their BY: LISTAGG(x) WITHIN GROUP (...) is a call.
func (p *parser) atClause() bool {
	t := p.peek(0)
	if t.Is("GROUP") || t.Is("ORDER") {
		return p.peek(1).Is("BY")
	}
	return clauseWords.has(t)
}

// scan walks tokens of the current level until stop says so, a ";" or the end
// of the group, visiting every nested group and the TABLE arguments of table
// functions.
func (p *parser) scan(stop func(Token) bool) {
	for !p.atEnd() {
		t := p.peek(0)
		switch {
		case t.IsPunct(";"):
			return
		case stop != nil && stop(t):
			return
		case t.IsPunct("("):
			p.group(ctxExpr)
		case t.Is("TABLE") && isName(p.peek(1)) && (p.prev(1).IsPunct("(") || p.prev(1).IsPunct(",") || p.prev(1).IsPunct("=>")):
			// TUMBLE(TABLE orders, ...) and DATA => TABLE orders.
			p.pos++
			p.read(p.name())
		default:
			p.pos++
		}
	}
}

func (p *parser) fromList() {
	p.tableRef("")
	for !p.atEnd() {
		switch t := p.peek(0); {
		case t.IsPunct(";"):
			return
		case t.IsPunct(","):
			p.pos++
			p.tableRef("comma join")
		case p.atJoin():
			p.tableRef(p.joinKeyword())
		case t.Is("ON"):
			p.pos++
			p.scan(func(t Token) bool { return t.IsPunct(",") || p.atJoin() || p.atClause() })
		case p.atClause():
			return
		case t.IsPunct("("):
			p.group(ctxExpr) // USING (...), column aliases, MATCH_RECOGNIZE (...)
		default:
			p.pos++
		}
	}
}

// atJoin reports whether a join keyword sequence starts here.
func (p *parser) atJoin() bool {
	t := p.peek(0)
	if t.Is("JOIN") {
		return true
	}
	if !joinWords.has(t) {
		return false
	}
	next := p.peek(1)
	if t.Is("NATURAL") {
		return joinWords.has(next)
	}
	return next.Is("JOIN") || next.Is("OUTER")
}

// joinKeyword consumes a join keyword sequence and returns it upper-cased.
func (p *parser) joinKeyword() string {
	var words []string
	for !p.atEnd() {
		t := p.peek(0)
		p.pos++
		words = append(words, strings.ToUpper(t.Text))
		if t.Is("JOIN") {
			break
		}
	}
	return strings.Join(words, " ")
}

// tableRef walks one item of a FROM list. join is the keyword that joined it
// to the items before ("" for the first item): a join with a table, a
// sub-query or a table function over a table keeps state in Flink; one with
// UNNEST or LATERAL TABLE(fn()) does not.
func (p *parser) tableRef(join string) {
	switch t := p.peek(0); {
	case t.IsPunct("("):
		p.group(ctxFrom)
		if join != "" {
			p.reason("%s with a sub-query", join)
		}
	case t.Is("LATERAL"):
		p.pos++
		if p.accept("TABLE") {
			p.group(ctxExpr) // a table function call
			return
		}
		if p.peek(0).IsPunct("(") {
			p.group(ctxFrom)
			if join != "" {
				p.reason("%s with a LATERAL sub-query", join)
			}
		}
	case t.Is("UNNEST"):
		p.pos++
		p.group(ctxExpr)
	case t.Is("TABLE") && p.peek(1).IsPunct("("):
		p.pos++
		p.group(ctxExpr) // TABLE(TUMBLE(TABLE t, ...)) records t
		if join != "" {
			p.reason("%s with a table function", join)
		}
	case isName(t) && p.callAfterName():
		// FROM fn(...) and FROM TUMBLE(TABLE t, ...): a table function,
		// whose TABLE arguments are what it reads.
		p.name()
		p.group(ctxExpr)
		if join != "" {
			p.reason("%s with a table function", join)
		}
	case isName(t):
		n := p.name()
		p.read(n)
		temporal := p.accept("FOR", "SYSTEM_TIME", "AS", "OF")
		if temporal {
			p.scan(func(t Token) bool {
				return t.Is("AS") || t.Is("ON") || t.Is("USING") || t.IsPunct(",") || p.atJoin() || p.atClause()
			})
		}
		switch {
		case join != "" && temporal:
			p.reason("%s %s FOR SYSTEM_TIME AS OF (temporal join)", join, n)
		case join != "":
			p.reason("%s %s", join, n)
		}
	}
}

// callAfterName reports whether the name at the cursor is followed by "(".
func (p *parser) callAfterName() bool {
	save := p.pos
	p.name()
	call := p.peek(0).IsPunct("(")
	p.pos = save
	return call
}

// group walks a parenthesised group and leaves the cursor after it. A query
// inside an expression is a sub-query, which Flink runs as a join.
func (p *parser) group(ctx groupCtx) {
	open := p.pos
	if !p.peek(0).IsPunct("(") {
		return // LATERAL TABLE or UNNEST without their "(": nothing to walk
	}
	isQuery := p.isQuery[open]
	if isQuery && ctx == ctxExpr {
		switch before := p.prev(1); {
		case before.Is("IN"):
			p.reason("IN sub-query")
		case before.Is("EXISTS"):
			p.reason("EXISTS sub-query")
		case before.Is("ANY") || before.Is("SOME") || before.Is("ALL"):
			p.reason("%s sub-query", strings.ToUpper(before.Text))
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
		p.scan(nil)
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
	return t.Kind == QuotedIdent || (t.Kind == Word && !structural.has(t))
}

// name reads a possibly qualified name: ident { . ident }.
func (p *parser) name() Name {
	if !isName(p.peek(0)) {
		return nil
	}
	n := Name{p.peek(0).Text}
	p.pos++
	for p.peek(0).IsPunct(".") && (p.peek(1).Kind == Word || p.peek(1).Kind == QuotedIdent) {
		n = append(n, p.peek(1).Text)
		p.pos += 2
	}
	return n
}

// countJoins counts JOIN keywords by the words before them.
func countJoins(toks []Token) JoinCounts {
	var c JoinCounts
	for i, t := range toks {
		if !t.Is("JOIN") {
			continue
		}
		j := i - 1
		if j >= 0 && toks[j].Is("OUTER") {
			j--
		}
		var before Token
		if j >= 0 {
			before = toks[j]
		}
		switch {
		case before.Is("LEFT"):
			c.Left++
		case before.Is("RIGHT"):
			c.Right++
		case before.Is("FULL"):
			c.Outer++
		case before.Is("INNER"):
			c.Inner++
		case before.Is("CROSS"):
			c.Cross++
		default:
			c.Regular++
		}
	}
	return c
}
