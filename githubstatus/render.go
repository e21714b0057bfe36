package githubstatus

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shiftleft/shiftleft/planner"
)

// Marker is the hidden first line of the plan comment: [Reporter.UpsertComment]
// finds the comment to edit by it.
const Marker = "<!-- shiftleft:plan -->"

// PlanReport is what a pull request's plan comment shows.
type PlanReport struct {
	Repo        string // owner/name
	PullRequest int
	BaseSHA     string
	HeadSHA     string
	// Rows are the plan's actions in plan order (parents first), skipped
	// tables included; the summary counts are computed from them so they
	// cannot disagree with the table.
	Rows []PlanRow
	// Graph is a Mermaid flowchart of the affected subgraph, such as
	// (*pipeline.Report).Mermaid gives; empty leaves the section out.
	Graph string
	// Warnings are shown above the plan: deleted tables, parse errors...
	Warnings []string
	// Errors say why the pull request's pipelines do not build, one per
	// broken file (its path, table, line and what is wrong): then nothing
	// is planned, and the comment says so instead of showing a plan.
	Errors []string
	// Refused says why the plan would not run: it drops topics without
	// permission (planner.DropError).
	Refused string
	// Validated is set when the plan's new and changed statements were
	// dry-run against the target: Checks are their results, in dependency
	// order, UnknownTables the tables they read that nothing has.
	Validated     bool
	Checks        []CheckRow
	UnknownTables []UnknownTableRow
	JobID         string
}

// PlanRow is one table of the plan.
type PlanRow struct {
	Table   string
	Action  planner.ActionKind
	Reason  string
	Product string
	// Consequence says what the action does to the table's data.
	Consequence string
}

// RenderPlanComment renders the plan comment's Markdown. Every text that
// comes from the repository is escaped, so a reason or a warning cannot
// break the table or close a section.
func RenderPlanComment(r PlanReport) string {
	var work, skipped []PlanRow
	for _, row := range r.Rows {
		if row.Action == planner.Skip {
			skipped = append(skipped, row)
		} else {
			work = append(work, row)
		}
	}

	var b strings.Builder
	b.WriteString(Marker + "\n")
	fmt.Fprintf(&b, "### shiftleft plan for %s\n\n", code(shortSHA(r.HeadSHA)))
	writeWarnings(&b, r.Warnings)
	if r.Refused != "" {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **Merging would not deploy**: %s\n\n", text(r.Refused))
	}
	if len(r.Errors) > 0 {
		writeErrors(&b, r.Errors)
		writeFooter(&b, r)
		return b.String()
	}
	if len(work) == 0 {
		b.WriteString("No Flink statement would change.\n\n")
	} else {
		fmt.Fprintf(&b, "**%s**\n\n", summary(r.Rows))
		b.WriteString("| Table | Action | Reason | Data |\n|---|---|---|---|\n")
		for _, row := range work {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", tableCell(row), text(string(row.Action)), text(row.Reason), text(row.Consequence))
		}
		b.WriteString("\n")
		writeGraph(&b, r.Graph)
	}
	writeValidation(&b, r)
	// Folded in both cases: with nothing to change, they say which tables
	// the pull request touched and why they are left alone.
	writeSkipped(&b, skipped)
	writeFooter(&b, r)
	return b.String()
}

// summary counts the rows by action, the heaviest first:
// "3 to recreate, 2 to restart, 1 to create, 10 unchanged".
func summary(rows []PlanRow) string {
	counts := map[planner.ActionKind]int{}
	for _, row := range rows {
		counts[row.Action]++
	}
	order := []planner.ActionKind{planner.Recreate, planner.RestartDML, planner.Create, planner.Drop}
	// A kind the planner adds later still shows, after the known ones.
	var others []planner.ActionKind
	for k := range counts {
		if k != planner.Skip && !slices.Contains(order, k) {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	var parts []string
	for _, k := range append(order, others...) {
		if n := counts[k]; n > 0 {
			verb := string(k)
			if k == planner.RestartDML {
				verb = "restart"
			}
			parts = append(parts, fmt.Sprintf("%d to %s", n, text(verb)))
		}
	}
	if n := counts[planner.Skip]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", n))
	}
	return strings.Join(parts, ", ")
}

// writeWarnings puts the warnings in a GitHub alert, one item each.
func writeWarnings(b *strings.Builder, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	b.WriteString("> [!WARNING]\n")
	for _, w := range warnings {
		fmt.Fprintf(b, "> - %s\n", text(w))
	}
	b.WriteString("\n")
}

// writeErrors says the pipelines do not build, and why, in a GitHub alert.
func writeErrors(b *strings.Builder, errs []string) {
	fmt.Fprintf(b, "> [!CAUTION]\n> **The pipelines do not build** (%d %s): nothing can be planned or deployed until they do.\n>\n",
		len(errs), plural(len(errs), "error", "errors"))
	for _, e := range errs {
		fmt.Fprintf(b, "> - %s\n", text(e))
	}
	b.WriteString("\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeGraph(b *strings.Builder, graph string) {
	graph = strings.TrimRight(graph, "\n")
	if graph == "" {
		return
	}
	// A fence longer than any backtick run of the graph cannot be closed by it.
	fence := strings.Repeat("`", max(3, longestRun(graph, '`')+1))
	fmt.Fprintf(b, "<details><summary>Graph</summary>\n\n%smermaid\n%s\n%s\n\n</details>\n\n", fence, graph, fence)
}

func writeSkipped(b *strings.Builder, skipped []PlanRow) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(b, "<details><summary>Unchanged tables (%d)</summary>\n\n| Table | Reason |\n|---|---|\n", len(skipped))
	for _, row := range skipped {
		fmt.Fprintf(b, "| %s | %s |\n", tableCell(row), text(row.Reason))
	}
	b.WriteString("\n</details>\n\n")
}

func writeFooter(b *strings.Builder, r PlanReport) {
	parts := []string{
		text(r.Repo) + "#" + strconv.Itoa(r.PullRequest),
		"base " + code(shortSHA(r.BaseSHA)) + " → head " + code(shortSHA(r.HeadSHA)),
	}
	if r.JobID != "" {
		parts = append(parts, "job "+code(r.JobID))
	}
	parts = append(parts, "this comment is updated on every push")
	fmt.Fprintf(b, "---\n<sub>%s</sub>\n", strings.Join(parts, " · "))
}

func tableCell(row PlanRow) string {
	if row.Product == "" {
		return code(row.Table)
	}
	return code(row.Table) + " (" + text(row.Product) + ")"
}

func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// text escapes free text for a table cell or a list item, so that it shows
// as written and cannot format, link or break anything: HTML-sensitive
// characters become entities (a reason quoting "</details>" must not close a
// section); the characters of inline Markdown are backslash-escaped (pipes
// too: GFM splits cells on an unescaped one; backslashes, or "\|" would turn
// a trailing one into an escape), underscores only where they could emphasise
// (GFM never reads one inside a word: int_orders_v2 stays readable); line
// breaks become <br> (a raw newline ends a table row or a list item). A
// leading block marker is escaped too: in a list item "# x" would be a
// heading, "---" a rule, "1. x" a nested list.
func text(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString("<br>")
		case '\n':
			b.WriteString("<br>")
		case '\\', '|', '*', '`', '~', '[', ']':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '_':
			if !insideWord(s, i) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if out != "" && strings.ContainsRune("#-+=", rune(out[0])) {
		return `\` + out
	}
	return orderedListMarker.ReplaceAllString(out, `${1}\${2}${3}`)
}

// orderedListMarker is how an ordered list item starts: up to nine digits,
// "." or ")", then a space or the end.
var orderedListMarker = regexp.MustCompile(`^([0-9]{1,9})([.)])( |$)`)

// insideWord reports whether the run of underscores around s[i] has a
// letter or digit on both sides, where GFM reads it as a literal.
func insideWord(s string, i int) bool {
	start, end := i, i
	for start > 0 && s[start-1] == '_' {
		start--
	}
	for end < len(s) && s[end] == '_' {
		end++
	}
	if start == 0 || end == len(s) {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(s[:start])
	after, _ := utf8.DecodeRuneInString(s[end:])
	return isWordRune(before) && isWordRune(after)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// code renders a name or a SHA as a code span. Code spans are literal, so a
// string that a code span cannot hold as is (a backtick, a pipe, a
// backslash, a line break) is rendered as escaped text instead.
func code(s string) string {
	if s == "" || strings.ContainsAny(s, "`|\\\r\n") {
		return text(s)
	}
	return "`" + s + "`"
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
