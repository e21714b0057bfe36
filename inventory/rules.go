package inventory

import (
	"path"
	"strings"
)

// layerFolders are the Kimball layer folders; a table right under one of them
// has no product.
var layerFolders = map[string]bool{
	"facts": true, "intermediates": true, "sources": true, "dimensions": true, "views": true,
}

// productName is shift_left's rule: the folder above the table folder names
// the product, unless it is a layer folder or the pipelines root, in which
// case the product is the string "None". folder is pipeline-relative.
func productName(folder string) string {
	parent := path.Base(path.Dir(folder))
	first, _, _ := strings.Cut(folder, "/")
	if layerFolders[parent] || parent == first || parent == "." {
		return "None"
	}
	return parent
}

// typeRules map layer folder names to table types, in shift_left's order of
// precedence.
var typeRules = []struct {
	folders []string
	typ     string
}{
	{[]string{"sources", "source"}, TypeSource},
	{[]string{"intermediates", "intermediate"}, TypeIntermediate},
	{[]string{"facts", "fact"}, TypeFact},
	{[]string{"dimensions", "dimension"}, TypeDimension},
	{[]string{"stage", "staging"}, TypeIntermediate},
	{[]string{"views", "view", "mv"}, TypeView},
	{[]string{"seeds", "seed"}, TypeSeed},
	{[]string{"dead_letter", "dead_letters"}, TypeDeadLetter},
}

// tableType derives the type from the folders above the table folder.
// shift_left tests substrings of the whole file path, so a fact table in a
// folder called fct_source_orders becomes a source; matching whole folder
// names keeps its results on well-formed trees and avoids that.
func tableType(folder string) string {
	// The first folder is the pipelines root, whatever it is called.
	dirs := strings.Split(path.Dir(folder), "/")[1:]
	for _, rule := range typeRules {
		for _, d := range dirs {
			for _, f := range rule.folders {
				if d == f {
					return rule.typ
				}
			}
		}
	}
	return TypeUnknown
}
