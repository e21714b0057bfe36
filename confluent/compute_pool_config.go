package confluent

import (
	"fmt"
	"regexp"
)

// ComputePoolRequest is what [Client.CreateComputePool] sends; the pool
// belongs to the client's environment.
type ComputePoolRequest struct {
	// DisplayName: a letter, digit or '-', then up to 63 letters, digits,
	// '_', '.' or '-'.
	DisplayName string
	// Cloud is AWS, GCP or AZURE.
	Cloud string
	// Region is the provider's region, e.g. us-east-1.
	Region string
	// MaxCFU is 5, 10, 20, 30, 40 or 50 today; the server checks, as the
	// spec calls the list extensible.
	MaxCFU int
}

// poolDisplayName is the spec's display_name pattern.
var poolDisplayName = regexp.MustCompile(`^(?:[0-9A-Za-z\-])[\w\.-]{0,63}$`)

func (r ComputePoolRequest) validate() error {
	switch {
	case !poolDisplayName.MatchString(r.DisplayName):
		return fmt.Errorf("%w: compute pool display name %q", ErrInvalidRequest, r.DisplayName)
	case r.Cloud == "" || r.Region == "":
		return fmt.Errorf("%w: compute pool %s: cloud and region are required", ErrInvalidRequest, r.DisplayName)
	case r.MaxCFU <= 0:
		return fmt.Errorf("%w: compute pool %s: max CFU %d", ErrInvalidRequest, r.DisplayName, r.MaxCFU)
	}
	return nil
}
