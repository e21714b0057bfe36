package flinksql

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TokenKind classifies a token.
type TokenKind uint8

const (
	// Word is an unquoted identifier or keyword; keywords are matched
	// case-insensitively.
	Word TokenKind = iota + 1
	// QuotedIdent is a backticked identifier; Text holds the name without
	// backticks (dots and dashes inside stay part of the name).
	QuotedIdent
	// String is a single- or double-quoted literal; Text holds the raw
	// literal, quotes included.
	String
	// Number is a numeric literal.
	Number
	// Punct is an operator or punctuation: ( ) , . ; = <> <= >= != || => :: and
	// any other single character.
	Punct
	// Hint is a /*+ ... */ optimizer hint. Hints change what a statement does,
	// so they are part of the fingerprint, but the walker ignores them.
	Hint
)

// Pos is a position in the source: byte offset and 1-based line and column.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Token is one lexical element of a Flink SQL script.
type Token struct {
	Kind TokenKind
	Text string
	Pos  Pos
}

// Is reports whether t is the unquoted keyword kw (kw in upper case).
func (t Token) Is(kw string) bool {
	return t.Kind == Word && len(t.Text) == len(kw) && strings.EqualFold(t.Text, kw)
}

// IsPunct reports whether t is the punctuation p.
func (t Token) IsPunct(p string) bool { return t.Kind == Punct && t.Text == p }

// SyntaxError reports a lexical or structural problem at a position.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// Tokenize splits src into tokens, dropping whitespace and comments. It fails
// on invalid UTF-8 and on an unterminated comment, string or identifier.
func Tokenize(src string) ([]Token, error) {
	lx := lexer{src: src, line: 1, col: 1}
	// Roughly one token per five bytes of SQL; saves regrowing.
	toks := make([]Token, 0, len(src)/5+1)
	for {
		tok, ok, err := lx.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return toks, nil
		}
		toks = append(toks, tok)
	}
}

type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func (lx *lexer) pos() Pos { return Pos{Offset: lx.off, Line: lx.line, Col: lx.col} }

// advance moves over n bytes, keeping line and column (in runes) right.
func (lx *lexer) advance(n int) {
	end := lx.off + n
	for lx.off < end {
		c := lx.src[lx.off]
		if c == '\n' {
			lx.line++
			lx.col = 1
			lx.off++
			continue
		}
		if c < utf8.RuneSelf {
			lx.off++
		} else {
			_, size := utf8.DecodeRuneInString(lx.src[lx.off:])
			lx.off += size
		}
		lx.col++
	}
}

func (lx *lexer) errorf(p Pos, format string, args ...any) error {
	return &SyntaxError{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) next() (Token, bool, error) {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		start := lx.pos()
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.advance(1)
		case c == '-' && lx.peek(1) == '-':
			// A lone \r ends a line comment too, as in Calcite's lexer.
			end := strings.IndexAny(lx.src[lx.off:], "\r\n")
			if end < 0 {
				end = len(lx.src) - lx.off
			}
			if err := lx.checkUTF8(lx.off, lx.off+end); err != nil {
				return Token{}, false, err
			}
			lx.advance(end)
		case c == '/' && lx.peek(1) == '*':
			end := strings.Index(lx.src[lx.off+2:], "*/")
			if end < 0 {
				return Token{}, false, lx.errorf(start, "unterminated /* comment")
			}
			n := end + 4
			if err := lx.checkUTF8(lx.off, lx.off+n); err != nil {
				return Token{}, false, err
			}
			isHint := lx.peek(2) == '+'
			text := lx.src[lx.off : lx.off+n]
			lx.advance(n)
			if isHint {
				return Token{Kind: Hint, Text: text, Pos: start}, true, nil
			}
		case c == '\'' || c == '"':
			n, err := lx.quoted(c, "string literal")
			if err != nil {
				return Token{}, false, err
			}
			text := lx.src[lx.off : lx.off+n]
			lx.advance(n)
			return Token{Kind: String, Text: text, Pos: start}, true, nil
		case c == '`':
			n, err := lx.quoted('`', "backticked identifier")
			if err != nil {
				return Token{}, false, err
			}
			raw := lx.src[lx.off+1 : lx.off+n-1]
			if raw == "" {
				// Flink rejects it too, and a Name part is never empty.
				return Token{}, false, lx.errorf(start, "empty backticked identifier")
			}
			lx.advance(n)
			return Token{Kind: QuotedIdent, Text: strings.ReplaceAll(raw, "``", "`"), Pos: start}, true, nil
		case isDigit(c) || (c == '.' && isDigit(lx.peek(1))):
			n := lx.number()
			text := lx.src[lx.off : lx.off+n]
			lx.advance(n)
			return Token{Kind: Number, Text: text, Pos: start}, true, nil
		case isIdentStart(c):
			n := lx.word()
			text := lx.src[lx.off : lx.off+n]
			lx.advance(n)
			return Token{Kind: Word, Text: text, Pos: start}, true, nil
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
			if r == utf8.RuneError && size == 1 {
				return Token{}, false, lx.errorf(start, "invalid UTF-8 byte 0x%02x", c)
			}
			if unicode.IsLetter(r) {
				n := lx.word()
				text := lx.src[lx.off : lx.off+n]
				lx.advance(n)
				return Token{Kind: Word, Text: text, Pos: start}, true, nil
			}
			// A byte order mark, which editors put at the start of a file,
			// separates tokens like a space.
			if unicode.IsSpace(r) || r == '\uFEFF' {
				lx.advance(size)
				continue
			}
			text := lx.src[lx.off : lx.off+size]
			lx.advance(size)
			return Token{Kind: Punct, Text: text, Pos: start}, true, nil
		default:
			n := 1
			if two := lx.src[lx.off:min(lx.off+2, len(lx.src))]; len(two) == 2 {
				switch two {
				case "<>", "<=", ">=", "!=", "||", "=>", "::", "->":
					n = 2
				}
			}
			text := lx.src[lx.off : lx.off+n]
			lx.advance(n)
			return Token{Kind: Punct, Text: text, Pos: start}, true, nil
		}
	}
	return Token{}, false, nil
}

func (lx *lexer) peek(i int) byte {
	if lx.off+i < len(lx.src) {
		return lx.src[lx.off+i]
	}
	return 0
}

// checkUTF8 fails on the first invalid byte of src[from:to], which starts at
// the current offset, reporting that byte's own position.
func (lx *lexer) checkUTF8(from, to int) error {
	s := lx.src[from:to]
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		// A valid U+FFFD is one rune of 3 bytes; only a size-1 RuneError is bad.
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sub := lexer{src: lx.src, off: lx.off, line: lx.line, col: lx.col}
			sub.advance(from - lx.off + i)
			return lx.errorf(sub.pos(), "invalid UTF-8 byte 0x%02x", s[i])
		}
		i += size
	}
	return nil
}

// quoted returns the length of the quoted token starting at the current
// offset; a doubled quote character escapes itself.
func (lx *lexer) quoted(q byte, what string) (int, error) {
	i := lx.off + 1
	for {
		j := strings.IndexByte(lx.src[i:], q)
		if j < 0 {
			return 0, lx.errorf(lx.pos(), "unterminated %s", what)
		}
		i += j + 1
		if i < len(lx.src) && lx.src[i] == q {
			i++
			continue
		}
		if err := lx.checkUTF8(lx.off, i); err != nil {
			return 0, err
		}
		return i - lx.off, nil
	}
}

func (lx *lexer) number() int {
	i := lx.off
	for i < len(lx.src) && (isDigit(lx.src[i]) || lx.src[i] == '.') {
		i++
	}
	if i < len(lx.src) && (lx.src[i] == 'e' || lx.src[i] == 'E') {
		j := i + 1
		if j < len(lx.src) && (lx.src[j] == '+' || lx.src[j] == '-') {
			j++
		}
		if j < len(lx.src) && isDigit(lx.src[j]) {
			i = j
			for i < len(lx.src) && isDigit(lx.src[i]) {
				i++
			}
		}
	}
	return i - lx.off
}

func (lx *lexer) word() int {
	i := lx.off
	for i < len(lx.src) {
		c := lx.src[i]
		if c < utf8.RuneSelf {
			if !isIdentPart(c) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(lx.src[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		i += size
	}
	return i - lx.off
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '$' }
