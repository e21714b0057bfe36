package emulator

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/shiftleft/shiftleft/confluent"
)

// patchOp is one RFC 6902 operation. From, for move and copy, is missing
// from confluent.PatchOp, which clients only use for replace.
type patchOp struct {
	confluent.PatchOp
	From string `json:"from"`
}

// target is a parsed JSON Pointer (RFC 6901) of a patch operation.
type target struct {
	tokens []string
	text   string // the pointer as written, for messages
	field  string // where it sits in the patch: /0/path, /1/from...
}

func parseTarget(p, field string) (target, error) {
	t := target{text: p, field: field}
	if p == "" {
		return t, nil
	}
	if !strings.HasPrefix(p, "/") {
		return t, invalid(field, "%q is not a JSON pointer", p)
	}
	t.tokens = strings.Split(p[1:], "/")
	for i, s := range t.tokens {
		t.tokens[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return t, nil
}

func (t target) missing() error {
	return invalid(t.field, "path %q does not exist in the statement", t.text)
}

// apply applies op, the i-th of the patch, to doc (decoded JSON) and
// returns the new document. Op names are case-insensitive: the spec lists
// them upper case, clients send lower case.
func (op patchOp) apply(doc any, i int) (any, error) {
	to, err := parseTarget(op.Path, fmt.Sprintf("/%d/path", i))
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(op.Op)
	value := op.Value
	switch name {
	case "test":
		got, err := get(doc, to)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(got, value) {
			return nil, &apiError{status: http.StatusConflict, code: codePatchTestFailed, pointer: fmt.Sprintf("/%d/value", i),
				detail: fmt.Sprintf("test failed: %s is %v, not %v", op.Path, got, value)}
		}
		return doc, nil
	case "move", "copy":
		from, err := parseTarget(op.From, fmt.Sprintf("/%d/from", i))
		if err != nil {
			return nil, err
		}
		if value, err = get(doc, from); err != nil {
			return nil, err
		}
		if name == "copy" {
			value = clone(value)
		} else if op.Path != op.From {
			if strings.HasPrefix(op.Path+"/", op.From+"/") {
				return nil, invalid(to.field, "cannot move %s into itself", op.From)
			}
			if doc, err = edit(doc, from, removeAt); err != nil {
				return nil, err
			}
		}
		name = "add"
	}
	switch name {
	case "add", "replace", "remove":
		if len(to.tokens) == 0 {
			if name == "remove" {
				return nil, invalid(to.field, "cannot remove the whole statement")
			}
			return value, nil
		}
		ch := map[string]change{"add": addAt(value), "replace": replaceAt(value), "remove": removeAt}[name]
		return edit(doc, to, ch)
	}
	return nil, invalid(fmt.Sprintf("/%d/op", i), "op %q is not one of add, remove, replace, move, copy, test", op.Op)
}

// get returns the value at t.
func get(doc any, t target) (any, error) {
	for _, key := range t.tokens {
		var ok bool
		switch c := doc.(type) {
		case map[string]any:
			doc, ok = c[key]
		case []any:
			var i int
			if i, ok = index(key, len(c)); ok {
				doc = c[i]
			}
		}
		if !ok {
			return nil, t.missing()
		}
	}
	return doc, nil
}

// change makes one edit in the container c at key and returns the new
// container, as inserting into or deleting from an array makes a new slice.
type change func(c any, key string, t target) (any, error)

// edit applies ch to the container that holds the last token of t, which
// has at least one token.
func edit(doc any, t target, ch change) (any, error) {
	parent, err := get(doc, target{tokens: t.tokens[:len(t.tokens)-1], text: t.text, field: t.field})
	if err != nil {
		return nil, err
	}
	updated, err := ch(parent, t.tokens[len(t.tokens)-1], t)
	if err != nil || len(t.tokens) == 1 {
		return updated, err
	}
	// Only an array's length changes, so put the new parent in its place.
	return edit(doc, target{tokens: t.tokens[:len(t.tokens)-1], text: t.text, field: t.field}, replaceAt(updated))
}

func addAt(v any) change {
	return func(c any, key string, t target) (any, error) {
		switch c := c.(type) {
		case map[string]any:
			c[key] = v
			return c, nil
		case []any:
			if key == "-" {
				return append(c, v), nil
			}
			if i, ok := index(key, len(c)+1); ok {
				return append(c[:i], append([]any{v}, c[i:]...)...), nil
			}
		}
		return nil, t.missing()
	}
}

func replaceAt(v any) change {
	return func(c any, key string, t target) (any, error) {
		switch c := c.(type) {
		case map[string]any:
			if _, ok := c[key]; ok {
				c[key] = v
				return c, nil
			}
		case []any:
			if i, ok := index(key, len(c)); ok {
				c[i] = v
				return c, nil
			}
		}
		return nil, t.missing()
	}
}

func removeAt(c any, key string, t target) (any, error) {
	switch c := c.(type) {
	case map[string]any:
		if _, ok := c[key]; ok {
			delete(c, key)
			return c, nil
		}
	case []any:
		if i, ok := index(key, len(c)); ok {
			return append(c[:i], c[i+1:]...), nil
		}
	}
	return nil, t.missing()
}

// index reads an array index below n: digits only, no leading zero.
func index(key string, n int) (int, bool) {
	if key == "" || strings.Trim(key, "0123456789") != "" || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	i, err := strconv.Atoi(key)
	return i, err == nil && i < n
}

// clone deep-copies decoded JSON, so a copy shares no map or array with its
// source.
func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = clone(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = clone(x)
		}
		return out
	}
	return v
}
