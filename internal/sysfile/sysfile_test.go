package sysfile_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/shiftleft/shiftleft/internal/sysfile"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("-- a long comment line\n", 10_000)
	if err := os.WriteFile(filepath.Join(dir, "big.sql"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.sql"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// /proc files report size 0 and read short: they are read to the end.
	proc, _ := os.ReadFile("/proc/self/mountinfo")
	tests := []struct {
		name    string
		file    string
		want    []byte
		wantErr error
	}{
		{name: "a file of several reads", file: filepath.Join(dir, "big.sql"), want: []byte(big)},
		{name: "an empty file", file: filepath.Join(dir, "empty.sql"), want: []byte{}},
		{name: "a file of unknown size", file: "/proc/self/mountinfo", want: proc},
		{name: "a missing file", file: filepath.Join(dir, "missing.sql"), wantErr: fs.ErrNotExist},
		{name: "a folder", file: dir, wantErr: syscall.EISDIR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil && tt.wantErr == nil {
				t.Skipf("%s is not readable here", tt.file)
			}
			got, err := sysfile.ReadFile(tt.file)
			var pe *fs.PathError
			switch {
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.As(err, &pe) || pe.Path != tt.file):
				t.Fatalf("ReadFile error %v, want %v naming %s", err, tt.wantErr, tt.file)
			case tt.wantErr == nil && (err != nil || !bytes.Equal(got, tt.want)):
				t.Fatalf("ReadFile = %d bytes, %v; want %d bytes", len(got), err, len(tt.want))
			}
		})
	}
}

func TestCreate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.json")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		perm     os.FileMode
		wantErr  error
		wantMode os.FileMode
	}{
		{name: "a new file", file: filepath.Join(dir, "new.json"), perm: 0o644, wantMode: 0o644},
		{name: "the umask applies", file: filepath.Join(dir, "masked.json"), perm: 0o666, wantMode: 0o644},
		{name: "an existing file is kept", file: existing, perm: 0o644, wantErr: fs.ErrExist},
		{name: "a missing folder", file: filepath.Join(dir, "missing", "x.json"), perm: 0o644, wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sysfile.Create(tt.file, []byte("new"), tt.perm)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Create error %v, want %v", err, tt.wantErr)
				}
				if got, _ := os.ReadFile(existing); string(got) != "old" {
					t.Errorf("existing file holds %q, want it untouched", got)
				}
				return
			}
			got, err := os.ReadFile(tt.file)
			if err != nil || string(got) != "new" {
				t.Fatalf("file holds %q (%v), want %q", got, err, "new")
			}
			if fi, err := os.Stat(tt.file); err != nil || fi.Mode().Perm() != tt.wantMode {
				t.Errorf("mode %v (%v), want %v", fi.Mode().Perm(), err, tt.wantMode)
			}
		})
	}
}
