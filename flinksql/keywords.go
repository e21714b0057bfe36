package flinksql

import (
	"slices"
	"strings"
)

// reserved holds Flink SQL's reserved words (Flink documentation, "Reserved
// Keywords"), the ones that cannot be an unquoted identifier. Their case does
// not matter, so the fingerprint upper-cases them; every other unquoted word is
// an identifier, and Flink identifiers are case-sensitive.
var reserved = makeSet(`A ABS ABSOLUTE ACTION ADA ADD ADMIN AFTER ALL ALLOCATE ALLOW ALTER ALWAYS
AND ANY ARE ARRAY AS ASC ASENSITIVE ASSERTION ASSIGNMENT ASYMMETRIC AT ATOMIC ATTRIBUTE ATTRIBUTES
AUTHORIZATION AVG BEFORE BEGIN BERNOULLI BETWEEN BIGINT BINARY BIT BLOB BOOLEAN BOTH BREADTH BY
BYTES C CALL CALLED CARDINALITY CASCADE CASCADED CASE CAST CATALOG CEIL CEILING CHAR CHARACTER
CHECK CLASSIFIER CLOB CLOSE COALESCE COLLATE COLLECT COLUMN COMMIT CONDITION CONNECT CONSTRAINT
CONTAINS CONVERT CORR CORRESPONDING COUNT COVAR_POP COVAR_SAMP CREATE CROSS CUBE CUME_DIST CURRENT
CURRENT_CATALOG CURRENT_DATE CURRENT_DEFAULT_TRANSFORM_GROUP CURRENT_PATH CURRENT_ROLE
CURRENT_ROW CURRENT_SCHEMA CURRENT_TIME CURRENT_TIMESTAMP CURRENT_TRANSFORM_GROUP_FOR_TYPE
CURRENT_USER CURSOR CYCLE DATE DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFINE DELETE DENSE_RANK
DEREF DESC DESCRIBE DESCRIPTOR DETERMINISTIC DISALLOW DISCONNECT DISTINCT DOUBLE DROP DYNAMIC EACH
ELEMENT ELSE EMPTY END END-EXEC END_FRAME END_PARTITION EQUALS ESCAPE EVERY EXCEPT EXEC EXECUTE
EXISTS EXP EXPLAIN EXTEND EXTERNAL EXTRACT FALSE FETCH FILTER FIRST_VALUE FLOAT FLOOR FOR FOREIGN
FRAME_ROW FREE FROM FULL FUNCTION FUSION GET GLOBAL GRANT GROUP GROUPING GROUPS HAVING HOLD HOUR
IDENTITY IF ILIKE IMPORT IN INDICATOR INITIAL INNER INOUT INSENSITIVE INSERT INT INTEGER INTERSECT
INTERSECTION INTERVAL INTO IS JOIN JSON_ARRAY JSON_ARRAYAGG JSON_EXISTS JSON_OBJECT
JSON_OBJECTAGG JSON_QUERY JSON_VALUE LAG LANGUAGE LARGE LAST_VALUE LATERAL LEAD LEADING LEFT LIKE
LIKE_REGEX LIMIT LN LOCAL LOCALTIME LOCALTIMESTAMP LOWER MATCH MATCHES MATCH_NUMBER MATCH_RECOGNIZE
MAX MEASURES MEMBER MERGE METHOD MIN MINUS MINUTE MOD MODIFIES MODULE MONTH MULTISET NATIONAL
NATURAL NCHAR NCLOB NEW NEXT NO NONE NORMALIZE NOT NTH_VALUE NTILE NULL NULLIF NUMERIC
OCCURRENCES_REGEX OCTET_LENGTH OF OFFSET OLD OMIT ON ONE ONLY OPEN OR ORDER OUT OUTER OVER
OVERLAPS OVERLAY PARAMETER PARTITION PATTERN PER PERCENT PERCENTILE_CONT PERCENTILE_DISC
PERCENT_RANK PERIOD PERMUTE PORTION POSITION POSITION_REGEX POWER PRECEDES PRECISION PREPARE PREV
PRIMARY PROCEDURE RANGE RANK RAW READS REAL RECURSIVE REF REFERENCES REFERENCING REGR_AVGX
REGR_AVGY REGR_COUNT REGR_INTERCEPT REGR_R2 REGR_SLOPE REGR_SXX REGR_SXY REGR_SYY RELEASE RESET
RESULT RETURN RETURNS REVOKE RIGHT ROLLBACK ROLLUP ROW ROWS ROW_NUMBER RUNNING SAVEPOINT SCOPE
SCROLL SEARCH SECOND SEEK SELECT SENSITIVE SESSION_USER SET SHOW SIMILAR SKIP SMALLINT SOME
SPECIFIC SPECIFICTYPE SQL SQLEXCEPTION SQLSTATE SQLWARNING SQRT START STATIC STDDEV_POP
STDDEV_SAMP STREAM STRING SUBMULTISET SUBSET SUBSTRING SUBSTRING_REGEX SUCCEEDS SUM SYMMETRIC
SYSTEM SYSTEM_TIME SYSTEM_USER TABLE TABLESAMPLE THEN TIME TIMESTAMP TIMEZONE_HOUR
TIMEZONE_MINUTE TINYINT TO TRAILING TRANSLATE TRANSLATE_REGEX TRANSLATION TREAT TRIGGER TRIM
TRIM_ARRAY TRUE TRUNCATE UESCAPE UNION UNIQUE UNKNOWN UNNEST UPDATE UPPER UPSERT USER USING VALUE
VALUES VALUE_OF VARBINARY VARCHAR VARYING VAR_POP VAR_SAMP VERSIONING WHEN WHENEVER WHERE
WIDTH_BUCKET WINDOW WITH WITHIN WITHOUT YEAR`)

// softKeywords are non-reserved words of Flink's DDL, DML and type syntax.
// They may name a column too, but a change of their case is far more often a
// reformatting than a rename, so the fingerprint folds their case like a
// reserved word's. Function names are not here: a word before "(" can be a
// table (INSERT INTO t (a, b)).
var softKeywords = makeSet(`BUCKETS COMMENT CONSTRAINTS DATABASE DAYS DISTRIBUTED ENFORCED EXCLUDING
FOLLOWING FRESHNESS GENERATED HOURS INCLUDING KEY MAP MATERIALIZED METADATA MINUTES NULLS ORDINALITY OPTIONS
OVERWRITE OVERWRITING PARTITIONED PARTITIONS PRECEDING REPLACE SECONDS STATEMENT TEMPORARY
TIMESTAMP_LTZ UNBOUNDED VIRTUAL WATERMARK WATERMARKS`)

// clauseWords end a FROM list or an expression at the same nesting level.
var clauseWords = makeSet(`WHERE GROUP HAVING WINDOW QUALIFY ORDER LIMIT OFFSET FETCH UNION
INTERSECT EXCEPT MINUS INSERT SELECT VALUES`)

// joinWords start a join in a FROM list (LEFT and RIGHT only when a JOIN or
// OUTER follows, so the LEFT() function is not a join).
var joinWords = makeSet(`JOIN LEFT RIGHT FULL INNER CROSS NATURAL`)

// aggregates are the aggregate functions whose use outside a GROUP BY is a
// global aggregation, which keeps state.
var aggregates = makeSet(`COUNT SUM AVG MIN MAX COLLECT LISTAGG STDDEV STDDEV_POP STDDEV_SAMP
VARIANCE VAR_POP VAR_SAMP FIRST_VALUE LAST_VALUE ARRAY_AGG JSON_ARRAYAGG JSON_OBJECTAGG
APPROX_COUNT_DISTINCT PERCENTILE BIT_AND BIT_OR BIT_XOR`)

// windowTVFs are Flink's windowing table-valued functions.
var windowTVFs = makeSet(`TUMBLE HOP CUMULATE SESSION`)

// statementWords start the statements the walker does not look into, beside
// the ones it walks (CREATE, INSERT, EXECUTE, BEGIN STATEMENT SET, queries,
// DROP TABLE, ALTER TABLE, REPLACE TABLE): any other word there is an error.
var statementWords = makeSet(`ADD ALTER ANALYZE CALL COMPILE DELETE DESC DESCRIBE DROP EXPLAIN LOAD
REMOVE RESET SET SHOW STOP TRUNCATE UNLOAD UPDATE USE`)

// exprWords are non-reserved words Flink's expressions use outside
// parentheses (x IS JSON SCALAR): the shape check never counts them as names.
var exprWords = makeSet(`JSON SCALAR OBJECT`)

type wordSet map[string]struct{}

func makeSet(words string) wordSet {
	s := wordSet{}
	for _, w := range strings.Fields(words) {
		s[w] = struct{}{}
	}
	return s
}

// maxKeyword is longer than any keyword (CURRENT_TRANSFORM_GROUP_FOR_TYPE).
const maxKeyword = 40

// has reports whether the word token t is in the set. Keywords are ASCII, so
// only ASCII letters are upper-cased, on the stack. The walker tests the
// classes the lexer gave the word instead; has is what defines them.
func (s wordSet) has(t Token) bool {
	if t.Kind != Word || len(t.Text) > maxKeyword {
		return false
	}
	var buf [maxKeyword]byte
	for i := 0; i < len(t.Text); i++ {
		c := t.Text[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	_, ok := s[string(buf[:len(t.Text)])]
	return ok
}

// wordClass holds one bit per word set: the sets a keyword belongs to.
type wordClass uint16

const (
	classReserved wordClass = 1 << iota
	classSoft
	classClause
	classJoin
	classAggregate
	classWindowTVF
	classSetOp
	classSort
	classStructural
	classStatement
	classExprWord
)

// classSets are the sets behind the class bits, in bit order.
var classSets = [...]wordSet{reserved, softKeywords, clauseWords, joinWords, aggregates, windowTVFs,
	setOps, sortWords, structural, statementWords, exprWords}

// keyword identifies a keyword: the lexer looks every word up once, so the
// walker compares small integers instead of folding the case of strings.
// 0 is no keyword.
type keyword uint16

// keywordTable finds the keyword a word spells, ignoring case, with one hash
// and usually one probe: a map lookup on each test of a word was most of the
// walker's time.
type keywordTable struct {
	text  []string    // upper-case text by keyword
	class []wordClass // by keyword
	// slots holds keywords by hash, with linear probing; 0 is an empty slot.
	// At most a quarter full, so probing stops soon on the many words that
	// are not keywords.
	slots [1 << keywordBits]keyword
}

const keywordBits = 11

// keywords holds the words of all the sets, and the words the walker adds
// with intern.
var keywords = newKeywordTable()

func newKeywordTable() *keywordTable {
	kt := &keywordTable{text: []string{""}, class: []wordClass{0}}
	var words []string
	for _, s := range classSets {
		for w := range s {
			words = append(words, w)
		}
	}
	// Sorted, so keywords number the same on every run.
	slices.Sort(words)
	for _, w := range slices.Compact(words) {
		kt.intern(w)
	}
	return kt
}

// intern returns the keyword for the upper-case word w, adding it first when
// it is new.
func (kt *keywordTable) intern(w string) keyword {
	h := hashSeed
	for i := 0; i < len(w); i++ {
		h = hashByte(h, w[i])
	}
	i := kt.slot(w, h)
	if kt.slots[i] != 0 {
		return kt.slots[i]
	}
	if len(w) > maxKeyword || 4*len(kt.text) > len(kt.slots) {
		panic("flinksql: keyword " + w + " does not fit the keyword table")
	}
	k := keyword(len(kt.text))
	kt.text = append(kt.text, w)
	var c wordClass
	for bit, s := range classSets {
		if s.has(Token{Kind: Word, Text: w}) {
			c |= 1 << bit
		}
	}
	kt.class = append(kt.class, c)
	kt.slots[i] = k
	return k
}

// find returns the keyword the word w, whose hash is h, spells in any case,
// or 0.
func (kt *keywordTable) find(w string, h uint32) keyword {
	if len(w) > maxKeyword {
		return 0
	}
	return kt.slots[kt.slot(w, h)]
}

// slot returns the slot of the word w, whose hash is h: the one holding its
// keyword, or else the empty one where it goes.
func (kt *keywordTable) slot(w string, h uint32) uint32 {
	for i := h >> (32 - keywordBits); ; i = (i + 1) % uint32(len(kt.slots)) {
		if k := kt.slots[i]; k == 0 || equalUpper(w, kt.text[k]) {
			return i
		}
	}
}

// The word hash is FNV-1a of the word with ASCII letters upper-cased; the
// lexer computes it as it reads the word.
const hashSeed uint32 = 2166136261

func hashByte(h uint32, c byte) uint32 { return (h ^ uint32(upperASCII(c))) * 16777619 }

// equalUpper reports whether w upper-cased (ASCII letters only) is kw.
func equalUpper(w, kw string) bool {
	if len(w) != len(kw) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if upperASCII(w[i]) != kw[i] {
			return false
		}
	}
	return true
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// The keywords the walker tests words against.
var (
	kwAll            = keywords.intern("ALL")
	kwAlter          = keywords.intern("ALTER")
	kwAny            = keywords.intern("ANY")
	kwAs             = keywords.intern("AS")
	kwBegin          = keywords.intern("BEGIN")
	kwBy             = keywords.intern("BY")
	kwCreate         = keywords.intern("CREATE")
	kwCross          = keywords.intern("CROSS")
	kwDistinct       = keywords.intern("DISTINCT")
	kwDrop           = keywords.intern("DROP")
	kwEnd            = keywords.intern("END")
	kwExecute        = keywords.intern("EXECUTE")
	kwExists         = keywords.intern("EXISTS")
	kwFor            = keywords.intern("FOR")
	kwFrom           = keywords.intern("FROM")
	kwFull           = keywords.intern("FULL")
	kwGroup          = keywords.intern("GROUP")
	kwHaving         = keywords.intern("HAVING")
	kwIf             = keywords.intern("IF")
	kwIn             = keywords.intern("IN")
	kwInner          = keywords.intern("INNER")
	kwInsert         = keywords.intern("INSERT")
	kwInto           = keywords.intern("INTO")
	kwIs             = keywords.intern("IS")
	kwJoin           = keywords.intern("JOIN")
	kwLateral        = keywords.intern("LATERAL")
	kwLeft           = keywords.intern("LEFT")
	kwLike           = keywords.intern("LIKE")
	kwMatchRecognize = keywords.intern("MATCH_RECOGNIZE")
	kwMaterialized   = keywords.intern("MATERIALIZED")
	kwNatural        = keywords.intern("NATURAL")
	kwNot            = keywords.intern("NOT")
	kwOf             = keywords.intern("OF")
	kwOn             = keywords.intern("ON")
	kwOrdinality     = keywords.intern("ORDINALITY")
	kwOr             = keywords.intern("OR")
	kwOrder          = keywords.intern("ORDER")
	kwOuter          = keywords.intern("OUTER")
	kwOver           = keywords.intern("OVER")
	kwOverwrite      = keywords.intern("OVERWRITE")
	kwPartition      = keywords.intern("PARTITION")
	kwQualify        = keywords.intern("QUALIFY")
	kwRecursive      = keywords.intern("RECURSIVE")
	kwReplace        = keywords.intern("REPLACE")
	kwRight          = keywords.intern("RIGHT")
	kwSelect         = keywords.intern("SELECT")
	kwSet            = keywords.intern("SET")
	kwSome           = keywords.intern("SOME")
	kwStatement      = keywords.intern("STATEMENT")
	kwSystemTime     = keywords.intern("SYSTEM_TIME")
	kwTable          = keywords.intern("TABLE")
	kwTablesample    = keywords.intern("TABLESAMPLE")
	kwTemporary      = keywords.intern("TEMPORARY")
	kwUnion          = keywords.intern("UNION")
	kwUnnest         = keywords.intern("UNNEST")
	kwUsing          = keywords.intern("USING")
	kwValues         = keywords.intern("VALUES")
	kwView           = keywords.intern("VIEW")
	kwWhere          = keywords.intern("WHERE")
	kwWindow         = keywords.intern("WINDOW")
	kwWith           = keywords.intern("WITH")
	kwPrimary        = keywords.intern("PRIMARY")
	kwKey            = keywords.intern("KEY")
)
