package inventory

import (
	"maps"
	"slices"
	"strings"
)

// parseProperties reads the Java-properties subset shift_left accepts next to
// a statement: key=value or key: value lines, # and ! comments.
func parseProperties(content string) map[string]string {
	props := map[string]string{}
	for _, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			props[line] = ""
			continue
		}
		props[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	return props
}

// canonicalProperties writes properties sorted by key, so the fingerprint does
// not depend on their order or on comments.
func canonicalProperties(props map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(props)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(props[k])
		b.WriteByte('\n')
	}
	return b.String()
}
