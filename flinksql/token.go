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
	// kw is the keyword a Word token spells, set by the lexer; 0 otherwise.
	kw   keyword
	Text string
	Pos  Pos
}

// Is reports whether t is the unquoted keyword kw (kw in upper case).
func (t Token) Is(kw string) bool {
	return t.Kind == Word && len(t.Text) == len(kw) && strings.EqualFold(t.Text, kw)
}

// in reports whether t is a keyword of one of the classes c.
func (t Token) in(c wordClass) bool { return keywords.class[t.kw]&c != 0 }

// upper returns the text of t upper-cased, as the keyword table has it for a
// keyword.
func (t Token) upper() string {
	if t.kw != 0 {
		return keywords.text[t.kw]
	}
	return strings.ToUpper(t.Text)
}

// Keyword reports whether t is a word Flink's grammar gives a meaning of its
// own: a reserved or non-reserved keyword, a clause, join or set word, an
// aggregate or a windowing function. Such a word is never taken for a
// table alias or a column by a reader of the tokens.
func (t Token) Keyword() bool { return t.Kind == Word && keywords.class[t.kw] != 0 }

// IsPunct reports whether t is the punctuation p.
func (t Token) IsPunct(p string) bool { return t.Kind == Punct && t.Text == p }

// SyntaxError reports a lexical or structural problem at a position.
type SyntaxError struct {
	Pos Pos
	Msg string
	// Table is the table the failing statement creates or writes, when the
	// text before the error names it (nil otherwise), so that a caller can
	// say which table the broken SQL is for.
	Table Name
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// Tokenize splits src into tokens, dropping whitespace and comments. It fails
// on invalid UTF-8 and on an unterminated comment, string or identifier.
func Tokenize(src string) ([]Token, error) {
	// Roughly one token per five bytes of SQL; saves regrowing.
	toks, err := tokenize(src, make([]Token, 0, len(src)/5+1))
	if err != nil {
		return nil, err
	}
	return toks, nil
}

// tokenize appends the tokens of src to toks, and returns them even on an
// error.
func tokenize(src string, toks []Token) ([]Token, error) {
	lx := lexer{src: src, line: 1, col: 1, toks: toks}
	err := lx.run()
	return lx.toks, err
}

// lexer keeps the line up to date as it goes, but counts the runes of a
// column only when a token asks for its position: counting per byte was a
// good part of tokenizing.
type lexer struct {
	src  string
	off  int
	line int
	// col is the column at colOff, which is on the current line and at or
	// before off.
	col    int
	colOff int
	toks   []Token
}

// pos returns the position of the current offset.
func (lx *lexer) pos() Pos {
	lx.col += utf8.RuneCountInString(lx.src[lx.colOff:lx.off])
	lx.colOff = lx.off
	return Pos{Offset: lx.off, Line: lx.line, Col: lx.col}
}

// posAt returns the position of the offset off, at or after the current one.
func (lx *lexer) posAt(off int) Pos {
	sub := *lx
	sub.skip(off - lx.off)
	return sub.pos()
}

// skip moves over n bytes that may hold newlines.
func (lx *lexer) skip(n int) {
	s := lx.src[lx.off : lx.off+n]
	if last := strings.LastIndexByte(s, '\n'); last >= 0 {
		lx.line += strings.Count(s[:last], "\n") + 1
		lx.col, lx.colOff = 1, lx.off+last+1
	}
	lx.off += n
}

// add adds a token that starts at the current offset.
func (lx *lexer) add(kind TokenKind, text string, kw keyword) {
	lx.toks = append(lx.toks, Token{Kind: kind, kw: kw, Text: text, Pos: lx.pos()})
}

func (lx *lexer) errorf(p Pos, format string, args ...any) error {
	return &SyntaxError{Pos: p, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) run() error {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == '\n':
			lx.off++
			lx.line++
			lx.col, lx.colOff = 1, lx.off
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.off++
		case c == '-' && lx.peek(1) == '-':
			// A lone \r ends a line comment too, as in Calcite's lexer.
			end := strings.IndexAny(lx.src[lx.off:], "\r\n")
			if end < 0 {
				end = len(lx.src) - lx.off
			}
			if err := lx.checkUTF8(lx.off, lx.off+end); err != nil {
				return err
			}
			lx.off += end
		case c == '/' && lx.peek(1) == '*':
			end := strings.Index(lx.src[lx.off+2:], "*/")
			if end < 0 {
				return lx.errorf(lx.pos(), "unterminated /* comment")
			}
			n := end + 4
			if err := lx.checkUTF8(lx.off, lx.off+n); err != nil {
				return err
			}
			if lx.peek(2) == '+' {
				lx.add(Hint, lx.src[lx.off:lx.off+n], 0)
			}
			lx.skip(n)
		case c == '\'' || c == '"':
			n, err := lx.quoted(c, "string literal")
			if err != nil {
				return err
			}
			lx.add(String, lx.src[lx.off:lx.off+n], 0)
			lx.skip(n)
		case c == '`':
			n, err := lx.quoted('`', "backticked identifier")
			if err != nil {
				return err
			}
			raw := lx.src[lx.off+1 : lx.off+n-1]
			if raw == "" {
				// Flink rejects it too, and a Name part is never empty.
				return lx.errorf(lx.pos(), "empty backticked identifier")
			}
			lx.add(QuotedIdent, strings.ReplaceAll(raw, "``", "`"), 0)
			lx.skip(n)
		case isDigit(c) || (c == '.' && isDigit(lx.peek(1))):
			lx.single(Number, lx.number())
		case isIdentStart(c):
			lx.word()
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
			switch {
			case r == utf8.RuneError && size == 1:
				return lx.errorf(lx.pos(), "invalid UTF-8 byte 0x%02x", c)
			case unicode.IsLetter(r):
				lx.word()
			case unicode.IsSpace(r) || r == '\uFEFF':
				// A byte order mark, which editors put at the start of a
				// file, separates tokens like a space.
				lx.off += size
			default:
				lx.single(Punct, size)
			}
		default:
			n := 1
			if two := lx.src[lx.off:min(lx.off+2, len(lx.src))]; len(two) == 2 {
				switch two {
				case "<>", "<=", ">=", "!=", "||", "=>", "::", "->":
					n = 2
				}
			}
			lx.single(Punct, n)
		}
	}
	return nil
}

// single adds the token of the next n bytes, which hold no newline, and moves
// past it.
func (lx *lexer) single(kind TokenKind, n int) {
	lx.add(kind, lx.src[lx.off:lx.off+n], 0)
	lx.off += n
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
			return lx.errorf(lx.posAt(from+i), "invalid UTF-8 byte 0x%02x", s[i])
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

// word adds the word at the current offset and moves past it. It hashes the
// word as it goes, for the keyword lookup.
func (lx *lexer) word() {
	h, ascii := hashSeed, true
	i := lx.off
	for i < len(lx.src) {
		c := lx.src[i]
		if c < utf8.RuneSelf {
			if !isIdentPart(c) {
				break
			}
			h = hashByte(h, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(lx.src[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		ascii = false
		i += size
	}
	text := lx.src[lx.off:i]
	var kw keyword
	if ascii { // keywords are ASCII
		kw = keywords.find(text, h)
	}
	lx.add(Word, text, kw)
	lx.off = i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '$' }
