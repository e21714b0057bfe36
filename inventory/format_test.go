package inventory_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/internal/corpus"
	"github.com/shiftleft/shiftleft/inventory"
)

// shift_left's files read and written back must come out byte for byte: key
// order, indentation, escaping, no final newline.
func TestRoundTripShiftLeftFiles(t *testing.T) {
	expected := corpus.Dir(t, "corpus", "shift_left", "expected")
	files, err := filepath.Glob(filepath.Join(expected, "pipelines", "*", "*", "*", inventory.DefinitionFile))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference definitions: %v", err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := inventory.ReadDefinition(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inventory.EncodeDefinition(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s does not round-trip", f)
		}
	}

	src := corpus.Dir(t, "corpus", "shift_left", "pipelines")
	want, err := os.ReadFile(filepath.Join(src, inventory.InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.ReadInventory(src, "pipelines")
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Tables) != 39 {
		t.Errorf("read %d tables, want 39", len(inv.Tables))
	}
	got, err := inventory.EncodeInventory(inv)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("inventory.json does not round-trip")
	}
}

func TestEncodingMatchesPython(t *testing.T) {
	inv := &inventory.Inventory{Root: "pipelines", Tables: map[string]*inventory.Table{
		"b_ünïcode": {Name: "b_ünïcode", Product: "p", Type: "fact", DDLRef: "pipelines/facts/p/b/sql-scripts/ddl.b.sql", Folder: "pipelines/facts/p/b"},
		"a<&>":      {Name: "a<&>", Product: "No\"ne\\", Type: "source\n\x01\b\f\t\r", KafkaTopic: "topic-😀"},
	}}
	got, err := inventory.EncodeInventory(inv)
	if err != nil {
		t.Fatal(err)
	}
	// json.dump(..., indent=4) with its default ensure_ascii=True.
	want := `{
    "a<&>": {
        "table_name": "a<&>",
        "product_name": "No\"ne\\",
        "type": "source\n\u0001\b\f\t\r",
        "dml_ref": "",
        "ddl_ref": "",
        "table_folder_name": "",
        "kafka_topic": "topic-\ud83d\ude00"
    },
    "b_\u00fcn\u00efcode": {
        "table_name": "b_\u00fcn\u00efcode",
        "product_name": "p",
        "type": "fact",
        "dml_ref": "",
        "ddl_ref": "pipelines/facts/p/b/sql-scripts/ddl.b.sql",
        "table_folder_name": "pipelines/facts/p/b",
        "kafka_topic": null
    }
}`
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// pydantic's model_dump_json keeps UTF-8 as is.
	def, err := inventory.EncodeDefinition(inventory.Entry(inv.Tables["b_ünïcode"]))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(def), "{\n   \"table_name\": \"b_ünïcode\",") || strings.HasSuffix(string(def), "\n") {
		t.Errorf("definition:\n%s", def)
	}
	round, err := inventory.DecodeInventory(got, "pipelines")
	if err != nil {
		t.Fatal(err)
	}
	if round.Tables["a<&>"].KafkaTopic != "topic-😀" || round.Tables["b_ünïcode"].Folder != "pipelines/facts/p/b" {
		t.Errorf("decode lost data: %+v", round.Tables)
	}
}

func TestFailedWriteLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	inv := &inventory.Inventory{Root: "pipelines", Tables: map[string]*inventory.Table{"a": {Name: "a"}}}
	if err := inventory.WriteInventory(dir, inv); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after a write: %v", entries)
	}
	// Renaming over a non-empty directory fails even for root: the temp file
	// must go and the directory stay.
	target := filepath.Join(dir, "sub", inventory.DefinitionFile)
	if err := os.MkdirAll(filepath.Join(target, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.WriteDefinition(target, inventory.Definition{}, true); err == nil {
		t.Fatal("write over a directory succeeded")
	}
	if left, _ := os.ReadDir(filepath.Dir(target)); len(left) != 1 {
		t.Errorf("temp file left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(target, "keep")); err != nil {
		t.Errorf("previous content lost: %v", err)
	}
}
