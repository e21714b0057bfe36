package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrInvalid: a key of the file, or an environment variable, that
// shiftleft cannot take. Every such error is a [*KeyError].
var ErrInvalid = errors.New("invalid configuration")

// KeyError names the key (section.key in the file, or an environment
// variable) and, for the file, its line.
type KeyError struct {
	Key     string
	Line    int // 0 for an environment variable
	Problem string
}

func (e *KeyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Key, e.Problem)
	}
	return e.Key + ": " + e.Problem
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *KeyError) Is(target error) bool { return target == ErrInvalid }

// What "unknown" means. A shift_left user's config.yaml must load as it
// is, and shift_left's sections hold many keys shiftleft never reads
// (kafka.bootstrap.servers, app.sql_content_modifier...), more with every
// shift_left release; so a key shiftleft does not know is shift_left's
// business there, unless it is a near miss of a key shiftleft reads
// (flink.compute_pool_ids, confluent_cloud.enviroment_id): then it is a typo
// that would otherwise leave that key unset. The service section is
// shiftleft's own: every key in it must be one shiftleft reads. At the top
// level, shift_left's sections and service are known, and another section
// is an error only as a near miss of one of them (servce, Service).

// sharedSections are shift_left's top-level sections that shiftleft does
// not read at all, beside those of [Config].
var sharedSections = []string{"registry"}

// secretKeys are the service's secrets, which come from the environment
// only: a key of that name in the file says where to put it instead.
var secretKeys = map[string]string{
	"webhook_secret": "SL_WEBHOOK_SECRET",
	"github_token":   "SL_GITHUB_TOKEN",
	"ops_token":      "SL_OPS_TOKEN",
}

// decode reads a config.yaml into c.
func (c *Config) decode(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil // an empty file, or comments only
	}
	var errs []error
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &KeyError{Key: "the file", Line: root.Line, Problem: "must be a mapping of sections (kafka, confluent_cloud, flink, app, service)"}
	}
	fields := yamlFields(reflect.ValueOf(c).Elem())
	known := append(keysOf(fields), sharedSections...)
	for _, kv := range pairs(root, "", &errs) {
		key := kv.key.Value
		f, ok := fields[key]
		switch {
		case !ok:
			if s := nearMiss(key, known); s != "" {
				errs = append(errs, &KeyError{Key: key, Line: kv.key.Line, Problem: "unknown section; did you mean " + s + "?"})
			}
		case isNull(kv.value):
		case kv.value.Kind != yaml.MappingNode:
			errs = append(errs, &KeyError{Key: key, Line: kv.value.Line, Problem: "must be a mapping of keys, not " + describe(kv.value)})
		default:
			decodeSection(kv.value, key, f, key == "service", &errs)
		}
	}
	return errors.Join(errs...)
}

// decodeSection reads a section's keys into the struct v. In a closed
// section every key must be one of v's.
func decodeSection(n *yaml.Node, section string, v reflect.Value, closed bool, errs *[]error) {
	fields := yamlFields(v)
	known := keysOf(fields)
	for _, kv := range pairs(n, section+".", errs) {
		key, path := kv.key.Value, section+"."+kv.key.Value
		f, ok := fields[key]
		if ok {
			if problem := decodeValue(kv.value, f); problem != "" {
				*errs = append(*errs, &KeyError{Key: path, Line: kv.value.Line, Problem: problem})
			}
			continue
		}
		problem := ""
		switch s := nearMiss(key, known); {
		case closed && secretKeys[key] != "":
			problem = "secrets are not read from the file: set " + secretKeys[key] + " in the environment"
		case s != "":
			problem = "unknown key; did you mean " + s + "?"
		case closed:
			problem = "unknown key; the " + section + " section has " + strings.Join(known, ", ")
		}
		if problem != "" {
			*errs = append(*errs, &KeyError{Key: path, Line: kv.key.Line, Problem: problem})
		}
	}
}

// pair is a key of a mapping and its value, aliases resolved.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's keys in the order they take effect: those of
// merged mappings (<<: *anchor) first, so that the mapping's own override
// them, as YAML merges do. A key given twice in one mapping is an error
// (yaml.v3 refuses it too), so is a key that is not a scalar.
func pairs(n *yaml.Node, prefix string, errs *[]error) []pair {
	var merged, own []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			*errs = append(*errs, &KeyError{Key: prefix + "(key)", Line: k.Line, Problem: "a key must be a name, not " + describe(k)})
			continue
		}
		if k.Tag == "!!merge" {
			for _, m := range mergedMappings(v) {
				merged = append(merged, pairs(m, prefix, errs)...)
			}
			continue
		}
		if line, dup := seen[k.Value]; dup {
			*errs = append(*errs, &KeyError{Key: prefix + k.Value, Line: k.Line, Problem: fmt.Sprintf("given twice (first on line %d)", line)})
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, pair{k, v})
	}
	var out []pair
	for _, p := range merged {
		if _, overridden := seen[p.key.Value]; !overridden {
			out = append(out, p)
		}
	}
	return append(out, own...)
}

// mergedMappings are the mappings a merge key's value names: one, or a list.
func mergedMappings(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, m := range v.Content {
			out = append(out, mergedMappings(resolve(m))...)
		}
		return out
	}
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// decodeValue reads a value into the field f, or says why it cannot.
func decodeValue(n *yaml.Node, f reflect.Value) string {
	if isNull(n) {
		return "" // an empty value: the default
	}
	p := reflect.New(f.Type())
	if err := n.Decode(p.Interface()); err != nil {
		return fmt.Sprintf("%s is not %s", describe(n), expected(f.Type()))
	}
	v := p.Elem()
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		if v.Int() < 0 {
			return fmt.Sprintf("%s is negative", describe(n))
		}
	case reflect.Float64:
		if v.Float() < 0 {
			return fmt.Sprintf("%s is negative", describe(n))
		}
	}
	f.Set(v)
	return ""
}

var durationType = reflect.TypeFor[time.Duration]()

// expected describes what a field of type t takes.
func expected(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.Pointer:
		return expected(t.Elem())
	case t == durationType:
		return "a duration such as 90s, 2m or 720h"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice:
		return "a list of " + plural(expected(t.Elem()))
	case t.Kind() == reflect.Map:
		return "a mapping of names to " + plural(expected(t.Elem()))
	}
	return t.String()
}

func plural(s string) string { return strings.TrimPrefix(s, "a ") + "s" }

// describe shows a value in an error: a scalar as written, else its kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 64 {
			v = v[:64] + "..."
		}
		return fmt.Sprintf("%q", v)
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "that value"
}

// yamlFields maps the yaml names of a struct's fields to the fields.
func yamlFields(v reflect.Value) map[string]reflect.Value {
	fields := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = v.Field(i)
		}
	}
	return fields
}

func keysOf(fields map[string]reflect.Value) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nearMiss returns the key of known that key is most likely a misspelling
// of, or "": the same but for case and - or _, or within two edits (one for
// short keys), a swap of neighbours counting as one.
func nearMiss(key string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", 3
	for _, k := range known {
		if k == key {
			return ""
		}
		if norm(k) == norm(key) {
			return k
		}
		limit := 2
		if len(k) <= 4 {
			limit = 1
		}
		if d := editDistance(norm(key), norm(k)); d <= limit && d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
