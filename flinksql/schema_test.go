package flinksql

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestAlterStatements(t *testing.T) {
	const base = "CREATE TABLE IF NOT EXISTS t (id STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('changelog.mode' = 'append', 'kafka.retention.time' = '7 d');"
	tests := []struct {
		name, old, new string
		want           []string
		notAlterable   string // part of the error when ErrNotAlterable
	}{
		{name: "same table, other spacing and keyword case", old: base,
			new: "create table if not exists t (\n  id STRING,\n  ts TIMESTAMP_LTZ(3),\n  watermark for ts as ts - interval '5' second\n) with ('kafka.retention.time'='7 d', 'changelog.mode'='append')"},
		{name: "watermark modified", old: base, new: strings.Replace(base, "'5'", "'10'", 1),
			want: []string{"ALTER TABLE t MODIFY WATERMARK FOR `ts` AS ts - INTERVAL '10' SECOND"}},
		{name: "watermark dropped", old: base, new: strings.Replace(base, ", WATERMARK FOR ts AS ts - INTERVAL '5' SECOND", "", 1),
			want: []string{"ALTER TABLE t DROP WATERMARK"}},
		{name: "watermark added", old: "CREATE TABLE t (id STRING, ts TIMESTAMP(3))", new: "CREATE TABLE t (id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)",
			want: []string{"ALTER TABLE t MODIFY WATERMARK FOR `ts` AS ts"}},
		{name: "options set and reset", old: base, new: strings.Replace(base, "'kafka.retention.time' = '7 d'", "'scan.bounded.mode' = 'unbounded'", 1),
			want: []string{"ALTER TABLE t SET ('scan.bounded.mode' = 'unbounded')", "ALTER TABLE t RESET ('kafka.retention.time')"}},
		{name: "computed and virtual metadata columns added at the end", old: "CREATE TABLE t (id STRING)",
			new:  "CREATE TABLE t (id STRING, up AS UPPER(id), `off` BIGINT METADATA FROM 'offset' VIRTUAL)",
			want: []string{"ALTER TABLE t ADD (`up` AS UPPER(id))", "ALTER TABLE t ADD (`off` BIGINT METADATA FROM 'offset' VIRTUAL)"}},
		{name: "primary key added", old: "CREATE TABLE t (id STRING NOT NULL)", new: "CREATE TABLE t (id STRING NOT NULL, PRIMARY KEY (id) NOT ENFORCED)",
			want: []string{"ALTER TABLE t ADD PRIMARY KEY (`id`) NOT ENFORCED"}},
		{name: "named primary key changed", old: "CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (a) NOT ENFORCED)",
			new:  "CREATE TABLE t (a INT, b INT, CONSTRAINT pk PRIMARY KEY (a, b) NOT ENFORCED)",
			want: []string{"ALTER TABLE t DROP CONSTRAINT `pk`", "ALTER TABLE t ADD CONSTRAINT `pk` PRIMARY KEY (`a`, `b`) NOT ENFORCED"}},
		{name: "inline primary key is the table's", old: "CREATE TABLE t (id STRING PRIMARY KEY NOT ENFORCED)", new: "CREATE TABLE t (id STRING, PRIMARY KEY (id) NOT ENFORCED)"},
		{name: "unnamed primary key changed", old: "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a) NOT ENFORCED)", new: "CREATE TABLE t (a INT, b INT, PRIMARY KEY (b) NOT ENFORCED)", notAlterable: "no constraint name"},
		{name: "column type changed", old: "CREATE TABLE t (id STRING, n INT)", new: "CREATE TABLE t (id STRING, n BIGINT)", notAlterable: "column n changes from INT to BIGINT"},
		{name: "physical column dropped", old: "CREATE TABLE t (id STRING, n INT)", new: "CREATE TABLE t (id STRING)", notAlterable: "column n is dropped"},
		{name: "physical column added", old: "CREATE TABLE t (id STRING)", new: "CREATE TABLE t (id STRING, n INT)", notAlterable: "physical column n"},
		{name: "computed column dropped", old: "CREATE TABLE t (id STRING, up AS UPPER(id))", new: "CREATE TABLE t (id STRING)", notAlterable: "column up is dropped"},
		{name: "computed column modified", old: "CREATE TABLE t (id STRING, up AS UPPER(id))", new: "CREATE TABLE t (id STRING, up AS LOWER(id))", notAlterable: "column up changes"},
		{name: "column added in the middle", old: "CREATE TABLE t (a INT, b INT)", new: "CREATE TABLE t (a INT, c AS a + 1, b INT)", notAlterable: "column b moved"},
		{name: "stored metadata column added", old: "CREATE TABLE t (id STRING)", new: "CREATE TABLE t (id STRING, h MAP<STRING, BYTES> METADATA FROM 'headers')", notAlterable: "without VIRTUAL"},
		{name: "distribution changed", old: "CREATE TABLE t (id STRING) DISTRIBUTED BY (id) INTO 4 BUCKETS", new: "CREATE TABLE t (id STRING) DISTRIBUTED BY (id) INTO 6 BUCKETS", notAlterable: "what follows the column list"},
		{name: "table renamed", old: "CREATE TABLE t (id STRING)", new: "CREATE TABLE u (id STRING)", notAlterable: "name changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, err := ParseTableSchema(tt.old)
			if err != nil {
				t.Fatal(err)
			}
			nw, err := ParseTableSchema(tt.new)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AlterStatements(old, nw)
			if tt.notAlterable != "" {
				if !errors.Is(err, ErrNotAlterable) || !strings.Contains(err.Error(), tt.notAlterable) {
					t.Fatalf("err %v, want ErrNotAlterable saying %q", err, tt.notAlterable)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			// Each statement parses as Confluent's ALTER TABLE, and applied
			// to the old schema they give the new one.
			for _, sql := range got {
				a, err := ParseAlter(sql)
				if err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
				if err := old.Apply(a); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			if again, err := AlterStatements(old, nw); err != nil || len(again) != 0 {
				t.Errorf("after the ALTERs: %q, %v; want the same table", again, err)
			}
		})
	}
}

func TestParseTableSchemaRefusesTablesItCannotCompare(t *testing.T) {
	for _, sql := range []string{
		"CREATE TABLE t AS SELECT 1",
		"CREATE TABLE t (PRIMARY KEY (id) NOT ENFORCED) LIKE src",
		"CREATE OR REPLACE TABLE t (id INT)",
		"CREATE TEMPORARY TABLE t (id INT)",
		"CREATE VIEW v AS SELECT 1",
		"CREATE TABLE a (id INT); CREATE TABLE b (id INT)",
		"CREATE TABLE t (id INT, id STRING)",
		"CREATE TABLE t (id INT, CONSTRAINT c UNIQUE (id))",
		"CREATE TABLE t (id INT) WITH ('a')",
	} {
		if _, err := ParseTableSchema(sql); !errors.Is(err, ErrNotAlterable) {
			t.Errorf("%s: %v, want ErrNotAlterable", sql, err)
		}
	}
}

func TestParseAlterRefusesWhatConfluentDoesNotRun(t *testing.T) {
	for _, sql := range []string{
		"ALTER TABLE t ADD (n INT)",
		"ALTER TABLE t ADD (h BYTES METADATA FROM 'headers')",
		"ALTER TABLE t MODIFY (n BIGINT)",
		"ALTER TABLE t DROP (up)",
		"ALTER TABLE t DROP COLUMN up",
		"ALTER TABLE t RENAME n TO m",
		"ALTER TABLE t RENAME TO u",
		"ALTER TABLE t ADD WATERMARK FOR ts AS ts",
		"ALTER TABLE t DROP PRIMARY KEY",
		"ALTER TABLE t SET ('a')",
		"ALTER TABLE t",
		"DROP TABLE t",
	} {
		if _, err := ParseAlter(sql); !errors.Is(err, ErrUnsupportedAlter) {
			t.Errorf("%s: %v, want ErrUnsupportedAlter", sql, err)
		}
	}
}

func TestApplyRefusesWhatFlinkRefuses(t *testing.T) {
	schema := func() *TableSchema {
		s, err := ParseTableSchema("CREATE TABLE t (id STRING, up AS UPPER(id), CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED) WITH ('a' = '1')")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for sql, want := range map[string]string{
		"ALTER TABLE t ADD (up AS LOWER(id))":                "already exists",
		"ALTER TABLE t ADD PRIMARY KEY (id) NOT ENFORCED":    "already defined the primary key",
		"ALTER TABLE t DROP CONSTRAINT other":                "does not define any primary key constraint named `other`",
		"ALTER TABLE t DROP WATERMARK":                       "does not define any watermark",
		"ALTER TABLE t MODIFY WATERMARK FOR ts AS ts":        "`ts` is not defined",
		"ALTER TABLE t MODIFY WATERMARK FOR $rowtime AS now": "",
		"ALTER TABLE t RESET ('a')":                          "",
	} {
		a, err := ParseAlter(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		err = schema().Apply(a)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", sql, err, want)
		}
	}
	s := schema()
	a, _ := ParseAlter("ALTER TABLE t SET ('b' = '2')")
	if err := s.Apply(a); err != nil || !maps.Equal(s.Options, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("SET: %v %v", s.Options, err)
	}
}

func FuzzParseTableSchema(f *testing.F) {
	for _, seed := range []string{
		"CREATE TABLE IF NOT EXISTS t (id STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('a' = 'b')",
		"CREATE TABLE t (a ROW<x INT, y INT>, b AS a.x > 1, CONSTRAINT pk PRIMARY KEY (a) NOT ENFORCED)",
		"CREATE TABLE t (id STRING PRIMARY KEY NOT ENFORCED) DISTRIBUTED BY (id) INTO 4 BUCKETS",
		"ALTER TABLE t ADD (up AS UPPER(id))",
		"CREATE TABLE t (",
	} {
		f.Add(seed, seed)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		old, err1 := ParseTableSchema(a)
		nw, err2 := ParseTableSchema(b)
		if err1 != nil || err2 != nil {
			return
		}
		got, err := AlterStatements(old, nw)
		if err != nil {
			return
		}
		for _, sql := range got {
			if _, err := ParseAlter(sql); err != nil {
				t.Fatalf("%s does not parse: %v", sql, err)
			}
		}
	})
}

func FuzzParseAlter(f *testing.F) {
	for _, seed := range []string{
		"ALTER TABLE t MODIFY WATERMARK FOR $rowtime AS $rowtime - INTERVAL '1' SECOND",
		"ALTER TABLE t ADD (up AS UPPER(id))",
		"ALTER TABLE t ADD CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED",
		"ALTER TABLE t RESET ('a', 'b')",
		"ALTER TABLE t SET ('a' = 'b')",
		"ALTER TABLE t DROP CONSTRAINT pk",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		a, err := ParseAlter(sql)
		if err != nil {
			return
		}
		s, err := ParseTableSchema("CREATE TABLE t (id STRING NOT NULL, ts TIMESTAMP(3), CONSTRAINT pk PRIMARY KEY (id) NOT ENFORCED) WITH ('a' = 'b')")
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Apply(a) // an error is Flink's refusal; a panic is a bug
	})
}
