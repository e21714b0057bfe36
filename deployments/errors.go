package deployments

import "errors"

var (
	// ErrInvalidOption: an [Option] given to [NewRunner] has a bad value, a
	// required collaborator is nil, or the plan needs an option that was not
	// given (a compute pool to create without [WithPoolLocation]).
	ErrInvalidOption = errors.New("deployments: invalid option")
	// ErrInvalidPlan: [Runner.Run] refused the plan before doing anything: a
	// table twice, an After naming a table the plan lacks, a dependency
	// cycle, or a step it cannot run.
	ErrInvalidPlan = errors.New("deployments: invalid plan")
	// ErrStepTimeout: a step (or the wait for a new compute pool) took
	// longer than its timeout (see [WithStepTimeouts]); the action failed.
	ErrStepTimeout = errors.New("step timed out")
	// ErrNotVerified: [Runner.Run] ran the plan but could not read what runs
	// afterwards, so whether the tables converged is unknown; the Result
	// says what each action did. A re-run plans what is left.
	ErrNotVerified = errors.New("deployments: live state not read back after the run")
	// ErrCannotStop: a statement whose offsets a new one carries over ended
	// without being stopped (FAILED, COMPLETED): it has none to hand over.
	ErrCannotStop = errors.New("statement cannot be stopped")
)
