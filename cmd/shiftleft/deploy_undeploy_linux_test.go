package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// terminal opens a pseudo-terminal and returns its two ends: the command
// reads the slave as a person's terminal, the test types into the master.
func terminal(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	var unlock int32
	var n uint32
	for _, c := range []struct {
		req uintptr
		arg unsafe.Pointer
	}{{syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)}, {syscall.TIOCGPTN, unsafe.Pointer(&n)}} {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), c.req, uintptr(c.arg)); errno != 0 {
			t.Skipf("no pseudo-terminal: %v", errno)
		}
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return m, s
}

// TestUndeployAsksOnce: without --yes, undeploy shows the plan once, asks,
// and runs; with --json the plan goes to stderr beside the question and
// stdout is one JSON document.
func TestUndeployAsksOnce(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%t", asJSON), func(t *testing.T) {
			tg, dir := newTarget(t), pipelineTree(t)
			tg.mustDeploy(t, dir, "--table-name", "p_mv_sink")
			master, slave := terminal(t)
			if _, err := master.WriteString("y\n"); err != nil {
				t.Fatal(err)
			}
			args := []string{"pipeline", "undeploy", dir, "--table-name", "p_fct_sink", "--emulator", tg.url}
			if asJSON {
				args = append(args, "--json")
			}
			var stdout, stderr bytes.Buffer
			code := run(args, slave, &stdout, &stderr, func(string) string { return "" })
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
			}
			shown := stdout.String()
			if asJSON {
				shown = stderr.String()
				var out struct {
					Result struct{ Status string }
				}
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || out.Result.Status != "succeeded" {
					t.Errorf("stdout is not the JSON result (%v):\n%s", err, stdout.String())
				}
			}
			if n := strings.Count(shown, "Plan: "); n != 1 || !strings.Contains(shown, "Drop 2 tables") {
				t.Errorf("plan shown %d times, want once before the question:\n%s", n, shown)
			}
			if c := tg.creates(); c["drop-p-fct-sink"] != 1 || c["drop-p-mv-sink"] != 1 {
				t.Errorf("drops: %v", c)
			}
		})
	}
}
