package jobs

import (
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	base := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		earlier, now time.Time
	}{
		{"a millisecond apart", base, base.Add(time.Millisecond)},
		{"years apart", base, base.AddDate(3, 0, 0)},
		{"around the Unix epoch", time.UnixMilli(1), time.UnixMilli(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := newID(tt.earlier), newID(tt.now)
			for _, id := range []string{a, b} {
				if len(id) != 26 || strings.Trim(id, crockford) != "" || !nameRe.MatchString(id) {
					t.Errorf("id %q: want 26 Crockford base32 characters", id)
				}
			}
			if a >= b {
				t.Errorf("newID(%v) = %s does not sort before newID(%v) = %s", tt.earlier, a, tt.now, b)
			}
		})
	}
	// The time part is the standard ULID one (48-bit milliseconds, computed
	// independently).
	if got, want := newID(base)[:10], "01M86PTPG0"; got != want {
		t.Errorf("time part = %s; want %s", got, want)
	}
	seen := map[string]bool{}
	for range 10000 {
		id := newID(base)
		if seen[id] {
			t.Fatalf("newID repeated %s within one millisecond", id)
		}
		seen[id] = true
	}
}
