package inventory

import (
	"strconv"
	"unicode/utf8"
)

// pyWriter writes JSON the way shift_left's Python writes its files:
// json.dump(..., indent=N) for inventory.json (non-ASCII escaped) and
// pydantic's model_dump_json(indent=N) for pipeline_definition.json (UTF-8
// kept): one member per line, ", " never used, "[]" and "{}" when empty, <, >
// and & not escaped, no final newline. Written by hand because reflection
// and re-indenting were most of the time spent writing 10,000 definitions.
type pyWriter struct {
	buf    []byte
	indent int
	ascii  bool
	// empty says, for each open object or array, whether it has no member yet.
	empty []bool
}

func (w *pyWriter) open(c byte) {
	w.buf = append(w.buf, c)
	w.empty = append(w.empty, true)
}

func (w *pyWriter) close(c byte) {
	empty := w.empty[len(w.empty)-1]
	w.empty = w.empty[:len(w.empty)-1]
	if !empty {
		w.newline()
	}
	w.buf = append(w.buf, c)
}

// member starts the next member of the innermost object or array.
func (w *pyWriter) member() {
	top := len(w.empty) - 1
	if !w.empty[top] {
		w.buf = append(w.buf, ',')
	}
	w.empty[top] = false
	w.newline()
}

func (w *pyWriter) newline() {
	w.buf = append(w.buf, '\n')
	for n := len(w.empty) * w.indent; n > 0; n -= len(spaces) {
		w.buf = append(w.buf, spaces[:min(n, len(spaces))]...)
	}
}

const spaces = "                                "

func (w *pyWriter) key(k string) {
	w.member()
	w.str(k)
	w.buf = append(w.buf, ':', ' ')
}

// strs writes string members, key then value.
func (w *pyWriter) strs(kvs ...string) {
	for i := 0; i+1 < len(kvs); i += 2 {
		w.key(kvs[i])
		w.str(kvs[i+1])
	}
}

func (w *pyWriter) int(i int) { w.buf = strconv.AppendInt(w.buf, int64(i), 10) }

func (w *pyWriter) optional(s *string) {
	if s == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.str(*s)
}

const hexDigits = "0123456789abcdef"

// shortEscapes are the control characters Python writes as \n and the like.
var shortEscapes = map[byte]byte{'\n': 'n', '\r': 'r', '\t': 't', '\b': 'b', '\f': 'f'}

// str writes a string literal with Python's escapes.
func (w *pyWriter) str(s string) {
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); {
		// Names and paths are plain ASCII: copy such runs whole.
		start := i
		for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
			i++
		}
		w.buf = append(w.buf, s[start:i]...)
		if i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			w.buf = append(w.buf, '\\', c)
		case c < 0x20:
			if e, ok := shortEscapes[c]; ok {
				w.buf = append(w.buf, '\\', e)
			} else {
				w.u4(rune(c))
			}
		case c < utf8.RuneSelf:
			w.buf = append(w.buf, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			switch {
			case !w.ascii:
				w.buf = utf8.AppendRune(w.buf, r)
			case r > 0xFFFF:
				r -= 0x10000
				w.u4(0xD800 + r>>10)
				w.u4(0xDC00 + r&0x3FF)
			default:
				w.u4(r)
			}
			continue
		}
		i++
	}
	w.buf = append(w.buf, '"')
}

func (w *pyWriter) u4(r rune) {
	w.buf = append(w.buf, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
