package githubstatus

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckRow is the dry run of one statement of the pull request.
type CheckRow struct {
	Table string
	// Kind is "ddl" or "dml".
	Kind string
	// File and Line: where the statement is, or where Flink's error is.
	File string
	Line int
	// Error is Flink's error; "" when the statement is valid.
	Error string
	// Unchecked says why the target could not check it; "" when it did.
	Unchecked string
}

// UnknownTableRow is a table the pull request's SQL reads that neither the
// pipelines define nor the target has.
type UnknownTableRow struct {
	Table  string
	ReadBy []string
}

// invalid counts what the validation rejected.
func (r PlanReport) invalid() int {
	n := len(r.UnknownTables)
	for _, c := range r.Checks {
		if c.Error != "" {
			n++
		}
	}
	return n
}

// unchecked counts the statements the target could not check.
func (r PlanReport) unchecked() int {
	n := 0
	for _, c := range r.Checks {
		if c.Unchecked != "" {
			n++
		}
	}
	return n
}

// writeValidation renders the dry runs: what Flink rejects first, in an
// alert, then every statement with its result.
func writeValidation(b *strings.Builder, r PlanReport) {
	if !r.Validated {
		return
	}
	b.WriteString("#### SQL validation\n\n")
	if n := r.invalid(); n > 0 {
		fmt.Fprintf(b, "> [!CAUTION]\n> **%d %s**: this pull request would fail to deploy.\n>\n", n,
			plural(n, "problem found by the dry runs against the target", "problems found by the dry runs against the target"))
		for _, u := range r.UnknownTables {
			readers := make([]string, len(u.ReadBy))
			for i, t := range u.ReadBy {
				readers[i] = code(t)
			}
			fmt.Fprintf(b, "> - Table %s, read by %s, is defined neither in the pipelines nor on the target: "+
				"a misspelt name, or a topic to declare in seeds/external\\_tables.json.\n", code(u.Table), strings.Join(readers, ", "))
		}
		b.WriteString("\n")
	} else if unchecked := r.unchecked(); unchecked > 0 {
		fmt.Fprintf(b, "%d of the %d new or changed statements validated against the target (`sql.dry-run`); "+
			"%d not checked: %s a table this pull request creates, which the target checks only once it exists.\n\n",
			len(r.Checks)-unchecked, len(r.Checks), unchecked, plural(unchecked, "it uses", "they use"))
	} else if len(r.Checks) > 0 {
		fmt.Fprintf(b, "Each of the %d new or changed %s validated against the target (`sql.dry-run`).\n\n",
			len(r.Checks), plural(len(r.Checks), "statement", "statements"))
	}
	if len(r.Checks) == 0 {
		b.WriteString("No new or changed statement to validate.\n\n")
		return
	}
	b.WriteString("| Table | Statement | Result |\n|---|---|---|\n")
	for _, c := range r.Checks {
		result := "valid"
		switch {
		case c.Error != "":
			result = "**invalid**: " + text(c.Error)
		case c.Unchecked != "":
			result = "not checked: " + text(c.Unchecked)
		}
		fmt.Fprintf(b, "| %s | %s %s | %s |\n", code(c.Table), text(c.Kind), code(c.File+":"+strconv.Itoa(c.Line)), result)
	}
	b.WriteString("\n")
}
