package githubstatus

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinels, matched with errors.Is.
var (
	// ErrInvalidOption: an [Option] given to [New] has a bad value.
	ErrInvalidOption = errors.New("githubstatus: invalid option")
	// ErrInvalidRequest: a [Status] or [Comment] breaks GitHub's rules
	// (repository name, SHA, state, URL, pull request number); nothing was
	// sent.
	ErrInvalidRequest = errors.New("githubstatus: invalid request")
	// ErrRateLimited: GitHub rate-limited the request and waiting would
	// exceed [RetryPolicy.MaxWait], the context's deadline or the attempts;
	// [APIError.RetryAt] says when to try again.
	ErrRateLimited = errors.New("githubstatus: rate limited")
	// ErrNotFound: 404, the repository, commit or pull request does not
	// exist, or the token cannot see it (GitHub answers 404, not 403, for a
	// private repository).
	ErrNotFound = errors.New("githubstatus: not found")
)

// APIError is an error answer of the GitHub API, after the retries.
type APIError struct {
	StatusCode int
	Method     string
	Path       string
	// Message is GitHub's message, with the token removed should it be
	// quoted.
	Message string
	// RetryAt is set when GitHub rate-limited the request: the earliest time
	// it accepts another.
	RetryAt time.Time
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("github: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if !e.RetryAt.IsZero() {
		msg += " (rate limited until " + e.RetryAt.UTC().Format(time.RFC3339) + ")"
	}
	return msg
}

// Is matches [ErrRateLimited] and [ErrNotFound].
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrRateLimited:
		return !e.RetryAt.IsZero()
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	}
	return false
}
