package deployments

import (
	"fmt"
	"io/fs"
	"maps"
	"strings"

	"github.com/shiftleft/shiftleft/flinksql"
	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/planner"
)

// TreeLoader reads a step's SQL from a pipelines tree — a directory or a
// commit's tree, rooted at the pipelines folder as inventory.Build reads it.
// Refs start with the folder's name (inv.Root); the statement properties are
// the ones the inventory read beside each file, and the SET statements that
// open a file: Confluent Cloud runs one statement per request, and takes
// such settings as properties, as its shell does. A setting that the
// .properties file gives another value is an error.
func TreeLoader(fsys fs.FS, inv *inventory.Inventory) Loader {
	props := map[string]map[string]string{}
	for _, t := range inv.Tables {
		props[t.DDLRef], props[t.DMLRef] = statementProperties(t.DDLProperties), statementProperties(t.DMLProperties)
	}
	return func(ref string) (string, map[string]string, error) {
		data, err := fs.ReadFile(fsys, strings.TrimPrefix(ref, inv.Root+"/"))
		if err != nil {
			return "", nil, err
		}
		settings, sql, err := flinksql.Settings(string(data))
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", ref, err)
		}
		if len(settings) == 0 {
			return sql, props[ref], nil
		}
		merged := maps.Clone(props[ref])
		if merged == nil {
			merged = map[string]string{}
		}
		for k, v := range settings {
			if old, ok := merged[k]; ok && old != v {
				return "", nil, fmt.Errorf("%s: SET %s to %q, its .properties file to %q", ref, k, v, old)
			}
			merged[k] = v
		}
		return sql, merged, nil
	}
}

// statementProperties are a .properties file's settings without the keys
// the planner reads (strategy, allow_drop), which are no statement's; nil
// when none is left.
func statementProperties(props map[string]string) map[string]string {
	var out map[string]string
	for k, v := range props {
		if !planner.PlanProperty(k) {
			if out == nil {
				out = make(map[string]string, len(props))
			}
			out[k] = v
		}
	}
	return out
}

// DDLReader reads a DDL file as load sends it, for the planner to compare
// with the running DDL (planner.Options.ReadDDL).
func DDLReader(load Loader) func(ref string) (string, error) {
	return func(ref string) (string, error) {
		sql, _, err := load(ref)
		return sql, err
	}
}

// TableDDL reads a table's DDL file of inv, as TreeLoader sends it: the DDL
// a commit deployed (planner.Options.BaseDDL).
func TableDDL(fsys fs.FS, inv *inventory.Inventory) func(table string) (string, error) {
	read := DDLReader(TreeLoader(fsys, inv))
	return func(table string) (string, error) {
		t := inv.Tables[table]
		if t == nil || t.DDLRef == "" {
			return "", fmt.Errorf("%s: %w", table, fs.ErrNotExist)
		}
		return read(t.DDLRef)
	}
}
