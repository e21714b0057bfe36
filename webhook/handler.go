package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/shiftleft/shiftleft/internal/credurl"
	"github.com/shiftleft/shiftleft/jobs"
)

const (
	// publishTimeout keeps a stuck queue from outlasting GitHub, which gives
	// up on a delivery after 10 s: the 503 must reach it first.
	publishTimeout = 8 * time.Second
	// retryAfter (seconds) goes with every 503, for a proxy or a script
	// that redelivers failed deliveries.
	retryAfter = "30"
)

// Publisher queues jobs durably. The webhook depends on this one method
// only; the wiring adapts the JetStream queue of package jobs to it (that
// queue reports a duplicate as an error naming the first job).
type Publisher interface {
	// Publish returns once the queue has acknowledged the job, with the id
	// the job has there (the handler leaves j.ID empty). When the queue
	// already holds a job for j.DeliveryID, Publish queues nothing and
	// returns that job's id with duplicate true. An error means the job may
	// not be queued: the handler answers 503, which GitHub shows as a failed
	// delivery to redeliver by hand (GitHub itself does not retry; the
	// service's reconciler finds the push's commit on its next pass).
	Publish(ctx context.Context, j *jobs.Job) (jobID string, duplicate bool, err error)
}

// outcome is how a delivery ended: a label of shiftleft_webhooks_total, and
// through answers the HTTP status.
type outcome string

const (
	outcomeQueued       outcome = "queued"
	outcomeDuplicate    outcome = "duplicate"
	outcomeIgnored      outcome = "ignored"
	outcomePong         outcome = "pong"
	outcomeRefused      outcome = "refused"
	outcomeUnauthorized outcome = "unauthorized"
	outcomeBadRequest   outcome = "bad_request"
	outcomeTooLarge     outcome = "too_large"
	outcomeUnsupported  outcome = "unsupported_media_type"
	outcomeUnavailable  outcome = "unavailable"
)

// answers gives each outcome its status code, the "status" of the JSON body,
// and the level it is logged at.
var answers = map[outcome]struct {
	code   int
	status string
	level  zapcore.Level
}{
	outcomeQueued:       {http.StatusAccepted, "queued", zap.InfoLevel},
	outcomeDuplicate:    {http.StatusOK, "duplicate", zap.InfoLevel},
	outcomeIgnored:      {http.StatusAccepted, "ignored", zap.DebugLevel},
	outcomePong:         {http.StatusOK, "pong", zap.InfoLevel},
	outcomeRefused:      {http.StatusForbidden, "refused", zap.WarnLevel},
	outcomeUnauthorized: {http.StatusUnauthorized, "error", zap.WarnLevel},
	outcomeBadRequest:   {http.StatusBadRequest, "error", zap.WarnLevel},
	outcomeTooLarge:     {http.StatusRequestEntityTooLarge, "error", zap.WarnLevel},
	outcomeUnsupported:  {http.StatusUnsupportedMediaType, "error", zap.WarnLevel},
	outcomeUnavailable:  {http.StatusServiceUnavailable, "error", zap.ErrorLevel},
}

// rejection is a delivery answered without a job; verify and parse return
// one so that the handler, not they, decides what to send.
type rejection struct {
	outcome outcome
	reason  string
}

func reject(o outcome, format string, args ...any) *rejection {
	return &rejection{outcome: o, reason: fmt.Sprintf(format, args...)}
}

// reply is the answer to one delivery and what is logged about it.
type reply struct {
	outcome outcome
	reason  string
	repo    string
	jobID   string
	job     *jobs.Job
	err     error // why a job was not queued; logged, never sent
}

// response is every JSON body the handler sends.
type response struct {
	Status string `json:"status"`
	JobID  string `json:"job_id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Handler serves POST /webhooks/github, GET /healthz, GET /readyz and
// GET /metrics.
type Handler struct {
	s        settings
	parser   parser
	pub      Publisher
	webhooks *prometheus.CounterVec
	mux      *http.ServeMux
}

// New returns a Handler publishing to pub. It fails with [ErrInvalidConfig]
// on a config it cannot serve with (an empty secret above all), and with
// [ErrInvalidOption] on a bad option.
func New(cfg Config, pub Publisher, opts ...Option) (*Handler, error) {
	s, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, invalidConfig("a publisher is required")
	}
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	h := &Handler{
		s:        s,
		parser:   parser{deployRef: s.deployRef},
		pub:      pub,
		webhooks: newWebhookCounter(s.reg),
		mux:      http.NewServeMux(),
	}
	h.mux.HandleFunc("POST /webhooks/github", h.receive)
	probes(h.mux, s.reg, o.ready)
	return h, nil
}

// Probes serves GET /healthz, GET /readyz (ready while ready returns nil;
// nil: always) and GET /metrics (reg): what a process without the webhook,
// a worker, offers its orchestrator and Prometheus.
func Probes(reg *prometheus.Registry, ready func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	probes(mux, reg, ready)
	return mux
}

func probes(mux *http.ServeMux, reg *prometheus.Registry, ready func(context.Context) error) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, response{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			if err := ready(r.Context()); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, response{Status: "unready", Reason: err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, response{Status: "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

// ServeHTTP routes to the endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	event := github.WebHookType(r)
	rep := h.handle(w, r, event)
	label := "other"
	if handledEvents[event] {
		label = event
	}
	h.webhooks.WithLabelValues(label, string(rep.outcome)).Inc()
	h.log(r, event, rep)
	if rep.outcome == outcomeUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	a := answers[rep.outcome]
	writeJSON(w, a.code, response{Status: a.status, JobID: rep.jobID, Reason: rep.reason})
}

// handle verifies, parses and publishes one delivery.
func (h *Handler) handle(w http.ResponseWriter, r *http.Request, event string) reply {
	payload, rej := verify(w, r, h.s.secret, h.s.maxBody)
	if rej != nil {
		return reply{outcome: rej.outcome, reason: rej.reason}
	}
	delivery := github.DeliveryID(r)
	switch {
	case delivery == "":
		return reply{outcome: outcomeBadRequest, reason: "missing X-GitHub-Delivery header"}
	case event == "":
		return reply{outcome: outcomeBadRequest, reason: "missing X-GitHub-Event header"}
	}
	d, rej := h.parser.parse(event, payload)
	if rej != nil {
		return reply{outcome: rej.outcome, reason: rej.reason}
	}
	cloneURL, allowed := h.s.allowed[strings.ToLower(d.repo)]
	switch {
	case d.repo != "" && !allowed:
		return reply{outcome: outcomeRefused, reason: fmt.Sprintf("repository %s is not allowed", d.repo), repo: d.repo}
	case d.outcome != outcomeQueued:
		return reply{outcome: d.outcome, reason: d.reason, repo: d.repo}
	}
	j := d.job
	j.Version = jobs.Version
	j.Status = jobs.StatusQueued
	j.DeliveryID = delivery
	j.CreatedAt = time.Now().UTC()
	if cloneURL != "" {
		j.CloneURL = cloneURL
	}
	// An event's URL never carries credentials from GitHub; one that does
	// loses them, as a configured one did (see Config.CloneURLs).
	clean, _, err := credurl.Split(j.CloneURL)
	if err != nil {
		return reply{outcome: outcomeBadRequest, reason: "repository.clone_url does not parse", repo: d.repo}
	}
	j.CloneURL = clean
	return h.publish(r.Context(), j)
}

func (h *Handler) publish(ctx context.Context, j *jobs.Job) reply {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	id, duplicate, err := h.pub.Publish(ctx, j)
	rep := reply{outcome: outcomeQueued, repo: j.Repo, jobID: id, job: j}
	switch {
	case err != nil:
		return reply{outcome: outcomeUnavailable, reason: "the job could not be queued; deliver again later", repo: j.Repo, job: j, err: err}
	case duplicate:
		rep.outcome = outcomeDuplicate
	}
	return rep
}

// log writes one line per delivery. Headers are picked one by one: the
// signature header never reaches a log.
func (h *Handler) log(r *http.Request, event string, rep reply) {
	a := answers[rep.outcome]
	ce := h.s.log.Check(a.level, "webhook "+string(rep.outcome))
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("delivery", github.DeliveryID(r)),
		zap.String("event", event),
		zap.Int("status", a.code),
	}
	if rep.repo != "" {
		fields = append(fields, zap.String("repo", rep.repo))
	}
	if rep.reason != "" {
		fields = append(fields, zap.String("reason", rep.reason))
	}
	if rep.jobID != "" {
		fields = append(fields, zap.String("job_id", rep.jobID))
	}
	if j := rep.job; j != nil {
		fields = append(fields, zap.String("kind", string(j.Kind)), zap.String("ref", j.Ref), zap.String("sha", j.After))
	}
	if rep.err != nil {
		fields = append(fields, zap.Error(rep.err))
	}
	if a.level >= zap.WarnLevel {
		fields = append(fields, zap.String("remote", r.RemoteAddr))
	}
	ce.Write(fields...)
}

func writeJSON(w http.ResponseWriter, code int, body response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	// The status is sent; a failed write means the client left.
	_ = json.NewEncoder(w).Encode(body)
}
