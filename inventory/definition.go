package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/shiftleft/shiftleft/internal/atomicfile"
)

// DefinitionFile is the metadata file written in every table folder.
const DefinitionFile = "pipeline_definition.json"

// Complexity is the "complexity" object of pipeline_definition.json.
type Complexity struct {
	RegularJoins   int    `json:"number_of_regular_joins" yaml:"number_of_regular_joins"`
	LeftJoins      int    `json:"number_of_left_joins" yaml:"number_of_left_joins"`
	RightJoins     int    `json:"number_of_right_joins" yaml:"number_of_right_joins"`
	InnerJoins     int    `json:"number_of_inner_joins" yaml:"number_of_inner_joins"`
	OuterJoins     int    `json:"number_of_outer_joins" yaml:"number_of_outer_joins"`
	ComplexityType string `json:"complexity_type" yaml:"complexity_type"`
	StateForm      string `json:"state_form" yaml:"state_form"`
}

// Definition is pipeline_definition.json: a table, its parents and its
// children, keys in shift_left's order.
type Definition struct {
	TableName   string       `json:"table_name" yaml:"table_name"`
	ProductName string       `json:"product_name" yaml:"product_name"`
	Type        string       `json:"type" yaml:"type"`
	DMLRef      string       `json:"dml_ref" yaml:"dml_ref"`
	DDLRef      string       `json:"ddl_ref" yaml:"ddl_ref"`
	Path        string       `json:"path" yaml:"path"`
	KafkaTopic  *string      `json:"kafka_topic" yaml:"kafka_topic"`
	Complexity  Complexity   `json:"complexity" yaml:"complexity"`
	Parents     []Definition `json:"parents" yaml:"parents"`
	Children    []Definition `json:"children" yaml:"children"`
}

// ComplexityOf returns a table's complexity object.
func ComplexityOf(t *Table) Complexity {
	return Complexity{
		RegularJoins:   t.Joins.Regular,
		LeftJoins:      t.Joins.Left,
		RightJoins:     t.Joins.Right,
		InnerJoins:     t.Joins.Inner,
		OuterJoins:     t.Joins.Outer,
		ComplexityType: t.Joins.ComplexityType(),
		StateForm:      t.StateForm(),
	}
}

// Entry is a table's definition without parents and children.
func Entry(t *Table) Definition {
	return Definition{
		TableName:   t.Name,
		ProductName: t.Product,
		Type:        t.Type,
		DMLRef:      t.DMLRef,
		DDLRef:      t.DDLRef,
		Path:        t.Folder,
		KafkaTopic:  optional(t.KafkaTopic),
		Complexity:  ComplexityOf(t),
		Parents:     []Definition{},
		Children:    []Definition{},
	}
}

// NewDefinition builds a table's pipeline_definition.json content. Like
// shift_left it goes one level deep: each parent entry lists this table as its
// child, each child entry is flat. Parents and children are sorted by name so
// the file only changes when the graph does.
func NewDefinition(t *Table, parents, children []*Table) Definition {
	d := Entry(t)
	self := Entry(t)
	for _, p := range sortedTables(parents) {
		pe := Entry(p)
		pe.Children = []Definition{self}
		d.Parents = append(d.Parents, pe)
	}
	for _, c := range sortedTables(children) {
		d.Children = append(d.Children, Entry(c))
	}
	return d
}

func sortedTables(ts []*Table) []*Table {
	out := append([]*Table(nil), ts...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EncodeDefinition renders a definition as shift_left does: three-space
// indent, UTF-8 kept, no final newline.
func EncodeDefinition(d Definition) ([]byte, error) {
	w := &pyWriter{indent: 3, buf: make([]byte, 0, 4096)}
	w.definition(&d)
	return w.buf, nil
}

func (w *pyWriter) definition(d *Definition) {
	w.open('{')
	w.strs("table_name", d.TableName, "product_name", d.ProductName, "type", d.Type,
		"dml_ref", d.DMLRef, "ddl_ref", d.DDLRef, "path", d.Path)
	w.key("kafka_topic")
	w.optional(d.KafkaTopic)
	w.key("complexity")
	w.open('{')
	c := d.Complexity
	for _, f := range [...]struct {
		k string
		v int
	}{
		{"number_of_regular_joins", c.RegularJoins}, {"number_of_left_joins", c.LeftJoins},
		{"number_of_right_joins", c.RightJoins}, {"number_of_inner_joins", c.InnerJoins},
		{"number_of_outer_joins", c.OuterJoins},
	} {
		w.key(f.k)
		w.int(f.v)
	}
	w.strs("complexity_type", c.ComplexityType, "state_form", c.StateForm)
	w.close('}')
	for _, list := range [...]struct {
		k string
		v []Definition
	}{{"parents", d.Parents}, {"children", d.Children}} {
		w.key(list.k)
		w.open('[')
		for i := range list.v {
			w.member()
			w.definition(&list.v[i])
		}
		w.close(']')
	}
	w.close('}')
}

// DecodeDefinition reads pipeline_definition.json.
func DecodeDefinition(data []byte) (Definition, error) {
	var d Definition
	if err := json.Unmarshal(data, &d); err != nil {
		return Definition{}, fmt.Errorf("%w: %v", ErrBadFile, err)
	}
	return d, nil
}

// DefinitionPath is where a table's definition lives, given the directory
// that holds the pipelines root folder's content (the root itself).
func DefinitionPath(rootDir, root string, t *Table) string {
	rel := t.Folder
	if rel == root {
		rel = "."
	} else if len(rel) > len(root) && rel[:len(root)+1] == root+"/" {
		rel = rel[len(root)+1:]
	}
	return filepath.Join(rootDir, filepath.FromSlash(path.Join(rel, DefinitionFile)))
}

// WriteDefinition writes a definition file atomically, unless it already
// holds this definition; it reports whether it wrote. When exists is false
// (the scan saw no such file) the file is written without reading it first.
func WriteDefinition(file string, d Definition, exists bool) (bool, error) {
	data, err := EncodeDefinition(d)
	if err != nil {
		return false, err
	}
	if !exists {
		err := atomicfile.Write(file, data, 0o644)
		return err == nil, err
	}
	return atomicfile.WriteIfChanged(file, data, 0o644)
}

// ReadDefinition reads a definition file.
func ReadDefinition(file string) (Definition, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Definition{}, err
	}
	d, err := DecodeDefinition(data)
	if err != nil {
		return Definition{}, &FileError{Path: file, Err: err}
	}
	return d, nil
}
