package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWrite(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	file := filepath.Join(dir, "pipeline_definition.json")
	tests := []struct {
		name        string
		path        string
		data        string
		wantWritten bool
		wantErr     bool
	}{
		{name: "new file", path: file, data: "one", wantWritten: true},
		{name: "same content: not written", path: file, data: "one"},
		{name: "new content replaces the old", path: file, data: "two", wantWritten: true},
		{name: "folder missing", path: filepath.Join(dir, "missing", "x.json"), data: "x", wantErr: true},
		{name: "a folder in the way", path: dir, data: "x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrote, err := WriteIfChanged(tt.path, []byte(tt.data), 0o644)
			if (err != nil) != tt.wantErr || wrote != tt.wantWritten {
				t.Fatalf("WriteIfChanged = %t, %v; want written %t, error %t", wrote, err, tt.wantWritten, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			got, err := os.ReadFile(tt.path)
			if err != nil || string(got) != tt.data {
				t.Errorf("content %q (%v), want %q", got, err, tt.data)
			}
			if fi, err := os.Stat(tt.path); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v (%v), want 0644", fi.Mode().Perm(), err)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "pipeline_definition.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v: a temporary file was left behind", names)
	}
}
