package planner

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/shiftleft/shiftleft/inventory"
)

// A stateless DML is changed by a new statement that carries over the
// offsets of the running one (sql.tables.initial-offset-from), which is
// stopped, not deleted: a rollback point. The new statement is the next
// version of the table's DML name: the name, then name-v2, name-v3...

// versionSuffix is what may follow the stem of a DML name: -v and at most
// four digits.
const versionSuffix = len("-v9999")

// dmlStem is the part of a table's DML name that its versions share: the
// name itself when a version suffix fits after it, else its beginning and a
// hash of it, so that every version stays within [MaxStatementName].
func dmlStem(dml string) string { return stem(dml, versionSuffix) }

// stem is name when suffix more characters fit after it within
// [MaxStatementName], else its beginning and a hash of it.
func stem(name string, suffix int) string {
	if len(name)+suffix <= MaxStatementName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:MaxStatementName-suffix-nameHash-1], "-") + "-" + hex.EncodeToString(sum[:])[:nameHash]
}

// DMLVersion names version k of a table's DML statement dml: dml itself for
// 1, else its stem, -v and k.
func DMLVersion(dml string, k int) string {
	if k <= 1 {
		return dml
	}
	return dmlStem(dml) + "-v" + strconv.Itoa(k)
}

// version is one statement of a table's DML, by its version number.
type version struct {
	k  int
	st Statement
}

// splitVersion reads name as stem-vK, K from 2 to 9999.
func splitVersion(name string) (stem string, k int, ok bool) {
	i := strings.LastIndex(name, "-v")
	if i < 0 || len(name)-i > versionSuffix || len(name) == i+2 {
		return "", 0, false
	}
	k, err := strconv.Atoi(name[i+2:])
	if err != nil || k < 2 || name[i+2] == '0' {
		return "", 0, false
	}
	return name[:i], k, true
}

// indexed returns live with its statements that may be DML versions indexed
// by stem; indexing again does nothing.
func (l Live) indexed() Live {
	if l.versions != nil {
		return l
	}
	l.versions, l.current = map[string][]version{}, map[string]int{}
	for name, st := range l.Statements {
		if st.Table != "" && st.Phase != PhaseDeleting {
			l.current[st.Table] = max(l.current[st.Table], versionOf(st))
		}
		if stem, k, ok := splitVersion(name); ok && st.Table != "" {
			l.versions[stem] = append(l.versions[stem], version{k, st})
		}
	}
	return l
}

// dmlVersions are the statements of the table's DML, its first name and its
// versions, lowest first, the ones being deleted aside. A version must carry
// the table's label: a table named t_v2 has a DML name like t's version 2.
func (l Live) dmlVersions(d Desired) []version {
	if d.DML == "" {
		return nil
	}
	var out []version
	if st := l.versioned(d.DML, d.Version); st != nil {
		out = append(out, version{1, *st})
	}
	if l.versions == nil {
		l = l.indexed() // one table's comparison: CompareLive
	}
	for _, v := range l.versions[dmlStem(d.DML)] {
		if v.st.Table == TableLabel(d.Table) && DMLVersion(d.DML, v.k) == v.st.Name && versionOf(v.st) == max(d.Version, 1) {
			out = append(out, v)
		}
	}
	out = slices.DeleteFunc(out, func(v version) bool { return v.st.Phase == PhaseDeleting })
	slices.SortFunc(out, func(a, b version) int { return cmp.Compare(a.k, b.k) })
	return out
}

// MaxLabelValue is Kubernetes' bound on a label value; Confluent's label
// selectors are Kubernetes-style, so its values are kept within it.
const MaxLabelValue = 63

// TableLabel is the table label of the statements of table.
func TableLabel(table string) string { return LabelValue(table, MaxLabelValue) }

// LabelValue makes s a Kubernetes-style label value of at most max
// characters: every character but ASCII letters, digits, '-', '_' and '.'
// becomes '_', and it starts and ends with a letter or digit. Statements
// carry their table's name in this form.
func LabelValue(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if alnum(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
	notAlnum := func(r rune) bool { return !alnum(r) }
	s = strings.TrimFunc(s, notAlnum)
	if len(s) > max {
		s = strings.TrimRightFunc(s[:max], notAlnum) // ASCII only by now: bytes are characters
	}
	return s
}

func alnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// carry is how a new DML of a table carries over the offsets of the one
// before.
type carry struct {
	// from is the statement whose offsets it starts at, into the new
	// version's name.
	from, into string
	// deletes are the table's other DML statements the plan deletes: the
	// ones that neither run nor are rollback points, and the rollback
	// points beyond the kept number.
	deletes []string
	// resumed: into exists, created by an earlier run with the tree's SQL
	// and waiting for from to stop.
	resumed bool
}

// carriable says whether a statement has offsets a new one can carry over:
// it runs, or was stopped.
func carriable(st Statement) bool {
	switch st.Phase {
	case PhaseRunning, PhaseDegraded, PhaseStopped, PhaseStopping:
		return true
	}
	return false
}

// carryOf is how a new DML of t would carry over offsets, or why it cannot:
// Flink carries offsets over to a stateless query only, from a statement
// that runs or was stopped.
func (b *builder) carryOf(t *inventory.Table, s state) (*carry, string) {
	vs := s.versions
	switch {
	case stateful(t):
		return nil, "a stateful query cannot carry offsets over (" + t.StatefulReasons[0] + ")"
	case len(vs) == 0:
		return nil, "no DML runs to carry offsets over from"
	}
	last, c, from := vs[len(vs)-1], &carry{}, -1
	if last.st.Phase == PhasePending && last.st.Fingerprint == t.Fingerprint && last.st.OffsetsFrom != "" {
		from = slices.IndexFunc(vs, func(v version) bool { return v.st.Name == last.st.OffsetsFrom && carriable(v.st) })
		c.into, c.resumed = last.st.Name, from >= 0
	}
	if !c.resumed {
		from = -1
		for i := len(vs) - 1; i >= 0 && from < 0; i-- {
			if carriable(vs[i].st) {
				from = i
			}
		}
		if from < 0 {
			return nil, "its DML " + last.st.Name + " is " + last.st.Phase + ": no offsets to carry over"
		}
		k := b.nextVersion(s.desired.DML, last.k)
		if k > maxVersion {
			return nil, "its DML is at version " + strconv.Itoa(maxVersion) + ", the last a name can hold"
		}
		c.into = DMLVersion(s.desired.DML, k)
	}
	c.from = vs[from].st.Name
	kept := 1 // from, once stopped
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		switch {
		case v.st.Name == c.from || v.st.Name == c.into:
		case i < from && v.st.Phase == PhaseStopped && kept < b.opts.KeepStopped:
			kept++
		default:
			c.deletes = append(c.deletes, v.st.Name)
		}
	}
	return c, ""
}

// nextVersion is the first version after last whose name no statement
// has: another table's DML can have it (t_v2's is t's version 2), and a
// create of that name would replace it.
func (b *builder) nextVersion(dml string, last int) int {
	k := last + 1
	for k <= maxVersion && b.live.statement(DMLVersion(dml, k)) != nil {
		k++
	}
	return k
}

// maxVersion is the highest version a DML name takes (four digits).
const maxVersion = 9999
