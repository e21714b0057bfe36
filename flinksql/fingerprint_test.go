package flinksql_test

import (
	"testing"

	"github.com/shiftleft/shiftleft/flinksql"
)

// TestFingerprintStable pins fingerprints to exact values: other code stores
// them, so a change to the normalisation or the hash input is a breaking
// change, whatever the other fingerprint tests say.
func TestFingerprintStable(t *testing.T) {
	tests := []struct{ sql, want string }{
		{benchDML, "f57d760d91b75c6e4b48db56d2f8a9bbf2cfdcc537975fab4b87d5992718cb9a"},
		{"create temporary table T (a int, `b``c` string, watermark for a as a) with ('k' = 'v');",
			"acfac297091012af1e285cc9c565940f9007d9f7a3d5877a543435fe86858deb"},
		{"select /*+  OPTIONS('a'='b')\n\t*/ x, 'it''s', 1.5e3, \"q\" from t where a <> b || c;;",
			"d9b2c7e97f03c34ccf2a82c54730895ad9e7d4966d68a3c2cf385588bfe2d08e"},
		{"SELECT straße, 表 ½ FROM `clone.dev.orders-v2` -- tail",
			"f6b0acb1835887d76213e4bf8f5db91d45bae7088133d92f95f8d05676e8cb5c"},
		{"insert into sink select count(*) over w, listagg(x) within group (order by y) from s",
			"9f6802e291597c221cf3fe904b054d061e816b0ec47f3c09105478a5e4be9ff7"},
	}
	for _, tc := range tests {
		s, err := flinksql.Parse(tc.sql)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.sql, err)
		}
		if s.Fingerprint != tc.want {
			t.Errorf("Parse(%q).Fingerprint = %s, want %s", tc.sql, s.Fingerprint, tc.want)
		}
	}
}
