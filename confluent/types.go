package confluent

import "time"

// The wire types of Confluent Cloud for Flink, field names exactly as the
// OpenAPI specs (shared/reference/openapi: flink-gateway-v1.yaml for
// statements, fcpm-v2.yaml for compute pools). Both the client and the
// emulator use them. Optional fields are omitted when empty, so requests carry
// no read-only field the server would refuse.

// Statement API versions and kinds.
const (
	StatementAPIVersion = "sql/v1"
	ComputePoolVersion  = "fcpm/v2"
)

// Statement phases. The spec declares an extensible enum: a phase not listed
// here is kept as is, never rejected.
type Phase string

const (
	PhasePending   Phase = "PENDING"
	PhaseRunning   Phase = "RUNNING"
	PhaseCompleted Phase = "COMPLETED"
	PhaseDeleting  Phase = "DELETING"
	PhaseFailing   Phase = "FAILING"
	PhaseFailed    Phase = "FAILED"
	PhaseStopping  Phase = "STOPPING"
	PhaseStopped   Phase = "STOPPED"
	PhaseDegraded  Phase = "DEGRADED"
)

// Failed reports whether the phase is FAILED or FAILING.
func (p Phase) Failed() bool { return p == PhaseFailed || p == PhaseFailing }

// Running reports whether the statement runs: RUNNING or DEGRADED.
func (p Phase) Running() bool { return p == PhaseRunning || p == PhaseDegraded }

// Terminal reports whether the phase will not change by itself.
func (p Phase) Terminal() bool {
	return p == PhaseCompleted || p == PhaseFailed || p == PhaseStopped
}

// Statement is sql.v1.Statement.
type Statement struct {
	APIVersion     string             `json:"api_version,omitempty"`
	Kind           string             `json:"kind,omitempty"`
	Metadata       *StatementMetadata `json:"metadata,omitempty"`
	Name           string             `json:"name"`
	OrganizationID string             `json:"organization_id,omitempty"`
	EnvironmentID  string             `json:"environment_id,omitempty"`
	Spec           StatementSpec      `json:"spec"`
	Status         *StatementStatus   `json:"status,omitempty"`
}

// StatementMetadata is StatementObjectMeta.
type StatementMetadata struct {
	Self            string            `json:"self"`
	CreatedAt       *time.Time        `json:"created_at,omitempty"`
	UpdatedAt       *time.Time        `json:"updated_at,omitempty"`
	UID             string            `json:"uid,omitempty"`
	ResourceVersion string            `json:"resource_version,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
}

// StatementSpec is sql.v1.StatementSpec. StatementName is not in the
// schema's properties but the create response requires it (the spec wins
// over the notes); it echoes the statement's name.
type StatementSpec struct {
	Statement     string            `json:"statement,omitempty"`
	StatementName string            `json:"statement_name,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
	ComputePoolID string            `json:"compute_pool_id,omitempty"`
	Principal     string            `json:"principal,omitempty"`
	Stopped       *bool             `json:"stopped,omitempty"`
	ExecutionMode string            `json:"execution_mode,omitempty"`
}

// StatementStatus is sql.v1.StatementStatus.
type StatementStatus struct {
	Phase         Phase             `json:"phase"`
	Detail        string            `json:"detail,omitempty"`
	Traits        *StatementTraits  `json:"traits,omitempty"`
	ScalingStatus *ScalingStatus    `json:"scaling_status,omitempty"`
	NetworkKind   string            `json:"network_kind,omitempty"`
	LatestOffsets map[string]string `json:"latest_offsets,omitempty"`
	// LatestOffsetsTimestamp and EndTime are set when the statement stops or ends.
	LatestOffsetsTimestamp *time.Time `json:"latest_offsets_timestamp,omitempty"`
	EndTime                *time.Time `json:"end_time,omitempty"`
}

// StatementTraits is sql.v1.StatementTraits: what the server found the
// statement to be once it parsed it. Confluent sends them in every phase but
// FAILED. UpsertColumns are the indexes of the result's upsert key columns;
// it is sent even when empty, as the server does, so set it when encoding.
type StatementTraits struct {
	SQLKind       string        `json:"sql_kind,omitempty"`
	IsBounded     *bool         `json:"is_bounded,omitempty"`
	IsAppendOnly  *bool         `json:"is_append_only,omitempty"`
	UpsertColumns []int         `json:"upsert_columns"`
	Schema        *ResultSchema `json:"schema,omitempty"`
}

// ResultSchema is sql.v1.ResultSchema: the columns of a statement's result.
type ResultSchema struct {
	Columns []ColumnDetails `json:"columns"`
}

// ColumnDetails is one column of a [ResultSchema].
type ColumnDetails struct {
	Name string   `json:"name"`
	Type DataType `json:"type"`
}

// DataType is a column's type, in Flink's TableSchema JSON.
type DataType struct {
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
	Length   int    `json:"length,omitempty"`
}

// ScalingStatus is sql.v1.ScalingStatus; ScalingState is OK,
// PENDING_SCALE_DOWN, PENDING_SCALE_UP or POOL_EXHAUSTED.
type ScalingStatus struct {
	ScalingState string     `json:"scaling_state,omitempty"`
	LastUpdated  *time.Time `json:"last_updated,omitempty"`
}

// StatementList is sql.v1.StatementList.
type StatementList struct {
	APIVersion string      `json:"api_version"`
	Kind       string      `json:"kind"`
	Metadata   ListMeta    `json:"metadata"`
	Data       []Statement `json:"data"`
}

// ListMeta holds the list's own URL and the next page's, empty on the last page.
type ListMeta struct {
	Self string `json:"self,omitempty"`
	Next string `json:"next,omitempty"`
}

// StatementException is sql.v1.StatementException.
type StatementException struct {
	Kind      string     `json:"kind,omitempty"`
	Name      string     `json:"name,omitempty"`
	Message   string     `json:"message,omitempty"`
	Timestamp *time.Time `json:"timestamp,omitempty"`
}

// StatementExceptionList is sql.v1.StatementExceptionList: the ten newest
// exceptions, newest first.
type StatementExceptionList struct {
	APIVersion string               `json:"api_version"`
	Kind       string               `json:"kind"`
	Metadata   ListMeta             `json:"metadata"`
	Data       []StatementException `json:"data"`
}

// PatchOp is one RFC 6902 operation of a statement PATCH.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// ComputePool is fcpm.v2.ComputePool.
type ComputePool struct {
	APIVersion string             `json:"api_version,omitempty"`
	Kind       string             `json:"kind,omitempty"`
	ID         string             `json:"id,omitempty"`
	Metadata   *PoolMetadata      `json:"metadata,omitempty"`
	Spec       ComputePoolSpec    `json:"spec"`
	Status     *ComputePoolStatus `json:"status,omitempty"`
}

// PoolMetadata is ObjectMeta of the fcpm API.
type PoolMetadata struct {
	Self         string     `json:"self"`
	ResourceName string     `json:"resource_name,omitempty"`
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// ComputePoolSpec is fcpm.v2.ComputePoolSpec; Cloud is AWS, GCP or AZURE and
// MaxCFU one of 5, 10, 20, 30, 40, 50.
type ComputePoolSpec struct {
	DisplayName string           `json:"display_name,omitempty"`
	Cloud       string           `json:"cloud,omitempty"`
	Region      string           `json:"region,omitempty"`
	MaxCFU      int              `json:"max_cfu,omitempty"`
	DefaultPool *bool            `json:"default_pool,omitempty"`
	Environment *ObjectReference `json:"environment,omitempty"`
}

// ObjectReference is GlobalObjectReference; Related and ResourceName are
// read-only, set by the server.
type ObjectReference struct {
	ID           string `json:"id"`
	Related      string `json:"related,omitempty"`
	ResourceName string `json:"resource_name,omitempty"`
}

// Compute pool phases.
const (
	PoolProvisioning   = "PROVISIONING"
	PoolProvisioned    = "PROVISIONED"
	PoolFailed         = "FAILED"
	PoolDeprovisioning = "DEPROVISIONING"
)

// ComputePoolStatus is fcpm.v2.ComputePoolStatus.
type ComputePoolStatus struct {
	Phase      string `json:"phase"`
	CurrentCFU int    `json:"current_cfu"`
}

// ComputePoolList is fcpm.v2.ComputePoolList.
type ComputePoolList struct {
	APIVersion string        `json:"api_version"`
	Kind       string        `json:"kind"`
	Metadata   ListMeta      `json:"metadata"`
	Data       []ComputePool `json:"data"`
}

// Failure is the error body of both APIs.
type Failure struct {
	Errors []ErrorObject `json:"errors"`
}

// ErrorObject is one error of a Failure; Status is the HTTP code as a string.
type ErrorObject struct {
	ID     string       `json:"id,omitempty"`
	Status string       `json:"status,omitempty"`
	Code   string       `json:"code,omitempty"`
	Title  string       `json:"title,omitempty"`
	Detail string       `json:"detail,omitempty"`
	Source *ErrorSource `json:"source,omitempty"`
}

// ErrorSource points at the part of the request an error is about.
type ErrorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}
