package emulator

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

// TestJSONPatch applies RFC 6902 patches to a plain document, arrays
// included, which a statement does not have.
func TestJSONPatch(t *testing.T) {
	const doc = `{"a":{"b":1,"c":[1,2,3]},"x~y":{"p/q":true}}`
	tests := []struct {
		name, patch string
		want        string // the document after; "" when the patch fails
		status      int
	}{
		{"add to object", `[{"op":"add","path":"/a/d","value":4}]`, `{"a":{"b":1,"c":[1,2,3],"d":4},"x~y":{"p/q":true}}`, 0},
		{"add into array", `[{"op":"add","path":"/a/c/1","value":9}]`, `{"a":{"b":1,"c":[1,9,2,3]},"x~y":{"p/q":true}}`, 0},
		{"append to array", `[{"op":"add","path":"/a/c/-","value":4}]`, `{"a":{"b":1,"c":[1,2,3,4]},"x~y":{"p/q":true}}`, 0},
		{"add at array end", `[{"op":"add","path":"/a/c/3","value":4}]`, `{"a":{"b":1,"c":[1,2,3,4]},"x~y":{"p/q":true}}`, 0},
		{"add past array end", `[{"op":"add","path":"/a/c/4","value":4}]`, "", 422},
		{"leading zero", `[{"op":"replace","path":"/a/c/01","value":4}]`, "", 422},
		{"replace in array", `[{"op":"replace","path":"/a/c/0","value":0}]`, `{"a":{"b":1,"c":[0,2,3]},"x~y":{"p/q":true}}`, 0},
		{"remove from array", `[{"op":"remove","path":"/a/c/2"}]`, `{"a":{"b":1,"c":[1,2]},"x~y":{"p/q":true}}`, 0},
		{"remove missing", `[{"op":"remove","path":"/a/z"}]`, "", 422},
		{"escaped pointer", `[{"op":"replace","path":"/x~0y/p~1q","value":false}]`, `{"a":{"b":1,"c":[1,2,3]},"x~y":{"p/q":false}}`, 0},
		{"move", `[{"op":"move","from":"/a/b","path":"/b"}]`, `{"a":{"c":[1,2,3]},"b":1,"x~y":{"p/q":true}}`, 0},
		{"move into itself", `[{"op":"move","from":"/a","path":"/a/x"}]`, "", 422},
		{"copy is deep", `[{"op":"copy","from":"/a","path":"/z"},{"op":"remove","path":"/z/c/0"}]`,
			`{"a":{"b":1,"c":[1,2,3]},"x~y":{"p/q":true},"z":{"b":1,"c":[2,3]}}`, 0},
		{"test", `[{"op":"test","path":"/a/c","value":[1,2,3]}]`, doc, 0},
		{"failed test", `[{"op":"TEST","path":"/a/b","value":2}]`, "", 409},
		{"through a scalar", `[{"op":"add","path":"/a/b/c","value":1}]`, "", 422},
		{"replace the root", `[{"op":"replace","path":"","value":{"n":1}}]`, `{"n":1}`, 0},
		{"remove the root", `[{"op":"remove","path":""}]`, "", 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d any
			if err := json.Unmarshal([]byte(doc), &d); err != nil {
				t.Fatal(err)
			}
			var ops []patchOp
			if err := json.Unmarshal([]byte(tt.patch), &ops); err != nil {
				t.Fatal(err)
			}
			var err error
			for i, op := range ops {
				if d, err = op.apply(d, i); err != nil {
					break
				}
			}
			if tt.status != 0 {
				ae, ok := err.(*apiError)
				if !ok || ae.status != tt.status {
					t.Fatalf("error %v, want status %d", err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(d)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestGoAPI steers the emulator with its methods instead of /_emulator/.
func TestGoAPI(t *testing.T) {
	h := start(t)
	if err := h.emu.AddTables(testEnv, "src"); err != nil {
		t.Fatal(err)
	}
	h.create("q", "SELECT * FROM src")
	if err := h.emu.SetFaults(Faults{FailStatements: map[string]string{"q": "boom"}}); err != nil {
		t.Fatal(err)
	}
	if phase, detail := h.phaseOf("q"); phase != confluent.PhaseFailed || detail != "boom" {
		t.Errorf("q is %s %q, want FAILED boom", phase, detail)
	}
	if c := h.emu.Counters(); c.Creates["q"] != 1 {
		t.Errorf("counters %+v", c)
	}
	h.emu.Reset()
	h.do("GET", stmts+"/q", nil).failure(t, http.StatusNotFound)
	if c := h.emu.Counters(); len(c.Creates) != 0 {
		t.Errorf("counters after Reset %+v", c)
	}
}
