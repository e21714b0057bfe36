package webhook

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidConfig: [New] got a [Config] it cannot serve with (no secret,
	// no allowed repository, a malformed repository name...).
	ErrInvalidConfig = errors.New("webhook: invalid config")
	// ErrInvalidOption: an [Option] given to [New] has a bad value.
	ErrInvalidOption = errors.New("webhook: invalid option")
)

func invalidConfig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
