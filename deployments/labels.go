package deployments

import (
	"github.com/shiftleft/shiftleft/confluent"
	"github.com/shiftleft/shiftleft/planner"
)

// Labels shiftleft puts in metadata.labels of every statement it creates.
const (
	// LabelTable is the table the statement deploys, as a label value.
	LabelTable = "shiftleft.table"
	// LabelFingerprint is [FingerprintLabel] of the step's fingerprint: a
	// statement carrying the fingerprint a step wants needs no new create.
	LabelFingerprint = "shiftleft.fingerprint"
	// LabelCommit is the commit given with [WithCommit].
	LabelCommit = "shiftleft.commit"
	// LabelVersion is the physical version of the table (planner.Step's
	// Version) when it is above 1: the table is then planner.PhysicalName.
	LabelVersion = "shiftleft.version"
)

// PropertyOffsetsFrom is the statement property that makes a new statement
// start at the offsets of another once that one is stopped (carry-over).
const PropertyOffsetsFrom = "sql.tables.initial-offset-from"

const maxLabelValue = planner.MaxLabelValue

// fingerprintLength bounds the fingerprint label: a hex SHA-256 has 64
// characters, one too many, and 32 (128 bits) still never collide by chance.
const fingerprintLength = 32

// FingerprintLabel is the value of [LabelFingerprint] for a step's
// fingerprint: its first 32 characters, made label-safe like every value.
// [ReadLive] reports this form, so a live statement runs a step's SQL when
// its Fingerprint equals FingerprintLabel(step.Fingerprint).
func FingerprintLabel(fingerprint string) string {
	return labelValue(fingerprint, fingerprintLength)
}

var labelValue = planner.LabelValue

// statementLabels are the labels of a statement of table; empty values are
// left out (a drop helper has no fingerprint, a run may have no commit).
func statementLabels(table, fingerprint, commit string) map[string]string {
	labels := map[string]string{}
	for key, value := range map[string]string{
		LabelTable:       planner.TableLabel(table),
		LabelFingerprint: FingerprintLabel(fingerprint),
		LabelCommit:      labelValue(commit, maxLabelValue),
	} {
		if value != "" {
			labels[key] = value
		}
	}
	return labels
}

// labelsOf is the statement's labels; nil (which reads as empty) when it
// has no metadata.
func labelsOf(st *confluent.Statement) map[string]string {
	if st == nil || st.Metadata == nil {
		return nil
	}
	return st.Metadata.Labels
}
