package reconcile

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shiftleft/shiftleft/planner"
)

// Report is the drift of one repository in one environment: every table
// of the deployed commit compared with what runs, and the statements that
// are no table's (orphaned, unmanaged).
type Report struct {
	Repo        string `json:"repo"`
	Environment string `json:"environment"`
	Branch      string `json:"branch,omitempty"`
	// Commit is the commit compared with (the deployed one); Tip where the
	// branch was.
	Commit    string    `json:"commit,omitempty"`
	Tip       string    `json:"tip,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	// Counts are the tables by state, every state present.
	Counts map[planner.SyncState]int `json:"counts"`
	Tables []Table                   `json:"tables"`
	// Omitted counts the tables a stored report leaves out (see
	// [Report.Stored]); the counts have them.
	Omitted int `json:"omitted,omitempty"`
	// Error says why the drift could not be read ("" when it was);
	// TipError why the branch's tip could not be read or deployed.
	Error    string `json:"error,omitempty"`
	TipError string `json:"tip_error,omitempty"`
}

// Table is one table's state, and what self-heal does about it.
type Table struct {
	planner.TableStatus
	// Heal is what self-heal did: "" (off, or nothing to do), "queued in
	// job <id>", or why it leaves the table alone.
	Heal string `json:"heal,omitempty"`
}

// NewReport classifies statuses (from [planner.Status]).
func NewReport(repo, env string, statuses []planner.TableStatus, at time.Time) *Report {
	r := &Report{Repo: repo, Environment: env, CheckedAt: at.UTC(), Counts: map[planner.SyncState]int{}, Tables: []Table{}}
	for _, s := range planner.SyncStates {
		r.Counts[s] = 0
	}
	for _, s := range statuses {
		r.Counts[s.State]++
		r.Tables = append(r.Tables, Table{TableStatus: s})
	}
	return r
}

// MaxStoredTables bounds the tables a stored report lists: a NATS message
// holds 1 MB by default, and an environment emptied by hand makes every
// table of a large repository missing.
const MaxStoredTables = 500

// maxDetail bounds a stored table's detail (Flink's errors can be long).
const maxDetail = 500

// Stored is the report as the reconciler stores it: the tables not in sync
// only, at most [MaxStoredTables] of them, details cut to maxDetail bytes.
func (r *Report) Stored() *Report {
	out := *r
	out.Tables = []Table{}
	for _, t := range r.Drifted() {
		if len(out.Tables) == MaxStoredTables {
			out.Omitted++
			continue
		}
		if len(t.Detail) > maxDetail {
			t.Detail = strings.ToValidUTF8(t.Detail[:maxDetail], "") + "…"
		}
		out.Tables = append(out.Tables, t)
	}
	out.Omitted += r.Omitted
	return &out
}

// Drifted are the tables not in sync.
func (r *Report) Drifted() []Table {
	var out []Table
	for _, t := range r.Tables {
		if t.State != planner.InSync {
			out = append(out, t)
		}
	}
	return out
}

// Write prints the report for a terminal: a line of counts, then each table
// not in sync (all of them with all).
func (r *Report) Write(w io.Writer, all bool) error {
	head := r.Repo
	if r.Commit != "" {
		head += "@" + short(r.Commit)
	}
	fmt.Fprintf(w, "%s in %s, checked %s:", head, r.Environment, r.CheckedAt.Local().Format(time.DateTime))
	if r.Error != "" {
		_, err := fmt.Fprintf(w, " not read: %s\n", r.Error)
		return err
	}
	for _, s := range planner.SyncStates {
		if n := r.Counts[s]; n > 0 || s == planner.InSync {
			fmt.Fprintf(w, " %d %s", n, s)
		}
	}
	fmt.Fprintln(w)
	if r.TipError != "" {
		fmt.Fprintf(w, "  tip: %s\n", r.TipError)
	}
	tables := r.Drifted()
	if all {
		tables = r.Tables
	}
	if len(tables) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TABLE\tSTATE\tSTATEMENT\tDETAIL")
	for _, t := range tables {
		detail := t.Detail
		if t.Heal != "" {
			detail += " [self-heal: " + t.Heal + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.Table, t.State, t.Statement, detail)
	}
	if r.Omitted > 0 {
		fmt.Fprintf(tw, "  … and %d more tables not in sync (the counts have them)\n", r.Omitted)
	}
	return tw.Flush()
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
