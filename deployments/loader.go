package deployments

import (
	"io/fs"
	"strings"

	"github.com/shiftleft/shiftleft/inventory"
)

// TreeLoader reads a step's SQL from a pipelines tree — a directory or a
// commit's tree, rooted at the pipelines folder as inventory.Build reads it.
// Refs start with the folder's name (inv.Root); the statement properties are
// the ones the inventory read beside each file.
func TreeLoader(fsys fs.FS, inv *inventory.Inventory) Loader {
	props := map[string]map[string]string{}
	for _, t := range inv.Tables {
		props[t.DDLRef], props[t.DMLRef] = t.DDLProperties, t.DMLProperties
	}
	return func(ref string) (string, map[string]string, error) {
		data, err := fs.ReadFile(fsys, strings.TrimPrefix(ref, inv.Root+"/"))
		if err != nil {
			return "", nil, err
		}
		return string(data), props[ref], nil
	}
}
