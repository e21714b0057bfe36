package githubstatus

import (
	"fmt"
	"strings"
)

// maxCommentBytes is GitHub's limit on a comment body, 65,536 characters,
// counted here in bytes: a byte count bounds the characters however GitHub
// counts them (code points or UTF-16 units), and a plan is almost all ASCII.
const maxCommentBytes = 65536

// fitComment returns a body GitHub accepts. A longer one is cut at a line
// boundary, a code fence or <details> section left open is closed so the
// rest still renders, and a note says how many lines were cut. The first
// line, the marker, is always kept.
func fitComment(body string) string {
	if len(body) <= maxCommentBytes {
		return body
	}
	lines := strings.SplitAfter(body, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	keep, size := 0, 0
	for keep < len(lines) && size+len(lines[keep]) <= maxCommentBytes {
		size += len(lines[keep])
		keep++
	}
	// The closers and the note take room too: give up lines until they fit.
	for ; keep > 1; keep-- {
		if out := cutAt(lines, keep); len(out) <= maxCommentBytes {
			return out
		}
	}
	return cutAt(lines, 1)
}

// cutAt keeps the first keep lines (fewer than all, so each ends with a
// newline), closes what they left open and appends the note.
func cutAt(lines []string, keep int) string {
	var b strings.Builder
	fence, details := "", 0
	for _, l := range lines[:keep] {
		b.WriteString(l)
		t := strings.TrimSpace(l)
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.Trim(t, "`") == "" {
				fence = ""
			}
		case strings.HasPrefix(t, "```"):
			fence = t[:len(t)-len(strings.TrimLeft(t, "`"))]
		default:
			details += strings.Count(t, "<details") - strings.Count(t, "</details")
		}
	}
	if fence != "" {
		b.WriteString(fence + "\n")
	}
	for ; details > 0; details-- {
		b.WriteString("\n</details>\n")
	}
	cut := len(lines) - keep
	noun := "lines"
	if cut == 1 {
		noun = "line"
	}
	fmt.Fprintf(&b, "\n… %d more %s cut: the full plan is in the job record\n", cut, noun)
	return b.String()
}
