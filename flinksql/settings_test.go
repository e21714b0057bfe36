package flinksql_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

func TestSettings(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		settings map[string]string
		rest     string
		wantErr  bool
	}{
		{name: "no SET", src: "INSERT INTO t SELECT * FROM s;", rest: "INSERT INTO t SELECT * FROM s;"},
		{name: "two SETs", src: "SET 'sql.tables.scan.idle-timeout' = '1s';\nset 'sql.local-time-zone'='UTC' ;\n-- the job\nINSERT INTO t SELECT * FROM s;",
			settings: map[string]string{"sql.tables.scan.idle-timeout": "1s", "sql.local-time-zone": "UTC"},
			rest:     "-- the job\nINSERT INTO t SELECT * FROM s;"},
		{name: "doubled quotes", src: `SET 'k' = 'it''s'; INSERT INTO t SELECT 1;`, settings: map[string]string{"k": "it's"}, rest: "INSERT INTO t SELECT 1;"},
		{name: "a SET inside the statement stays", src: "UPDATE t SET a = 1;", rest: "UPDATE t SET a = 1;"},
		{name: "SET without a value", src: "SET 'k';\nINSERT INTO t SELECT 1;", wantErr: true},
		{name: "SET listing the session", src: "SET;\nINSERT INTO t SELECT 1;", wantErr: true},
		{name: "unquoted key", src: "SET k = 'v';\nINSERT INTO t SELECT 1;", wantErr: true},
		{name: "only SETs", src: "SET 'k' = 'v';", wantErr: true},
		{name: "the same key twice, two values", src: "SET 'k' = 'a'; SET 'k' = 'b'; INSERT INTO t SELECT 1;", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings, rest, err := flinksql.Settings(tt.src)
			var se *flinksql.SyntaxError
			if tt.wantErr {
				if !errors.As(err, &se) {
					t.Fatalf("err %v, want a SyntaxError", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(settings, tt.settings) || rest != tt.rest {
				t.Errorf("Settings = %v, %q, %v; want %v, %q", settings, rest, err, tt.settings, tt.rest)
			}
		})
	}
}
