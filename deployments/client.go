package deployments

import (
	"context"

	"github.com/shiftleft/shiftleft/confluent"
)

// Client is the part of the Confluent client a deployment uses;
// *confluent.Client satisfies it, and tests may wrap one.
type Client interface {
	CreateStatement(ctx context.Context, r confluent.StatementRequest) (*confluent.Statement, error)
	GetStatement(ctx context.Context, name string) (*confluent.Statement, error)
	ListStatements(ctx context.Context, o confluent.ListOptions) ([]confluent.Statement, error)
	DeleteStatement(ctx context.Context, name string) error
	StopStatement(ctx context.Context, name string) error
	WaitForPhase(ctx context.Context, name string, want ...confluent.Phase) (*confluent.Statement, error)
	WaitForDeletion(ctx context.Context, name string) error
	CreateComputePool(ctx context.Context, r confluent.ComputePoolRequest) (*confluent.ComputePool, error)
	GetComputePool(ctx context.Context, id string) (*confluent.ComputePool, error)
	ListComputePools(ctx context.Context) ([]confluent.ComputePool, error)
	// ValidateStatement is a dry run: see [Validate].
	ValidateStatement(ctx context.Context, r confluent.StatementRequest) error
}

var _ Client = (*confluent.Client)(nil)
