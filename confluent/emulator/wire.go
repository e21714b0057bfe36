package emulator

import "github.com/shiftleft/shiftleft/confluent"

// Wire types the emulator answers that package confluent does not define
// (yet): the client reads neither results nor regions today. Field names are
// the specs'.

// statementResult is sql.v1.StatementResult. The schema requires a
// top-level "data" it never declares (the rows live in results.data); the
// spec wins, so both are sent, the same empty list.
type statementResult struct {
	APIVersion string             `json:"api_version"`
	Kind       string             `json:"kind"`
	Metadata   confluent.ListMeta `json:"metadata"`
	Data       []any              `json:"data"`
	Results    resultData         `json:"results"`
}

// resultData holds the rows: {"op": 0, "row": [...]} each.
type resultData struct {
	Data []any `json:"data"`
}

// region is fcpm.v2.Region.
type region struct {
	APIVersion          string                  `json:"api_version"`
	Kind                string                  `json:"kind"`
	ID                  string                  `json:"id"`
	Metadata            *confluent.PoolMetadata `json:"metadata"`
	DisplayName         string                  `json:"display_name"`
	Cloud               string                  `json:"cloud"`
	RegionName          string                  `json:"region_name"`
	HTTPEndpoint        string                  `json:"http_endpoint"`
	PrivateHTTPEndpoint string                  `json:"private_http_endpoint,omitempty"`
}

// regionList is fcpm.v2.RegionList.
type regionList struct {
	APIVersion string             `json:"api_version"`
	Kind       string             `json:"kind"`
	Metadata   confluent.ListMeta `json:"metadata"`
	Data       []region           `json:"data"`
}

// statementList is sql.v1.StatementList as Confluent sends it: the last
// page has "next": "" (the confluent-sql driver reads the key).
type statementList struct {
	APIVersion string                `json:"api_version"`
	Kind       string                `json:"kind"`
	Metadata   listMeta              `json:"metadata"`
	Data       []confluent.Statement `json:"data"`
}

type listMeta struct {
	Self string `json:"self"`
	Next string `json:"next"`
}
