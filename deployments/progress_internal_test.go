package deployments

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/planner"
)

func TestProgress(t *testing.T) {
	// a and x in wave 0, b in wave 1; s does nothing.
	plan := &planner.Plan{Actions: []planner.Action{
		{Table: "s", Kind: planner.Skip},
		{Table: "a", Kind: planner.Create},
		{Table: "x", Kind: planner.Create},
		{Table: "b", Kind: planner.RestartDML, Wave: 1},
	}}
	finish := func(p *progress, table string, kind planner.ActionKind, status Status, wave int, ran bool, err string) {
		p.finished(&ActionResult{Table: table, Action: kind, Status: status, Duration: Duration{1500 * time.Millisecond}, Error: err}, wave, ran)
	}
	events := func(p *progress) {
		finish(p, "s", planner.Skip, StatusSkipped, 0, false, "")
		p.started()
		p.started()
		finish(p, "a", planner.Create, StatusFailed, 0, true, "create-dml dml-a: boom")
		finish(p, "b", planner.RestartDML, StatusBlocked, 1, false, "not run: a failed")
		finish(p, "x", planner.Create, StatusSucceeded, 0, true, "")
		p.close()
	}
	const clear = "\r\033[K"
	tests := []struct {
		name string
		live bool
		want string
	}{
		{"a log: one line per finished action", false,
			"[1/3] a create: failed after 1.5s: create-dml dml-a: boom\n" +
				"[2/3] b restart-dml: blocked: not run: a failed\n" +
				"[3/3] x create: succeeded in 1.5s\n"},
		{"a terminal: one line redrawn", true,
			clear + "wave 1/2 · 0/3 done · 1 running · 0 failed" +
				clear + "wave 1/2 · 0/3 done · 2 running · 0 failed" +
				clear + "wave 1/2 · 1/3 done · 1 running · 1 failed" +
				clear + "wave 1/2 · 2/3 done · 1 running · 1 failed · 1 blocked" +
				clear + "wave 2/2 · 3/3 done · 0 running · 1 failed · 1 blocked\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newProgress(&buf, plan)
			p.live = tt.live
			events(p)
			if got := buf.String(); got != tt.want {
				t.Errorf("progress:\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// fileWriter is a writer that is not an *os.File but tells the Stat of the
// one behind it, as the command line's locked stderr does.
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }
func (w fileWriter) Stat() (os.FileInfo, error)  { return w.f.Stat() }

func TestIsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	tests := []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"a character device, as a terminal is", devNull, true},
		{"a pipe", pw, false},
		{"a buffer", &bytes.Buffer{}, false},
		{"a writer in front of a character device", fileWriter{devNull}, true},
		{"a writer in front of a pipe", fileWriter{pw}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTerminal(tt.w); got != tt.want {
				t.Errorf("isTerminal = %v, want %v", got, tt.want)
			}
		})
	}
}
