package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Naming builds statement and compute pool names as shift_left does
// (shared/reference/shift-left-behaviour.md §4.2), so that statements a
// shift_left user already runs are recognised.
type Naming struct {
	// ClusterType is kafka.cluster_type: dev, stage, prod...
	ClusterType string
	// Region is confluent_cloud.region, abbreviated in names: us-west-2 -> usw2.
	Region string
}

// DefaultNaming is shift_left's default configuration: names start dev-usw2-.
var DefaultNaming = Naming{ClusterType: "dev", Region: "us-west-2"}

// regionAbbrev abbreviates a region in names: us-west-2 -> usw2.
var regionAbbrev = strings.NewReplacer("-", "", "east", "e", "west", "w", "south", "s", "north", "n", "central", "c")

// Prefix is <cluster type>-<region abbreviation>.
func (n Naming) Prefix() string {
	return n.ClusterType + "-" + regionAbbrev.Replace(n.Region)
}

// DDL names a table's DDL statement: <prefix>[-<product>]-ddl-<table-kebab>.
func (n Naming) DDL(table, product string) string { return n.statement("ddl", table, product) }

// DML names a table's DML statement: <prefix>[-<product>]-dml-<table-kebab>.
func (n Naming) DML(table, product string) string { return n.statement("dml", table, product) }

// Drop names the helper statement that drops a table: drop-<table-kebab>.
func (n Naming) Drop(table string) string { return fit("drop-" + kebab(table)) }

func (n Naming) statement(kind, table, product string) string {
	name := n.Prefix()
	if product != "" && product != "None" {
		name += "-" + kebab(product)
	}
	return fit(name + "-" + kind + "-" + kebab(table))
}

// MaxStatementName is the longest name Confluent Cloud gives a new
// statement, as its documentation says (the API's spec allows 100).
const MaxStatementName = 72

// nameHash is the length of the hash that ends a shortened name.
const nameHash = 8

// fit keeps a statement name within [MaxStatementName]: a longer one keeps
// its beginning and ends with a hash of the whole name, the same on every
// run, so a re-run finds the statements an earlier one made, and two long
// names alike in their first 63 characters stay apart.
func fit(name string) string {
	name = strings.Trim(name, "-")
	if len(name) <= MaxStatementName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:MaxStatementName-nameHash-1], "-") + "-" + hex.EncodeToString(sum[:])[:nameHash]
}

// Pool names the compute pool of a table: <cluster type>-<table-kebab>, with
// shift_left's abbreviations, at most 64 characters.
func (n Naming) Pool(table string) string {
	name := n.ClusterType + "-" + kebab(table)
	name = strings.NewReplacer("recordconfiguration", "reccfg", "recordexecution", "recexe").Replace(name)
	if len(name) > 64 {
		name = name[:64]
	}
	return strings.TrimRight(name, "-")
}

// ProductPool names the k-th compute pool (from 1) of a product's shared
// pools: <cluster type>-<product-kebab>, then -2, -3..., at most 64
// characters; tables without a product share <cluster type>-default.
func (n Naming) ProductPool(product string, k int) string {
	if product == "" || product == "None" {
		product = "default"
	}
	suffix := ""
	if k > 1 {
		suffix = "-" + strconv.Itoa(k)
	}
	name := n.ClusterType + "-" + kebab(product)
	if len(name)+len(suffix) > 64 {
		name = name[:64-len(suffix)]
	}
	return strings.TrimRight(name, "-") + suffix
}

// kebab turns a table name into a statement-name part: lower case, "_" and
// any other character a new statement's name refuses (the dot of a
// backticked topic name among them) become "-".
func kebab(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b)
}

// orDefault is n, or DefaultNaming when n is zero: every name a plan and
// the reads it rests on use comes from the same naming.
func (n Naming) orDefault() Naming {
	if n == (Naming{}) {
		return DefaultNaming
	}
	return n
}
