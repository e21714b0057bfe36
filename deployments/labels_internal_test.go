package deployments

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLabelValue(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"a table name as is", "int_sales_orders", "int_sales_orders", maxLabelValue},
		{"dots kept", "shop.orders.v1", "shop.orders.v1", maxLabelValue},
		{"other characters become _", "we`ird name/é", "we_ird_name", maxLabelValue},
		{"starts and ends with a letter or digit", "_tmp_", "tmp", maxLabelValue},
		{"cut to the bound", "abcdefghij", "abcde", 5},
		{"cut, then trimmed", "abcd_fghij", "abcd", 5},
		{"nothing usable", "--", "", maxLabelValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := labelValue(tt.in, tt.max); got != tt.want {
				t.Errorf("labelValue(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestFingerprintLabel(t *testing.T) {
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct{ in, want string }{
		{sha, sha[:32]},
		{"abc", "abc"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FingerprintLabel(tt.in); got != tt.want {
			t.Errorf("FingerprintLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatementLabels(t *testing.T) {
	tests := []struct {
		name                       string
		table, fingerprint, commit string
		want                       map[string]string
	}{
		{"all three", "orders", "abc", "c1", map[string]string{LabelTable: "orders", LabelFingerprint: "abc", LabelCommit: "c1"}},
		{"a drop helper, no commit", "orders", "", "", map[string]string{LabelTable: "orders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, statementLabels(tt.table, tt.fingerprint, tt.commit)); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuoteIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"orders", "`orders`"},
		{"shop.orders", "`shop.orders`"},
		{"we`ird", "`we``ird`"},
	}
	for _, tt := range tests {
		if got := quoteIdent(tt.in); got != tt.want {
			t.Errorf("quoteIdent(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
