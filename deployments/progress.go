package deployments

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shiftleft/shiftleft/planner"
)

// progress tells a person how a run goes: on a terminal one line redrawn
// at every change, elsewhere (a CI log, a file) one line per finished
// action. Skip actions do nothing and are not counted. Write errors are
// ignored: progress must not fail a deployment.
type progress struct {
	w                              io.Writer
	live                           bool
	total                          int   // actions that do work
	left                           []int // unfinished actions that do work, per wave
	done, running, failed, blocked int
}

// newProgress returns nil, which reports nothing, when w is nil.
func newProgress(w io.Writer, plan *planner.Plan) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, live: isTerminal(w)}
	for _, wave := range plan.Waves() {
		p.left = append(p.left, len(wave))
		p.total += len(wave)
	}
	return p
}

// isTerminal reports whether w is a character device, as a terminal is: an
// *os.File, or a writer in front of one that tells its Stat (a locked
// stderr).
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) started() {
	if p == nil {
		return
	}
	p.running++
	p.redraw()
}

// finished counts an action that ended, ran or not.
func (p *progress) finished(a *ActionResult, wave int, ran bool) {
	if p == nil || a.Action == planner.Skip {
		return
	}
	if ran {
		p.running--
	}
	p.done++
	p.left[wave]--
	switch a.Status {
	case StatusFailed:
		p.failed++
	case StatusBlocked:
		p.blocked++
	}
	if p.live {
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s\n", p.done, p.total, outcome(a))
}

// outcome is one plain line about a finished action.
func outcome(a *ActionResult) string {
	line := fmt.Sprintf("%s %s: %s", a.Table, a.Action, a.Status)
	switch a.Status {
	case StatusSucceeded:
		line += " in " + a.Duration.String()
	case StatusFailed:
		line += " after " + a.Duration.String()
	}
	if a.Error != "" {
		line += ": " + a.Error
	}
	return line
}

func (p *progress) redraw() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K"+p.line())
	}
}

// line is the live line, e.g. "wave 2/5 · 14/40 done · 2 running · 1
// failed": the wave is the earliest one with actions left, as actions start
// by dependency, not wave by wave.
func (p *progress) line() string {
	wave := len(p.left)
	for i, n := range p.left {
		if n > 0 {
			wave = i + 1
			break
		}
	}
	parts := []string{
		fmt.Sprintf("wave %d/%d", wave, len(p.left)),
		fmt.Sprintf("%d/%d done", p.done, p.total),
		fmt.Sprintf("%d running", p.running),
		fmt.Sprintf("%d failed", p.failed),
	}
	if p.blocked > 0 {
		parts = append(parts, fmt.Sprintf("%d blocked", p.blocked))
	}
	return strings.Join(parts, " · ")
}

// close ends the live line, so that what is printed next starts on a line
// of its own.
func (p *progress) close() {
	if p != nil && p.live && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
