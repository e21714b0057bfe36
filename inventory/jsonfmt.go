package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// encodePython encodes v the way shift_left's Python writes its files:
// json.dump(..., indent=N) for inventory.json (non-ASCII escaped) and
// pydantic's model_dump_json(indent=N) for pipeline_definition.json (UTF-8
// kept). Neither escapes <, > and &, and neither ends with a newline.
func encodePython(v any, indent int, asciiOnly bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", strings.Repeat(" ", indent))
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if asciiOnly {
		out = escapeNonASCII(out)
	}
	return out, nil
}

// escapeNonASCII rewrites every non-ASCII rune as Python's \uXXXX escape
// (a surrogate pair above U+FFFF). Non-ASCII only occurs inside strings.
func escapeNonASCII(in []byte) []byte {
	if !bytes.ContainsFunc(in, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return in
	}
	var out bytes.Buffer
	out.Grow(len(in) + len(in)/8)
	for len(in) > 0 {
		r, size := utf8.DecodeRune(in)
		in = in[size:]
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.Bytes()
}
