package flinksql

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// fingerprint hashes the normalised token stream: keywords upper-cased,
// `ident` and ident the same, hints with collapsed whitespace, trailing
// semicolons dropped. Comments and whitespace never reach the tokens.
func fingerprint(toks []Token) string {
	end := len(toks)
	for end > 0 && toks[end-1].IsPunct(";") {
		end--
	}
	// The whole input in one buffer, hashed at once: a Write per token cost
	// more than the hashing. No token grows when normalised, so the size is
	// known.
	size := 0
	for _, t := range toks[:end] {
		size += len(t.Text) + 2
	}
	buf := make([]byte, 0, size)
	for _, t := range toks[:end] {
		switch {
		case t.in(classReserved | classSoft):
			buf = append(buf, 'K')
			buf = append(buf, t.upper()...)
		case t.Kind == Word || t.Kind == QuotedIdent:
			buf = append(buf, 'I')
			buf = append(buf, t.Text...)
		case t.Kind == Hint:
			buf = append(buf, 'H')
			sep := false
			for f := range strings.FieldsSeq(t.Text) {
				if sep {
					buf = append(buf, ' ')
				}
				buf = append(buf, f...)
				sep = true
			}
		default:
			buf = append(buf, byte('0'+t.Kind))
			buf = append(buf, t.Text...)
		}
		buf = append(buf, 0)
	}
	sum := sha256.Sum256(buf)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}
