package jobs

import (
	"regexp"
	"strings"
	"testing"
)

// kvKeyRe is nats.go's rule for a KV key.
var kvKeyRe = regexp.MustCompile(`^[-/_=\.a-zA-Z0-9]+$`)

func validKVKey(k string) bool {
	return kvKeyRe.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") && !strings.Contains(k, "..")
}

func TestEscapeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main", "main"},
		{"acme/shop", "acme=2Fshop"},
		{".github", "=2Egithub"},
		{"feature/x.1", "feature=2Fx=2E1"},
		{"a=b", "a=3Db"},
		{"fix ü", "fix=20=C3=BC"},
		{"release-1_2", "release-1_2"},
		{"*>", "=2A=3E"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := escapeKey(tt.in)
			if got != tt.want {
				t.Errorf("escapeKey(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if !validKVKey(got) || strings.Contains(got, ".") {
				t.Errorf("escapeKey(%q) = %q is not a single valid KV token", tt.in, got)
			}
		})
	}
}

func TestKeysAreValidAndDistinct(t *testing.T) {
	// Pairs that naive joining or escaping would confuse.
	pairs := [][2]string{
		{"acme/shop", "main"}, {"acme/shop.v2", "main"}, {"acme/shop", "v2.main"},
		{"acme/shop", "a=2Fb"}, {"acme/shop", "a/b"}, {".github/.x", "..."},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := deployedKey(p[0], p[1])
		if !validKVKey(k) {
			t.Errorf("deployedKey%q = %q is not a valid KV key", p, k)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("deployedKey%q = deployedKey%q = %q", p, other, k)
		}
		seen[k] = p
	}
	for _, d := range []string{"72d3162e-cc78-11e3-81ab-4c9367dc0958", "replay-01J-01K"} {
		if k := deliveryKey(d); !validKVKey(k) {
			t.Errorf("deliveryKey(%q) = %q is not a valid KV key", d, k)
		}
	}
}
