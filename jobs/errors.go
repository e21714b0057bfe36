package jobs

import (
	"errors"
	"fmt"
)

// Sentinels, matched with errors.Is.
var (
	// ErrInvalidJob: a job record that cannot be run (missing fields, unknown
	// kind, newer version). Publish refuses it; workers terminate such
	// messages instead of retrying, and a handler returns an error wrapping it
	// for a job that can never succeed.
	ErrInvalidJob = errors.New("jobs: invalid job")
	// ErrInvalidOption: an option given to a constructor has a bad value.
	ErrInvalidOption = errors.New("jobs: invalid option")
	// ErrInvalidArgument: a call's argument is unusable (empty repo, a lock
	// TTL under a second, no concurrency); nothing was sent.
	ErrInvalidArgument = errors.New("jobs: invalid argument")
	// ErrNotFound: no job record has that id.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrDuplicate: Publish was given a delivery id already queued, or the
	// commit of a deploy job that is queued or running; the error is a
	// [*DuplicateError] naming the existing job.
	ErrDuplicate = errors.New("jobs: duplicate delivery")
	// ErrConflict: Update lost a compare-and-set: the record changed since it
	// was read (another worker took the job over), or the job was not read
	// from the queue.
	ErrConflict = errors.New("jobs: job record changed since it was read")
	// ErrJobActive: Replay of a job that is still queued or running.
	ErrJobActive = errors.New("jobs: job is still queued or running")
	// ErrLocked: Lock found the key held by someone else.
	ErrLocked = errors.New("jobs: locked")
	// ErrLockLost: Refresh or Release of a lock that expired, and possibly
	// was taken by someone else since.
	ErrLockLost = errors.New("jobs: lock lost")
)

// DuplicateError is Publish's answer to a delivery id it has seen, or to a
// commit with an active deploy job: nothing is queued twice and JobID names
// the job created the first time.
type DuplicateError struct {
	DeliveryID string
	JobID      string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("jobs: delivery %s is already job %s", e.DeliveryID, e.JobID)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

func invalidOption(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

func invalidArgument(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}
