package flinksql_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

// FuzzParse checks what must hold for any whole SQL file: Parse does not
// panic, overflow its stack or hang, returns a script or an error, never
// both, fails only with a positioned *SyntaxError, never returns a name with
// an empty part nor a CREATE, DROP or ALTER without its table, and gives the
// same answer, fingerprint included, twice; a trailing ";" and comments do
// not change the fingerprint.
// Seeds are in testdata/fuzz/FuzzParse: valid Flink SQL and the broken
// shapes (a misspelt FROM, a stray ";", a FROM without its table, statement
// sets, nesting past the limit...).
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, src string) {
		s, err := flinksql.Parse(src)
		if (s == nil) == (err == nil) {
			t.Fatalf("Parse returned the script %v and the error %v", s, err)
		}
		if err != nil {
			var se *flinksql.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Pos.Line < 1 || se.Pos.Col < 1 || se.Pos.Offset < 0 || se.Pos.Offset > len(src) || se.Msg == "" {
				t.Fatalf("error %q at %+v outside the input", se.Msg, se.Pos)
			}
			if se.Table != nil {
				checkNames(t, "SyntaxError.Table", []flinksql.Name{se.Table})
			}
			return
		}
		checkNames(t, "Script.Writes", s.Writes())
		checkNames(t, "Script.Reads", s.Reads())
		for _, st := range s.Statements {
			if namesTable[st.Kind] && st.Table == nil {
				t.Fatalf("%s statement without a table", st.Kind)
			}
			if st.Table != nil {
				checkNames(t, "Statement.Table", []flinksql.Name{st.Table})
			}
			checkNames(t, "Statement.Writes", st.Writes)
			checkNames(t, "Statement.Reads", st.Reads)
		}
		again, err := flinksql.Parse(src)
		if err != nil {
			t.Fatalf("second Parse failed: %v", err)
		}
		if again.Fingerprint != s.Fingerprint {
			t.Fatalf("fingerprint changed between two parses")
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("two parses differ:\n%+v\n%+v", s, again)
		}
		// The newline first, in case src ends in a line comment.
		tail, err := flinksql.Parse(src + "\n; /* trailing */ -- comment")
		if err != nil {
			t.Fatalf("Parse with a trailing ; and comments failed: %v", err)
		}
		if tail.Fingerprint != s.Fingerprint {
			t.Fatalf("a trailing ; and comments changed the fingerprint")
		}
	})
}

// namesTable are the kinds whose statement always names its table.
var namesTable = map[flinksql.Kind]bool{
	flinksql.KindCreateTable: true, flinksql.KindCreateMaterializedTable: true, flinksql.KindCreateView: true,
	flinksql.KindDropTable: true, flinksql.KindAlterTable: true,
}

func checkNames(t *testing.T, what string, names []flinksql.Name) {
	t.Helper()
	for _, n := range names {
		if len(n) == 0 {
			t.Fatalf("%s has an empty name", what)
		}
		for _, part := range n {
			if part == "" {
				t.Fatalf("%s has %q with an empty part", what, n)
			}
		}
	}
}
