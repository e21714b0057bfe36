package inventory

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
)

// ExternalTablesFile is the manifest, in any seeds folder, that declares
// Kafka topics used as tables but produced outside the tree.
const ExternalTablesFile = "external_tables.json"

type externalManifest struct {
	Tables []struct {
		TableName   string `json:"table_name"`
		KafkaTopic  string `json:"kafka_topic"`
		ProductName string `json:"product_name"`
	} `json:"tables"`
}

// readExternalTables reads one seeds/external_tables.json.
func readExternalTables(fsys fs.FS, file, root string) ([]*Table, error) {
	ref := path.Join(root, file)
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, &FileError{Path: ref, Err: err}
	}
	var m externalManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &FileError{Path: ref, Err: fmt.Errorf("%w: %v", ErrBadManifest, err)}
	}
	out := make([]*Table, 0, len(m.Tables))
	for i, row := range m.Tables {
		if row.TableName == "" {
			return nil, &FileError{Path: ref, Err: fmt.Errorf("%w: tables[%d] has no table_name", ErrBadManifest, i)}
		}
		product := row.ProductName
		if product == "" {
			product = "common"
		}
		out = append(out, &Table{
			Name:       row.TableName,
			Product:    product,
			Type:       TypeExternalKafka,
			Folder:     path.Join(root, "seeds", row.TableName),
			KafkaTopic: row.KafkaTopic,
		})
	}
	return out, nil
}

// synthesizedExternal is the parent shift_left makes up for a referenced
// table that is nowhere in the tree: a Kafka topic of the same name.
func synthesizedExternal(name, root string) *Table {
	folder := path.Join(root, "seeds", name)
	return &Table{
		Name:        name,
		Product:     productName(folder),
		Type:        TypeExternalKafka,
		Folder:      folder,
		KafkaTopic:  name,
		Synthesized: true,
	}
}

// Declared lists, in name order, the external tables a manifest declares
// (seeds/external_tables.json), not those made up for a reference: the
// topics known to exist outside the tree.
func (inv *Inventory) Declared() []string {
	var out []string
	for _, n := range inv.Names() {
		if t := inv.Tables[n]; t.External() && !t.Synthesized {
			out = append(out, n)
		}
	}
	return out
}
