package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shiftleft/shiftleft/internal/atomicfile"
)

// InventoryFile is the inventory's file name at the pipelines root.
const InventoryFile = "inventory.json"

// inventoryEntry is one value of inventory.json, keys in shift_left's order.
type inventoryEntry struct {
	TableName       string  `json:"table_name"`
	ProductName     string  `json:"product_name"`
	Type            string  `json:"type"`
	DMLRef          string  `json:"dml_ref"`
	DDLRef          string  `json:"ddl_ref"`
	TableFolderName string  `json:"table_folder_name"`
	KafkaTopic      *string `json:"kafka_topic"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EncodeInventory renders inventory.json exactly as shift_left writes it:
// keys sorted, four-space indent, non-ASCII escaped, no final newline.
// Synthesized external tables are left out, as shift_left does.
func EncodeInventory(inv *Inventory) ([]byte, error) {
	w := &pyWriter{indent: 4, ascii: true, buf: make([]byte, 0, 512*len(inv.Tables)+2)}
	w.open('{')
	for _, name := range inv.Names() {
		t := inv.Tables[name]
		if t.Synthesized {
			continue
		}
		w.key(name)
		w.open('{')
		w.strs("table_name", t.Name, "product_name", t.Product, "type", t.Type,
			"dml_ref", t.DMLRef, "ddl_ref", t.DDLRef, "table_folder_name", t.Folder)
		w.key("kafka_topic")
		w.optional(optional(t.KafkaTopic))
		w.close('}')
	}
	w.close('}')
	return w.buf, nil
}

// DecodeInventory reads inventory.json. The tables it returns carry names and
// paths only: parents and state come from the SQL.
func DecodeInventory(data []byte, root string) (*Inventory, error) {
	var entries map[string]inventoryEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	inv := &Inventory{Root: root, Tables: make(map[string]*Table, len(entries))}
	for name, e := range entries {
		t := &Table{Name: name, Product: e.ProductName, Type: e.Type, DMLRef: e.DMLRef,
			DDLRef: e.DDLRef, Folder: e.TableFolderName}
		if e.KafkaTopic != nil {
			t.KafkaTopic = *e.KafkaTopic
		}
		inv.Tables[name] = t
	}
	return inv, nil
}

// WriteInventory writes dir/inventory.json atomically.
func WriteInventory(dir string, inv *Inventory) error {
	data, err := EncodeInventory(inv)
	if err != nil {
		return err
	}
	_, err = atomicfile.WriteIfChanged(filepath.Join(dir, InventoryFile), data, 0o644)
	return err
}

// ReadInventory reads dir/inventory.json.
func ReadInventory(dir, root string) (*Inventory, error) {
	file := filepath.Join(dir, InventoryFile)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	inv, err := DecodeInventory(data, root)
	if err != nil {
		return nil, &FileError{Path: file, Err: err}
	}
	return inv, nil
}
