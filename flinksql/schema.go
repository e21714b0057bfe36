package flinksql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrNotAlterable: two CREATE TABLE statements differ in something
// Confluent Cloud's ALTER TABLE cannot change (a physical column, a
// column's definition, the distribution...), or one of them is no plain
// CREATE TABLE.
var ErrNotAlterable = errors.New("not a change ALTER TABLE can apply")

// ColumnKind is what a column of a CREATE TABLE is.
type ColumnKind string

const (
	Physical ColumnKind = "physical"
	Computed ColumnKind = "computed"
	Metadata ColumnKind = "metadata"
)

// Column is one column of a table schema.
type Column struct {
	Name string     `json:"name"`
	Kind ColumnKind `json:"kind"`
	// Virtual: a metadata column declared VIRTUAL (read only).
	Virtual bool `json:"virtual,omitempty"`
	// Def is its definition after the name, as SQL; Key the same in a form
	// that ignores spacing and the case of keywords.
	Def string `json:"def"`
	Key string `json:"key"`
}

// Watermark is a table's WATERMARK FOR Column AS Expr.
type Watermark struct {
	Column string `json:"column"`
	Expr   string `json:"expr"`
	Key    string `json:"key"`
}

// PrimaryKey is a table's PRIMARY KEY constraint; Constraint is its name
// when the SQL gives one.
type PrimaryKey struct {
	Constraint string   `json:"constraint,omitempty"`
	Columns    []string `json:"columns"`
}

// TableSchema is what a CREATE TABLE declares, read by the tokenizer.
type TableSchema struct {
	Table       Name        `json:"table"`
	IfNotExists bool        `json:"if_not_exists,omitempty"`
	Columns     []Column    `json:"columns,omitempty"`
	Watermark   *Watermark  `json:"watermark,omitempty"`
	PrimaryKey  *PrimaryKey `json:"primary_key,omitempty"`
	// Options are the WITH options, keys lower-cased.
	Options map[string]string `json:"options,omitempty"`
	// Rest is everything else after the column list (COMMENT, DISTRIBUTED
	// BY, PARTITIONED BY) in the form of Column.Key.
	Rest string `json:"rest,omitempty"`
}

// ColumnNames are the names of its columns, in order.
func (s *TableSchema) ColumnNames() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

// Column returns the column named name.
func (s *TableSchema) Column(name string) (Column, bool) {
	i := slices.IndexFunc(s.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return Column{}, false
	}
	return s.Columns[i], true
}

// ParseTableSchema reads the one CREATE TABLE statement of src.
func ParseTableSchema(src string) (*TableSchema, error) {
	toks, err := Tokenize(src)
	if err != nil {
		return nil, err
	}
	for len(toks) > 0 && toks[len(toks)-1].IsPunct(";") {
		toks = toks[:len(toks)-1]
	}
	if slices.ContainsFunc(toks, func(t Token) bool { return t.IsPunct(";") || t.Kind == Hint }) {
		return nil, fmt.Errorf("%w: not one CREATE TABLE statement", ErrNotAlterable)
	}
	c := cursor{toks: toks}
	if !c.words("CREATE") {
		return nil, fmt.Errorf("%w: not a CREATE TABLE statement", ErrNotAlterable)
	}
	if c.words("OR") || c.words("TEMPORARY") || !c.words("TABLE") {
		return nil, fmt.Errorf("%w: only a plain CREATE TABLE is compared", ErrNotAlterable)
	}
	s := &TableSchema{IfNotExists: c.words("IF", "NOT", "EXISTS")}
	if s.Table = c.name(); s.Table == nil {
		return nil, fmt.Errorf("%w: no table name after CREATE TABLE", ErrNotAlterable)
	}
	if c.peek().IsPunct("(") {
		inner, ok := c.group()
		if !ok {
			return nil, fmt.Errorf("%w: unbalanced column list", ErrNotAlterable)
		}
		for _, el := range splitTop(inner) {
			if err := s.element(src, el); err != nil {
				return nil, err
			}
		}
	}
	var rest []Token
	for !c.end() {
		if c.peek().Is("WITH") && c.peekAt(1).IsPunct("(") {
			c.i++
			inner, _ := c.group()
			opts, err := optionList(inner)
			if err != nil {
				return nil, err
			}
			s.Options = opts
			continue
		}
		if c.peek().Is("LIKE") || c.peek().Is("AS") {
			// Its columns come from another table or a query.
			return nil, fmt.Errorf("%w: a CREATE TABLE ... %s", ErrNotAlterable, c.peek().upper())
		}
		rest = append(rest, c.next())
	}
	s.Rest = keyOf(rest)
	return s, nil
}

// element reads one element of the column list.
func (s *TableSchema) element(src string, el []Token) error {
	if len(el) == 0 {
		return fmt.Errorf("%w: an empty element in the column list", ErrNotAlterable)
	}
	c := cursor{toks: el}
	switch {
	case c.words("WATERMARK", "FOR"):
		col, ok := c.ident()
		if !ok || !c.words("AS") || c.end() {
			return fmt.Errorf("%w: WATERMARK FOR needs a column and AS", ErrNotAlterable)
		}
		s.Watermark = &Watermark{Column: col, Expr: render(c.toks[c.i:]), Key: keyOf(c.toks[c.i:])}
		return nil
	case c.peek().Is("CONSTRAINT"), c.peek().Is("PRIMARY"):
		pk, ok := primaryKey(&c, nil)
		if !ok || !c.end() {
			return fmt.Errorf("%w: a constraint other than PRIMARY KEY (...) NOT ENFORCED", ErrNotAlterable)
		}
		s.PrimaryKey = pk
		return nil
	}
	name, ok := c.ident()
	if !ok {
		return fmt.Errorf("%w: %s does not start a column", ErrNotAlterable, describe(el[0]))
	}
	def := c.toks[c.i:]
	col := Column{Name: name, Kind: Physical}
	// An inline PRIMARY KEY is the table's constraint, not the column's
	// definition.
	for i := range def {
		if def[i].Is("CONSTRAINT") || def[i].Is("PRIMARY") {
			pc := cursor{toks: def, i: i}
			if pk, ok := primaryKey(&pc, []string{name}); ok && pc.end() {
				s.PrimaryKey, def = pk, def[:i]
				break
			}
		}
	}
	switch {
	case len(def) > 0 && def[0].Is("AS"):
		col.Kind = Computed
	case slices.ContainsFunc(def, func(t Token) bool { return t.Is("METADATA") }):
		col.Kind = Metadata
		col.Virtual = slices.ContainsFunc(def, func(t Token) bool { return t.Is("VIRTUAL") })
	}
	col.Def, col.Key = render(def), keyOf(def)
	if _, dup := s.Column(name); dup {
		return fmt.Errorf("%w: column %s declared twice", ErrNotAlterable, name)
	}
	s.Columns = append(s.Columns, col)
	return nil
}

// primaryKey reads [CONSTRAINT name] PRIMARY KEY [(cols)] NOT ENFORCED;
// inline gives the column of a PRIMARY KEY without a list.
func primaryKey(c *cursor, inline []string) (*PrimaryKey, bool) {
	pk := &PrimaryKey{}
	if c.words("CONSTRAINT") {
		name, ok := c.ident()
		if !ok {
			return nil, false
		}
		pk.Constraint = name
	}
	if !c.words("PRIMARY", "KEY") {
		return nil, false
	}
	pk.Columns = inline
	if c.peek().IsPunct("(") {
		inner, ok := c.group()
		if !ok {
			return nil, false
		}
		pk.Columns = nil
		for _, part := range splitTop(inner) {
			pc := cursor{toks: part}
			name, ok := pc.ident()
			if !ok || !pc.end() {
				return nil, false
			}
			pk.Columns = append(pk.Columns, name)
		}
	}
	return pk, len(pk.Columns) > 0 && c.words("NOT", "ENFORCED")
}

// AlterStatements are the ALTER TABLE statements that make a table created
// by old what new declares, in the forms Confluent Cloud documents: ADD of
// a computed or a VIRTUAL metadata column (appended after the others), ADD
// and DROP CONSTRAINT of the primary key, MODIFY and DROP WATERMARK, SET and
// RESET of options. None means the two declare the same table. Anything
// else fails with ErrNotAlterable saying what differs.
func AlterStatements(old, new *TableSchema) ([]string, error) {
	if !slices.EqualFunc(old.Table, new.Table, strings.EqualFold) {
		return nil, fmt.Errorf("%w: the table name changed (%s, now %s)", ErrNotAlterable, old.Table, new.Table)
	}
	if old.Rest != new.Rest {
		return nil, fmt.Errorf("%w: what follows the column list changed (COMMENT, DISTRIBUTED BY or PARTITIONED BY)", ErrNotAlterable)
	}
	alter := "ALTER TABLE " + new.Table.String() + " "
	var out []string
	for i, oc := range old.Columns {
		if i >= len(new.Columns) || new.Columns[i].Name != oc.Name {
			if _, ok := new.Column(oc.Name); !ok {
				return nil, fmt.Errorf("%w: column %s is dropped (ALTER TABLE drops no column)", ErrNotAlterable, oc.Name)
			}
			return nil, fmt.Errorf("%w: column %s moved (ALTER TABLE adds columns at the end only)", ErrNotAlterable, oc.Name)
		}
		if nc := new.Columns[i]; nc.Key != oc.Key {
			return nil, fmt.Errorf("%w: column %s changes from %s to %s (ALTER TABLE modifies no column)", ErrNotAlterable, oc.Name, oc.Def, nc.Def)
		}
	}
	for _, nc := range new.Columns[len(old.Columns):] {
		switch {
		case nc.Kind == Physical:
			return nil, fmt.Errorf("%w: physical column %s is added (physical columns change through Schema Registry only)", ErrNotAlterable, nc.Name)
		case nc.Kind == Metadata && !nc.Virtual:
			return nil, fmt.Errorf("%w: metadata column %s is added without VIRTUAL (ALTER TABLE adds virtual metadata columns only)", ErrNotAlterable, nc.Name)
		}
		out = append(out, alter+"ADD ("+quote(nc.Name)+" "+nc.Def+")")
	}
	if !samePrimaryKey(old.PrimaryKey, new.PrimaryKey) {
		if old.PrimaryKey != nil {
			if old.PrimaryKey.Constraint == "" {
				return nil, fmt.Errorf("%w: the primary key changes and has no constraint name DROP CONSTRAINT could use", ErrNotAlterable)
			}
			out = append(out, alter+"DROP CONSTRAINT "+quote(old.PrimaryKey.Constraint))
		}
		if pk := new.PrimaryKey; pk != nil {
			add := alter + "ADD "
			if pk.Constraint != "" {
				add += "CONSTRAINT " + quote(pk.Constraint) + " "
			}
			cols := make([]string, len(pk.Columns))
			for i, c := range pk.Columns {
				cols[i] = quote(c)
			}
			out = append(out, add+"PRIMARY KEY ("+strings.Join(cols, ", ")+") NOT ENFORCED")
		}
	}
	switch o, n := old.Watermark, new.Watermark; {
	case n == nil && o != nil:
		out = append(out, alter+"DROP WATERMARK")
	case n != nil && (o == nil || o.Column != n.Column || o.Key != n.Key):
		out = append(out, alter+"MODIFY WATERMARK FOR "+quote(n.Column)+" AS "+n.Expr)
	}
	var set, reset []string
	for _, k := range slices.Sorted(maps.Keys(new.Options)) {
		if v, ok := old.Options[k]; !ok || v != new.Options[k] {
			set = append(set, literal(k)+" = "+literal(new.Options[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old.Options)) {
		if _, ok := new.Options[k]; !ok {
			reset = append(reset, literal(k))
		}
	}
	if len(set) > 0 {
		out = append(out, alter+"SET ("+strings.Join(set, ", ")+")")
	}
	if len(reset) > 0 {
		out = append(out, alter+"RESET ("+strings.Join(reset, ", ")+")")
	}
	return out, nil
}

func samePrimaryKey(a, b *PrimaryKey) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.Columns, b.Columns)
}

// cursor walks a token slice.
type cursor struct {
	toks []Token
	i    int
}

func (c *cursor) end() bool { return c.i >= len(c.toks) }

func (c *cursor) peek() Token { return c.peekAt(0) }

func (c *cursor) peekAt(k int) Token {
	if c.i+k >= len(c.toks) {
		return Token{}
	}
	return c.toks[c.i+k]
}

func (c *cursor) next() Token {
	t := c.peek()
	c.i++
	return t
}

// words consumes the keywords ws when they come next.
func (c *cursor) words(ws ...string) bool {
	for k, w := range ws {
		if !c.peekAt(k).Is(w) {
			return false
		}
	}
	c.i += len(ws)
	return true
}

// name reads a dotted name.
func (c *cursor) name() Name {
	var n Name
	for {
		t := c.peek()
		if t.Kind != Word && t.Kind != QuotedIdent {
			return n
		}
		n = append(n, t.Text)
		c.i++
		if !c.peek().IsPunct(".") {
			return n
		}
		c.i++
	}
}

// group consumes a parenthesised group and returns what is inside.
func (c *cursor) group() ([]Token, bool) {
	depth, start := 0, c.i+1
	for ; c.i < len(c.toks); c.i++ {
		switch t := c.toks[c.i]; {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			if depth--; depth == 0 {
				c.i++
				return c.toks[start : c.i-1], true
			}
		}
	}
	return nil, false
}

// splitTop splits toks at the commas outside parentheses and angle
// brackets (ROW<a INT, b INT>).
func splitTop(toks []Token) [][]Token {
	var out [][]Token
	depth, angles, start := 0, 0, 0
	for i, t := range toks {
		switch {
		case t.IsPunct("("):
			depth++
		case t.IsPunct(")"):
			depth--
		case t.IsPunct("<") && i > 0 && (toks[i-1].Is("ROW") || toks[i-1].Is("ARRAY") || toks[i-1].Is("MAP") || toks[i-1].Is("MULTISET")):
			angles++
		case t.IsPunct(">") && angles > 0:
			angles--
		case t.IsPunct(",") && depth == 0 && angles == 0:
			out, start = append(out, toks[start:i]), i+1
		}
	}
	if start < len(toks) {
		out = append(out, toks[start:])
	}
	return out
}

// optionList reads 'key' = 'value' pairs, keys lower-cased.
func optionList(toks []Token) (map[string]string, error) {
	opts := map[string]string{}
	for _, part := range splitTop(toks) {
		if len(part) != 3 || part[0].Kind != String || !part[1].IsPunct("=") || part[2].Kind != String {
			return nil, fmt.Errorf("%w: an option that is not 'key' = 'value'", ErrNotAlterable)
		}
		opts[strings.ToLower(unquote(part[0].Text))] = unquote(part[2].Text)
	}
	return opts, nil
}

// ident reads an identifier: a word, a backticked name, or Confluent's
// system column $rowtime written without backticks ("$" then a word).
func (c *cursor) ident() (string, bool) {
	t := c.peek()
	switch {
	case t.Kind == Word || t.Kind == QuotedIdent:
		c.i++
		return t.Text, true
	case t.IsPunct("$") && c.peekAt(1).Kind == Word && c.peekAt(1).Pos.Offset == t.Pos.Offset+1:
		c.i += 2
		return "$" + c.toks[c.i-1].Text, true
	}
	return "", false
}

// tokenText is a token as SQL.
func tokenText(t Token) string {
	if t.Kind == QuotedIdent {
		return quote(t.Text)
	}
	return t.Text
}

// render writes toks back as SQL, a space where the source had any.
func render(toks []Token) string {
	var b strings.Builder
	end := -1
	for _, t := range toks {
		text := tokenText(t)
		if end >= 0 && t.Pos.Offset > end {
			b.WriteByte(' ')
		}
		b.WriteString(text)
		end = t.Pos.Offset + len(text)
	}
	return b.String()
}

// keyOf is toks in a form that ignores spacing and the case of keywords.
func keyOf(toks []Token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = tokenText(t)
		if t.Kind == Word && t.kw != 0 {
			parts[i] = t.upper()
		}
	}
	return strings.Join(parts, " ")
}

// quote backticks an identifier.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// literal single-quotes a string.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ErrUnsupportedAlter: an ALTER TABLE of a form Confluent Cloud does not
// run (RENAME, MODIFY or DROP of a column, ADD of a physical column...).
var ErrUnsupportedAlter = errors.New("unsupported ALTER TABLE")

// AlterKind is the one change an ALTER TABLE statement makes.
type AlterKind string

const (
	AlterAddColumn       AlterKind = "add-column"
	AlterAddPrimaryKey   AlterKind = "add-primary-key"
	AlterDropConstraint  AlterKind = "drop-constraint"
	AlterModifyWatermark AlterKind = "modify-watermark"
	AlterDropWatermark   AlterKind = "drop-watermark"
	AlterSet             AlterKind = "set"
	AlterReset           AlterKind = "reset"
)

// Alter is one ALTER TABLE statement, read by the tokenizer.
type Alter struct {
	Table      Name
	IfExists   bool
	Kind       AlterKind
	Column     Column      // AlterAddColumn
	PrimaryKey *PrimaryKey // AlterAddPrimaryKey
	Watermark  *Watermark  // AlterModifyWatermark
	Constraint string      // AlterDropConstraint
	Options    map[string]string
	Keys       []string // AlterReset, lower-cased
}

// ParseAlter reads one ALTER TABLE statement in the forms Confluent Cloud
// documents; any other form fails with ErrUnsupportedAlter.
func ParseAlter(src string) (*Alter, error) {
	toks, err := Tokenize(src)
	if err != nil {
		return nil, err
	}
	for len(toks) > 0 && toks[len(toks)-1].IsPunct(";") {
		toks = toks[:len(toks)-1]
	}
	c := cursor{toks: toks}
	if !c.words("ALTER", "TABLE") {
		return nil, fmt.Errorf("%w: not an ALTER TABLE statement", ErrUnsupportedAlter)
	}
	a := &Alter{IfExists: c.words("IF", "EXISTS")}
	if a.Table = c.name(); a.Table == nil {
		return nil, fmt.Errorf("%w: no table name after ALTER TABLE", ErrUnsupportedAlter)
	}
	verb := c.peek()
	unsupported := fmt.Errorf("%w: ALTER TABLE %s %s is not supported by Confluent Cloud for Apache Flink: it adds computed and virtual metadata columns and the primary key, modifies or drops the watermark, drops a constraint, sets and resets options; physical columns change through Schema Registry",
		ErrUnsupportedAlter, a.Table, render(toks[min(c.i, len(toks)):min(c.i+2, len(toks))]))
	switch {
	case c.words("ADD") && c.peek().IsPunct("("):
		inner, ok := c.group()
		s := &TableSchema{}
		if !ok || !c.end() || len(splitTop(inner)) != 1 || s.element("", inner) != nil || len(s.Columns) != 1 || s.PrimaryKey != nil {
			return nil, unsupported
		}
		col := s.Columns[0]
		if col.Kind == Physical || col.Kind == Metadata && !col.Virtual {
			return nil, unsupported
		}
		a.Kind, a.Column = AlterAddColumn, col
	case verb.Is("ADD"):
		pk, ok := primaryKey(&c, nil)
		if !ok || !c.end() {
			return nil, unsupported
		}
		a.Kind, a.PrimaryKey = AlterAddPrimaryKey, pk
	case c.words("MODIFY", "WATERMARK", "FOR"):
		col, ok := c.ident()
		if !ok || !c.words("AS") || c.end() {
			return nil, unsupported
		}
		a.Kind, a.Watermark = AlterModifyWatermark, &Watermark{Column: col, Expr: render(c.toks[c.i:]), Key: keyOf(c.toks[c.i:])}
	case c.words("DROP", "WATERMARK"):
		if !c.end() {
			return nil, unsupported
		}
		a.Kind = AlterDropWatermark
	case c.words("DROP", "CONSTRAINT"):
		n, ok := c.ident()
		if !ok || !c.end() {
			return nil, unsupported
		}
		a.Kind, a.Constraint = AlterDropConstraint, n
	case c.words("SET") && c.peek().IsPunct("("):
		inner, _ := c.group()
		opts, err := optionList(inner)
		if err != nil || !c.end() || len(opts) == 0 {
			return nil, unsupported
		}
		a.Kind, a.Options = AlterSet, opts
	case c.words("RESET") && c.peek().IsPunct("("):
		inner, _ := c.group()
		for _, part := range splitTop(inner) {
			if len(part) != 1 || part[0].Kind != String {
				return nil, unsupported
			}
			a.Keys = append(a.Keys, strings.ToLower(unquote(part[0].Text)))
		}
		if !c.end() || len(a.Keys) == 0 {
			return nil, unsupported
		}
		a.Kind = AlterReset
	default:
		return nil, unsupported
	}
	return a, nil
}

// Apply makes the change a to the schema, or says why Flink refuses it.
func (s *TableSchema) Apply(a *Alter) error {
	table := s.Table.String()
	switch a.Kind {
	case AlterAddColumn:
		if _, ok := s.Column(a.Column.Name); ok {
			return fmt.Errorf("Try to add a column `%s` which already exists in the table.", a.Column.Name)
		}
		s.Columns = append(s.Columns, a.Column)
	case AlterAddPrimaryKey:
		if s.PrimaryKey != nil {
			return fmt.Errorf("The base table %s has already defined the primary key constraint [%s]. You might want to drop it before adding a new one.", table, strings.Join(s.PrimaryKey.Columns, ", "))
		}
		for _, c := range a.PrimaryKey.Columns {
			if col, ok := s.Column(c); !ok || col.Kind != Physical {
				return fmt.Errorf("Invalid primary key. Column `%s` is not a physical column of table %s.", c, table)
			}
		}
		pk := *a.PrimaryKey
		s.PrimaryKey = &pk
	case AlterDropConstraint:
		if s.PrimaryKey == nil || s.PrimaryKey.Constraint != a.Constraint {
			return fmt.Errorf("The base table %s does not define any primary key constraint named `%s`.", table, a.Constraint)
		}
		s.PrimaryKey = nil
	case AlterModifyWatermark:
		if _, ok := s.Column(a.Watermark.Column); !ok && a.Watermark.Column != "$rowtime" {
			return fmt.Errorf("The rowtime attribute field `%s` is not defined in the table schema of %s.", a.Watermark.Column, table)
		}
		w := *a.Watermark
		s.Watermark = &w
	case AlterDropWatermark:
		if s.Watermark == nil {
			return fmt.Errorf("The base table %s does not define any watermark strategy.", table)
		}
		s.Watermark = nil
	case AlterSet:
		if s.Options == nil {
			s.Options = map[string]string{}
		}
		maps.Copy(s.Options, a.Options)
	case AlterReset:
		for _, k := range a.Keys {
			delete(s.Options, k)
		}
	}
	return nil
}
