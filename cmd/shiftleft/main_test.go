package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/files"
)

// result is what one run of the command line gave.
type result struct {
	code           int
	stdout, stderr string
}

// shiftleft runs the CLI in-process with the given environment.
func shiftleft(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, nil, &out, &errOut, func(k string) string {
		if v, ok := env[k]; ok || k != settleEnv {
			return v
		}
		return noSettle
	})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// Deploys in tests watch nothing after their last step unless a test sets
// SL_SETTLE: the settle window is tested on its own, and 30 s a deploy
// would make the suite crawl.
const (
	settleEnv = "SL_SETTLE"
	noSettle  = "0s"
)

// mustRun runs the CLI and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) result {
	t.Helper()
	r := shiftleft(t, nil, args...)
	if r.code != exitOK {
		t.Fatalf("shiftleft %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// writeTree creates files (slash paths relative to dir) with their content.
func writeTree(t *testing.T, dir string, tree map[string]string) {
	t.Helper()
	if err := files.WriteTree(dir, tree); err != nil {
		t.Fatal(err)
	}
}

// snapshot reads every file under dir, by relative path.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			files[filepath.ToSlash(rel)] = "-> " + target
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestUsageAndVersion(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{name: "version", args: []string{"version"}, wantCode: exitOK, wantOut: "shiftleft "},
		{name: "unknown command", args: []string{"deploy-everything"}, wantCode: exitUsage, wantErr: `unknown command "deploy-everything"`},
		{name: "unknown flag", args: []string{"pipeline", "report", "t", dir, "--colour"}, wantCode: exitUsage, wantErr: "unknown flag: --colour"},
		{name: "missing table argument", args: []string{"pipeline", "report"}, wantCode: exitUsage, wantErr: "accepts between 1 and 2 arg(s)"},
		{name: "too many arguments", args: []string{"table", "build-inventory", dir, dir}, wantCode: exitUsage, wantErr: "accepts between 0 and 1 arg(s)"},
		{name: "no folder and no $PIPELINES", args: []string{"table", "build-inventory"}, wantCode: exitUsage, wantErr: "set $PIPELINES"},
		{name: "two report formats", args: []string{"pipeline", "report", "t", dir, "--json", "--dot"}, wantCode: exitUsage, wantErr: "mutually exclusive"},
		{name: "children-too with parent-only", args: []string{"pipeline", "report", "t", dir, "--children-too", "--parent-only"}, wantCode: exitUsage, wantErr: "mutually exclusive"},
		{name: "build-metadata of a non-sql file", args: []string{"pipeline", "build-metadata", "x.txt", dir}, wantCode: exitUsage, wantErr: "must be a .sql file"},
		{name: "bad log level", args: []string{"--log-level", "loud", "version"}, wantCode: exitUsage, wantErr: "--log-level"},
		{name: "folder that does not exist", args: []string{"table", "build-inventory", filepath.Join(dir, "nope")}, wantCode: exitError, wantErr: "nope"},
		{name: "$PIPELINES folder that does not exist", env: map[string]string{"PIPELINES": filepath.Join(dir, "gone")}, args: []string{"pipeline", "build-all-metadata"}, wantCode: exitError, wantErr: "gone: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shiftleft(t, tt.env, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tt.wantCode, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tt.wantErr)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", r.stdout, tt.wantOut)
			}
		})
	}
}

// TestLockedWriterTellsItsFile: the locked stderr still lets the deploy
// progress see a terminal (a character device, as /dev/null is too).
func TestLockedWriterTellsItsFile(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	fi, err := (&lockedWriter{w: devNull}).Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("Stat through the lock: %v %v, want the character device", fi, err)
	}
	if _, err := (&lockedWriter{w: &bytes.Buffer{}}).Stat(); err == nil {
		t.Error("Stat of a buffer: no error")
	}
}
