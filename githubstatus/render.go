package githubstatus

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	JobID  string
}

// PlanRow is one table of the plan.
type PlanRow struct {
	Table   string
	Action  planner.ActionKind
	Reason  string
	Product string
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
	if len(r.Errors) > 0 {
		writeErrors(&b, r.Errors)
		writeFooter(&b, r)
		return b.String()
	}
	if len(work) == 0 {
		b.WriteString("No Flink statement would change.\n\n")
	} else {
		fmt.Fprintf(&b, "**%s**\n\n", summary(r.Rows))
		b.WriteString("| Table | Action | Reason |\n|---|---|---|\n")
		for _, row := range work {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", tableCell(row), text(string(row.Action)), text(row.Reason))
		}
		b.WriteString("\n")
		writeGraph(&b, r.Graph)
	}
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

// textEscaper keeps free text inline: HTML-sensitive characters become
// entities (a reason quoting "</details>" must not close a section), pipes
// and backslashes are escaped (GFM splits cells on an unescaped pipe, and
// "\|" would otherwise turn a trailing backslash into an escape) and line
// breaks become <br> (a raw newline ends a table row or a list item).
var textEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "|", `\|`,
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

// text escapes free text for a table cell or a list item. A leading Markdown
// block marker is escaped too: in a list item "# x" would be a heading and
// "---" a rule.
func text(s string) string {
	s = textEscaper.Replace(strings.TrimSpace(s))
	if s != "" && strings.ContainsRune("#-+*=_~`", rune(s[0])) {
		s = `\` + s
	}
	return s
}

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
