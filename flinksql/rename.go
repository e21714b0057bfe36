package flinksql

import (
	"slices"
	"strings"
)

// RenameTables rewrites the tables a script creates, writes and reads whose
// name (its last part, catalog and database aside) is a key of to into the
// key's value; CTE names, columns, strings and comments are left alone, and
// so is every other byte of src. A blue/green deploy runs a table's SQL
// against its physical versions this way. A new name should be one the
// script does not use: a CTE of that name would take the renamed reads.
func RenameTables(src string, to map[string]string) (string, error) {
	if len(to) == 0 {
		return src, nil
	}
	var refs []Token
	if _, err := parse(src, &refs); err != nil {
		return "", err
	}
	slices.SortFunc(refs, func(a, b Token) int { return a.Pos.Offset - b.Pos.Offset })
	var b strings.Builder
	last := 0
	for i, t := range refs {
		name, ok := to[t.Text]
		if !ok || i > 0 && refs[i-1].Pos.Offset == t.Pos.Offset {
			continue
		}
		end := t.Pos.Offset + len(t.Text)
		text := Name{name}.String()
		if t.Kind == QuotedIdent {
			end = t.Pos.Offset + len("`"+strings.ReplaceAll(t.Text, "`", "``")+"`")
			text = "`" + strings.ReplaceAll(name, "`", "``") + "`"
		}
		b.WriteString(src[last:t.Pos.Offset])
		b.WriteString(text)
		last = end
	}
	b.WriteString(src[last:])
	return b.String(), nil
}
