// Package opsapi is the operators' HTTP API of the service: list jobs, show
// one, replay one; read the reconciler's drift reports. Every call needs the bearer token given at start,
// compared in constant time; without a token the API is off.
package opsapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/jobs"
)

// Store is what the API needs of the job queue.
type Store interface {
	List(ctx context.Context, f jobs.Filter) ([]*jobs.Job, error)
	Get(ctx context.Context, id string) (*jobs.Job, error)
	Replay(ctx context.Context, id string, opts jobs.Options) (*jobs.Job, error)
	// DriftReports are the reconciler's latest reports (JSON), of repo or
	// of every repository when repo is "".
	DriftReports(ctx context.Context, repo string) ([][]byte, error)
}

// Handler serves /api/jobs.
type Handler struct {
	store Store
	token string
	log   *zap.Logger
	mux   *http.ServeMux
	// versions reads the target's table versions (WithVersions).
	versions VersionsReader
}

// New returns the API; an empty token turns it off (every call answers 503
// saying how to turn it on).
func New(store Store, token string, log *zap.Logger, opts ...Option) (*Handler, error) {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Handler{store: store, token: token, log: log.Named("opsapi"), mux: http.NewServeMux()}
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}
	h.mux.HandleFunc("GET /api/jobs", h.list)
	h.mux.HandleFunc("GET /api/jobs/{id}", h.get)
	h.mux.HandleFunc("POST /api/jobs/{id}/replay", h.replay)
	h.mux.HandleFunc("GET /api/drift", h.drift)
	h.mux.HandleFunc("GET /api/versions", h.listVersions)
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.token == "" {
		writeError(w, http.StatusServiceUnavailable, "the ops API is off: set SL_OPS_TOKEN")
		return
	}
	if subtle.ConstantTimeCompare([]byte(bearer(r)), []byte(h.token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shiftleft"`)
		writeError(w, http.StatusUnauthorized, "a valid bearer token is required")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// bearer is the token of an "Authorization: Bearer <token>" header, or "".
// The scheme is case-insensitive and may be followed by several spaces
// (RFC 7235, section 2.1).
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimLeft(token, " ")
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := jobs.Filter{Repo: q.Get("repo"), Kind: jobs.Kind(q.Get("kind")), Status: jobs.Status(q.Get("status")),
		Source: jobs.Source(q.Get("source")), Limit: 50}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit must be between 1 and 1000")
			return
		}
		f.Limit = n
	}
	list, err := h.store.List(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	if list == nil {
		list = []*jobs.Job{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": list})
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	j, err := h.store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	var opts jobs.Options
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&opts); err != nil {
			writeError(w, http.StatusBadRequest, "body must be {\"force\": bool, \"dml_only\": bool}: "+err.Error())
			return
		}
	}
	j, err := h.store.Replay(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("job replayed", zap.String("job_id", j.ID), zap.String("replay_of", j.ReplayOf))
	writeJSON(w, http.StatusAccepted, j)
}

// drift answers the reconciler's latest report of each repository and
// environment, as it stored them: {"reports": [...]}, empty until a pass ran.
func (h *Handler) drift(w http.ResponseWriter, r *http.Request) {
	reports, err := h.store.DriftReports(r.Context(), r.URL.Query().Get("repo"))
	if err != nil {
		h.fail(w, err)
		return
	}
	out := make([]json.RawMessage, 0, len(reports))
	for _, rep := range reports {
		if json.Valid(rep) {
			out = append(out, rep)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"reports": out})
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, jobs.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, jobs.ErrJobActive):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, jobs.ErrInvalidArgument):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		h.log.Error("ops API", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "the job store is unavailable")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, reason string) {
	writeJSON(w, status, map[string]string{"status": "error", "reason": reason})
}
