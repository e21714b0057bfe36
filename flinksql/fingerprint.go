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
	h := sha256.New()
	buf := make([]byte, 0, 64)
	for _, t := range toks[:end] {
		buf = buf[:0]
		switch {
		case t.Kind == Word && (reserved.has(t) || softKeywords.has(t)):
			buf = append(buf, 'K')
			buf = append(buf, strings.ToUpper(t.Text)...)
		case t.Kind == Word || t.Kind == QuotedIdent:
			buf = append(buf, 'I')
			buf = append(buf, t.Text...)
		case t.Kind == Hint:
			buf = append(buf, 'H')
			buf = append(buf, strings.Join(strings.Fields(t.Text), " ")...)
		default:
			buf = append(buf, byte('0'+t.Kind))
			buf = append(buf, t.Text...)
		}
		buf = append(buf, 0)
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}
