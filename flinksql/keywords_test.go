package flinksql

import (
	"strings"
	"testing"
)

// TestKeywordLength guards wordSet.has, which cannot match a word longer than
// maxKeyword.
func TestKeywordLength(t *testing.T) {
	sets := []wordSet{reserved, softKeywords, clauseWords, joinWords, aggregates, windowTVFs,
		setOps, sortWords, structural}
	for _, set := range sets {
		for w := range set {
			if len(w) > maxKeyword {
				t.Errorf("%s is longer than maxKeyword (%d)", w, maxKeyword)
			}
			if !set.has(Token{Kind: Word, Text: w}) {
				t.Errorf("has(%s) = false", w)
			}
		}
	}
}

// TestWordClasses checks the classes and keywords the lexer gives words
// against the sets, whatever the case of the word.
func TestWordClasses(t *testing.T) {
	for _, set := range classSets {
		for w := range set {
			for _, text := range []string{w, strings.ToLower(w), strings.ToUpper(w[:1]) + strings.ToLower(w[1:])} {
				toks, err := Tokenize(text)
				if err != nil || len(toks) != 1 {
					continue // END-EXEC is not one word
				}
				tok := toks[0]
				if tok.upper() != w {
					t.Errorf("%q.upper() = %q, want %q", text, tok.upper(), w)
				}
				for bit, s := range classSets {
					if tok.in(1<<bit) != s.has(tok) {
						t.Errorf("%q: class bit %d is %v, has says %v", text, bit, tok.in(1<<bit), s.has(tok))
					}
				}
			}
		}
	}
	for _, text := range []string{"orders", "selects", "user_join", "straße", "SELECT_", "x$", "CURRENT_TRANSFORM_GROUP_FOR_TYPE_AND_MORE"} {
		toks, err := Tokenize(text)
		if err != nil || len(toks) != 1 {
			t.Fatalf("Tokenize(%q) = %v, %v", text, toks, err)
		}
		if toks[0].kw != 0 {
			t.Errorf("%q is keyword %q", text, toks[0].upper())
		}
	}
}
