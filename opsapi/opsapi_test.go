package opsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/opsapi"
	"github.com/shiftleft/shiftleft/planner"
)

func TestOpsAPI(t *testing.T) {
	srv, err := jobs.StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := context.Background()
	q, err := jobs.NewQueue(ctx, nc)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(delivery string) *jobs.Job {
		j := &jobs.Job{Version: jobs.Version, Kind: jobs.KindDeploy, Status: jobs.StatusQueued, Repo: "acme/flink",
			CloneURL: "/tmp/x", Ref: "refs/heads/main", After: strings.Repeat("a", 40), DeliveryID: delivery, CreatedAt: time.Now().UTC()}
		if err := q.Publish(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	done := publish("d-1")
	rec, err := q.Get(ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status = jobs.StatusSucceeded
	if err := q.Update(ctx, rec); err != nil {
		t.Fatal(err)
	}
	active := publish("d-2")

	if err := q.PutDrift(ctx, "acme/flink", "env-1", []byte(`{"repo":"acme/flink","environment":"env-1","counts":{"failed":1}}`)); err != nil {
		t.Fatal(err)
	}
	if err := q.PutDrift(ctx, "acme/other", "env-1", []byte(`{"repo":"acme/other","environment":"env-1"}`)); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(mustNew(t, q, "ops-token"))
	t.Cleanup(api.Close)
	off := httptest.NewServer(mustNew(t, q, ""))
	t.Cleanup(off.Close)
	noTarget, err := opsapi.New(q, "ops-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	bare := httptest.NewServer(noTarget)
	t.Cleanup(bare.Close)

	tests := []struct {
		name, method, url, auth, body string
		want                          int
		has                           string
	}{
		{"off without a token", "GET", off.URL + "/api/jobs", "Bearer ops-token", "", 503, "SL_OPS_TOKEN"},
		{"no token", "GET", api.URL + "/api/jobs", "", "", 401, "bearer token"},
		{"wrong token", "GET", api.URL + "/api/jobs", "Bearer ops-tokeN", "", 401, "bearer token"},
		{"another scheme", "GET", api.URL + "/api/jobs", "Basic ops-token", "", 401, "bearer token"},
		{"no space after the scheme", "GET", api.URL + "/api/jobs", "Bearerops-token", "", 401, "bearer token"},
		{"the scheme alone", "GET", api.URL + "/api/jobs", "Bearer", "", 401, "bearer token"},
		{"the scheme in lower case (RFC 7235: case-insensitive)", "GET", api.URL + "/api/jobs", "bearer ops-token", "", 200, done.ID},
		{"the scheme in upper case, two spaces", "GET", api.URL + "/api/jobs", "BEARER  ops-token", "", 200, done.ID},
		{"list", "GET", api.URL + "/api/jobs?repo=acme/flink", "Bearer ops-token", "", 200, done.ID},
		{"list by status", "GET", api.URL + "/api/jobs?status=succeeded", "Bearer ops-token", "", 200, `"status":"succeeded"`},
		{"bad limit", "GET", api.URL + "/api/jobs?limit=0", "Bearer ops-token", "", 400, "limit"},
		{"show", "GET", api.URL + "/api/jobs/" + done.ID, "Bearer ops-token", "", 200, `"delivery_id":"d-1"`},
		{"show unknown", "GET", api.URL + "/api/jobs/01J0000000000000000000000X", "Bearer ops-token", "", 404, "not found"},
		{"replay", "POST", api.URL + "/api/jobs/" + done.ID + "/replay", "Bearer ops-token", `{"force": true}`, 202, `"replay_of":"` + done.ID},
		{"replay of an active job", "POST", api.URL + "/api/jobs/" + active.ID + "/replay", "Bearer ops-token", "", 409, "still queued"},
		{"drift of every repository", "GET", api.URL + "/api/drift", "Bearer ops-token", "", 200, `"repo":"acme/other"`},
		{"drift of one", "GET", api.URL + "/api/drift?repo=acme/flink", "Bearer ops-token", "", 200, `{"reports":[{"repo":"acme/flink","environment":"env-1","counts":{"failed":1}}]}`},
		{"drift of a repository without a report", "GET", api.URL + "/api/drift?repo=acme/none", "Bearer ops-token", "", 200, `{"reports":[]}`},
		{"drift without the token", "GET", api.URL + "/api/drift", "", "", 401, "bearer token"},
		{"versions of every table", "GET", api.URL + "/api/versions", "Bearer ops-token", "", 200, `"live":{"version":2,"physical":"agg_v2","statements":{"ddl-agg-v2":"COMPLETED"}},"old":[{"version":1,"physical":"agg"`},
		{"versions of one table", "GET", api.URL + "/api/versions?table=src", "Bearer ops-token", "", 200, `{"tables":[{"table":"src","live":{"version":1,"physical":"src","statements":{"dml-src":"RUNNING"}}}]}`},
		{"versions of an unknown table", "GET", api.URL + "/api/versions?table=nope", "Bearer ops-token", "", 200, `{"tables":[]}`},
		{"versions without a target", "GET", bare.URL + "/api/versions", "Bearer ops-token", "", 503, "no deployment target"},
		{"versions without the token", "GET", api.URL + "/api/versions", "", "", 401, "bearer token"},
		{"replay with a bad body", "POST", api.URL + "/api/jobs/" + done.ID + "/replay", "Bearer ops-token", `{"force": "yes"}`, 400, "force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body json.RawMessage
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != tt.want || !strings.Contains(string(body), tt.has) {
				t.Errorf("%d %s, want %d with %q", res.StatusCode, body, tt.want, tt.has)
			}
		})
	}
}

// mustNew is the API over q with a versions reader of a fixed environment:
// agg at version 2 beside its version 1, src at 1.
func mustNew(t *testing.T, q opsapi.Store, token string) *opsapi.Handler {
	t.Helper()
	live := planner.Live{Statements: map[string]planner.Statement{
		"dml-src":    {Name: "dml-src", Phase: planner.PhaseRunning, Table: "src"},
		"ddl-agg":    {Name: "ddl-agg", Phase: planner.PhaseCompleted, Table: "agg"},
		"ddl-agg-v2": {Name: "ddl-agg-v2", Phase: planner.PhaseCompleted, Table: "agg", Version: 2},
	}}
	h, err := opsapi.New(q, token, nil, opsapi.WithVersions(func(_ context.Context, tables ...string) ([]planner.TableVersions, error) {
		return planner.Versions(live, tables...), nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOptions(t *testing.T) {
	if _, err := opsapi.New(nil, "t", nil, opsapi.WithVersions(nil)); !errors.Is(err, opsapi.ErrInvalidOption) {
		t.Errorf("WithVersions(nil): %v, want ErrInvalidOption", err)
	}
}
