package opsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/planner"
)

// ErrInvalidOption: an [Option] given to [New] has a bad value.
var ErrInvalidOption = errors.New("opsapi: invalid option")

// Option configures the API.
type Option func(*Handler) error

// VersionsReader reads the physical versions of tables (all when none is
// given) from what runs on the deployment target.
type VersionsReader func(ctx context.Context, tables ...string) ([]planner.TableVersions, error)

// WithVersions serves GET /api/versions[?table=T]: each logical table's
// live and old physical versions, as `shiftleft pipeline versions` lists
// them.
func WithVersions(read VersionsReader) Option {
	return func(h *Handler) error {
		if read == nil {
			return fmt.Errorf("%w: WithVersions(nil)", ErrInvalidOption)
		}
		h.versions = read
		return nil
	}
}

// listVersions answers {"tables": [...]}; without a target to read, 503.
func (h *Handler) listVersions(w http.ResponseWriter, r *http.Request) {
	if h.versions == nil {
		writeError(w, http.StatusServiceUnavailable, "this process has no deployment target to read versions from")
		return
	}
	var tables []string
	if t := r.URL.Query().Get("table"); t != "" {
		tables = append(tables, t)
	}
	vs, err := h.versions(r.Context(), tables...)
	if err != nil {
		h.log.Warn("versions", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "cannot read what runs on the target: "+err.Error())
		return
	}
	if vs == nil {
		vs = []planner.TableVersions{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": vs})
}
