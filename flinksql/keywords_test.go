package flinksql

import "testing"

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
