package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent/emulator"
)

func TestEmulatorCommandServesTheAPI(t *testing.T) {
	out, w := io.Pipe()
	a := &app{stdout: w, stderr: io.Discard, getenv: func(string) string { return "" }, log: zap.NewNop()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- a.serveEmulator(ctx, emulatorOptions{addr: "127.0.0.1:0", apiKey: "key", apiSecret: "secret", externalTables: []string{" raw_a ", ""},
			functions: []string{" to_eur ", ""}, maxStatements: 10, rateLimit: 100})
		_ = w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSpace(line[strings.Index(line, "http://"):])
	go func() { _, _ = io.Copy(io.Discard, out) }()

	get := func(path, key string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.SetBasicAuth(key, "secret")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	stmts := "/sql/v1/organizations/00000000-0000-4000-8000-000000000000/environments/env-local/statements"
	if got, _ := get(stmts, "key"); got != http.StatusOK {
		t.Errorf("list with the configured key: %d", got)
	}
	if got, _ := get(stmts, "other"); got != http.StatusUnauthorized {
		t.Errorf("list with another key: %d", got)
	}
	if got, state := get("/_emulator/state", ""); got != http.StatusOK || !strings.Contains(state, `"raw_a"`) {
		t.Errorf("admin state: %d %s", got, state)
	}
	// --functions: a dry run may call them, and no other function.
	for sql, want := range map[string]string{"SELECT TO_EUR(1)": `"phase":"COMPLETED"`, "SELECT NO_SUCH(1)": "No match found for function signature NO_SUCH"} {
		body := `{"name": "dry", "spec": {"statement": "` + sql + `", "properties": {"sql.dry-run": "true"}}}`
		req, err := http.NewRequest(http.MethodPost, base+stmts, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("key", "secret")
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated || !strings.Contains(string(got), want) {
			t.Errorf("dry run of %s: %d %s, want %s", sql, res.StatusCode, got, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop")
	}
}

func TestEmulatorCommandUsage(t *testing.T) {
	r := shiftleft(t, nil, "emulator", "--api-key", "k")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--api-key and --api-secret go together") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	r = shiftleft(t, nil, "emulator", "--addr", "256.0.0.1:1")
	if r.code != exitError {
		t.Errorf("bad address: exit %d: %s", r.code, r.stderr)
	}
	for _, bad := range [][]string{{"--max-statements", "0"}, {"--rate-limit", "-1"}, {"--process-interval", "-1s"}, {"--save-interval", "-1s"}} {
		if r := shiftleft(t, nil, append([]string{"emulator", "--addr", "127.0.0.1:0"}, bad...)...); r.code != exitUsage {
			t.Errorf("%v: exit %d: %s", bad, r.code, r.stderr)
		}
	}
}

// TestEmulatorHelp: the help lists every route the emulator serves, every
// flag and every limit.
func TestEmulatorHelp(t *testing.T) {
	r := shiftleft(t, nil, "emulator", "--help")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var want []string
	for _, route := range emulator.Routes() {
		want = append(want, fmt.Sprintf("%-6s %s\n", route.Method, route.Path))
	}
	want = append(want, "--addr", "--latency", "--api-key", "--api-secret", "--external-tables", "--functions", "--state-file", "--save-interval",
		"--process-interval", "--max-statements", "--rate-limit",
		fmt.Sprint(emulator.MaxNameLength), fmt.Sprint(emulator.MaxStatementLength), fmt.Sprint(emulator.MaxRequestBytes),
		fmt.Sprintf("%d per environment", emulator.MaxPoolsPerEnvironment), fmt.Sprintf("%d per pool", emulator.MaxPoolCFU),
		"30 days", emulator.CarryOverTimeout.String(), "default 10000")
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("the help lacks %q", w)
		}
	}
}
