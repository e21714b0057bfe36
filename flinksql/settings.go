package flinksql

import (
	"fmt"
	"strings"
)

// Settings splits the SET statements that open a file from the statement
// they configure: `SET 'sql.tables.scan.idle-timeout' = '1s'; INSERT ...`.
// Confluent Cloud runs one statement per request; its shell and workspace
// turn such SETs into statement properties, so a deploy must do the same.
// It returns the settings, and the source from the first statement that is
// not a SET on (comments before it kept). A SET that is not 'key' = 'value'
// (quoted, as Confluent's reference writes it) is an error.
func Settings(src string) (settings map[string]string, rest string, err error) {
	toks, err := Tokenize(src)
	if err != nil {
		return nil, "", err
	}
	i := 0
	for i < len(toks) && toks[i].Is("SET") {
		if i+4 >= len(toks) || toks[i+1].Kind != String || !toks[i+2].IsPunct("=") || toks[i+3].Kind != String || !toks[i+4].IsPunct(";") {
			return nil, "", &SyntaxError{Pos: toks[i].Pos, Msg: "a SET before the statement must read SET 'key' = 'value';"}
		}
		if settings == nil {
			settings = map[string]string{}
		}
		key, value := unquote(toks[i+1].Text), unquote(toks[i+3].Text)
		if old, ok := settings[key]; ok && old != value {
			return nil, "", &SyntaxError{Pos: toks[i].Pos, Msg: fmt.Sprintf("%s is set twice, to %q and %q", key, old, value)}
		}
		settings[key] = value
		i += 5
	}
	if i == 0 {
		return nil, src, nil
	}
	if i == len(toks) {
		return nil, "", &SyntaxError{Pos: toks[i-1].Pos, Msg: "only SET statements: no statement to configure"}
	}
	return settings, strings.TrimLeft(src[toks[i-1].Pos.Offset+1:], " \t\r\n"), nil
}
