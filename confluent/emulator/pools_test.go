package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shiftleft/shiftleft/confluent"
)

const pools = "/fcpm/v2/compute-pools"

// poolBody is a create request for a pool of the test environment.
func poolBody(name string, maxCFU int) confluent.ComputePool {
	return confluent.ComputePool{Spec: confluent.ComputePoolSpec{DisplayName: name, Cloud: "AWS", Region: "us-east-1",
		MaxCFU: maxCFU, Environment: &confluent.ObjectReference{ID: testEnv}}}
}

func TestPoolRoutes(t *testing.T) {
	h := start(t)
	res := h.do("POST", pools, poolBody("prod-pool", 10))
	var p confluent.ComputePool
	res.want(t, http.StatusAccepted, &p)
	if !strings.HasPrefix(p.ID, "lfcp-") || p.Status.Phase != confluent.PoolProvisioning ||
		res.header.Get("Location") != h.srv.URL+pools+"/"+p.ID || p.Metadata.Self != res.header.Get("Location") ||
		p.Spec.Environment.ID != testEnv || p.Kind != "ComputePool" || p.APIVersion != "fcpm/v2" {
		t.Fatalf("created %+v, Location %q", p, res.header.Get("Location"))
	}
	one := pools + "/" + p.ID + "?environment=" + testEnv
	h.settle()
	var got confluent.ComputePool
	h.do("GET", one, nil).want(t, http.StatusOK, &got)
	if got.Status.Phase != confluent.PoolProvisioned || got.Status.CurrentCFU != 0 {
		t.Errorf("status %+v, want PROVISIONED with 0 CFU", got.Status)
	}

	var list confluent.ComputePoolList
	h.do("GET", pools+"?environment="+testEnv, nil).want(t, http.StatusOK, &list)
	if list.Kind != "ComputePoolList" || len(list.Data) != 1 || list.Data[0].ID != p.ID {
		t.Errorf("list %+v", list)
	}
	h.do("GET", pools+"?environment=env-other", nil).want(t, http.StatusOK, &list)
	if len(list.Data) != 0 {
		t.Errorf("another environment lists %d pools", len(list.Data))
	}

	patch := confluent.ComputePool{Spec: confluent.ComputePoolSpec{DisplayName: "renamed", MaxCFU: 20,
		Environment: &confluent.ObjectReference{ID: testEnv}}}
	h.do("PATCH", pools+"/"+p.ID, patch).want(t, http.StatusOK, &got)
	if got.Spec.DisplayName != "renamed" || got.Spec.MaxCFU != 20 || got.Spec.Region != "us-east-1" {
		t.Errorf("patched %+v", got.Spec)
	}

	h.do("DELETE", one, nil).want(t, http.StatusNoContent, nil)
	h.do("GET", one, nil).failure(t, http.StatusNotFound)
	h.do("DELETE", one, nil).failure(t, http.StatusNotFound)
}

func TestPoolBadInput(t *testing.T) {
	bad := func(edit func(*confluent.ComputePool)) confluent.ComputePool {
		p := poolBody("p", 5)
		edit(&p)
		return p
	}
	tests := []struct {
		name, method, path string
		body               any
		status             int
		pointer, param     string
	}{
		{"list without environment", "GET", pools, nil, 400, "", "environment"},
		{"get without environment", "GET", pools + "/lfcp-00001", nil, 400, "", "environment"},
		{"delete without environment", "DELETE", pools + "/lfcp-00001", nil, 400, "", "environment"},
		{"get in another environment", "GET", pools + "/lfcp-00001?environment=env-other", nil, 404, "", ""},
		{"get unknown", "GET", pools + "/lfcp-zzzzz?environment=" + testEnv, nil, 404, "", ""},
		{"page_size over 100", "GET", pools + "?environment=e&page_size=500", nil, 400, "", "page_size"},
		{"malformed", "POST", pools, `{"spec":`, 400, "", ""},
		{"no environment", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.Environment = nil }), 422, "/spec/environment/id", ""},
		{"no region", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.Region = "" }), 422, "/spec/region", ""},
		{"bad cloud", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.Cloud = "moon" }), 422, "/spec/cloud", ""},
		{"bad name", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.DisplayName = "_x" }), 422, "/spec/display_name", ""},
		{"no max_cfu", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.MaxCFU = 0 }), 422, "/spec/max_cfu", ""},
		{"max_cfu over 50", "POST", pools, bad(func(p *confluent.ComputePool) { p.Spec.MaxCFU = 51 }), 400, "/spec/max_cfu", ""},
		{"second default", "POST", pools, bad(func(p *confluent.ComputePool) { yes := true; p.Spec.DefaultPool = &yes }), 409, "/spec/default_pool", ""},
		{"patch without environment", "PATCH", pools + "/lfcp-00001", `{"spec":{"max_cfu":10}}`, 422, "/spec/environment/id", ""},
		{"patch region", "PATCH", pools + "/lfcp-00001", `{"spec":{"region":"eu-west-1","environment":{"id":"` + testEnv + `"}}}`, 422, "/spec/region", ""},
		{"patch max_cfu", "PATCH", pools + "/lfcp-00001", `{"spec":{"max_cfu":-1,"environment":{"id":"` + testEnv + `"}}}`, 422, "/spec/max_cfu", ""},
		{"patch max_cfu over 50", "PATCH", pools + "/lfcp-00001", `{"spec":{"max_cfu":60,"environment":{"id":"` + testEnv + `"}}}`, 400, "/spec/max_cfu", ""},
		{"patch max_cfu lower", "PATCH", pools + "/lfcp-00001", `{"spec":{"max_cfu":4,"environment":{"id":"` + testEnv + `"}}}`, 422, "/spec/max_cfu", ""},
		{"wrong method", "PUT", pools + "/lfcp-00001", `{}`, 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			yes := true
			def := poolBody("default", 5) // lfcp-00001, the environment's default
			def.Spec.DefaultPool = &yes
			h.do("POST", pools, def).want(t, http.StatusAccepted, nil)
			e := h.do(tt.method, tt.path, tt.body).failure(t, tt.status)
			if tt.pointer != "" && (e.Source == nil || e.Source.Pointer != tt.pointer) {
				t.Errorf("source %+v, want pointer %s", e.Source, tt.pointer)
			}
			if tt.param != "" && (e.Source == nil || e.Source.Parameter != tt.param) {
				t.Errorf("source %+v, want parameter %s", e.Source, tt.param)
			}
		})
	}
}

// TestPoolCapacity fills a 2-CFU pool: the third statement waits, PENDING
// with POOL_EXHAUSTED, and starts, oldest waiter first, when a CFU frees.
func TestPoolCapacity(t *testing.T) {
	frees := []struct {
		name string
		free func(h *harness, poolID string)
	}{
		{"delete", func(h *harness, _ string) { h.do("DELETE", stmts+"/job-0", nil).want(h.t, http.StatusAccepted, nil) }},
		{"stop", func(h *harness, _ string) { h.setStopped("job-0", true) }},
		{"larger pool", func(h *harness, id string) {
			body := `{"spec":{"max_cfu":3,"environment":{"id":"` + testEnv + `"}}}`
			h.do("PATCH", pools+"/"+id, body).want(h.t, http.StatusOK, nil)
		}},
		{"drop a table of a running statement", func(h *harness, _ string) {
			h.create("drop", "DROP TABLE src0")
		}},
	}
	for _, tt := range frees {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, ExternalTables([]string{"src0", "src", "sink"}))
			var p confluent.ComputePool
			h.do("POST", pools, poolBody("small", 2)).want(t, http.StatusAccepted, &p)
			h.settle()
			for i := range 4 {
				src := "src"
				if i == 0 {
					src = "src0"
				}
				in := createBody(fmt.Sprintf("job-%d", i), "INSERT INTO sink SELECT * FROM "+src)
				in.Spec.ComputePoolID = p.ID
				h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
				h.clock.Advance(1) // job-2 waits longer than job-3
			}
			h.settle()
			want := map[string]confluent.Phase{"job-0": "RUNNING", "job-1": "RUNNING", "job-2": "PENDING", "job-3": "PENDING"}
			for name, phase := range want {
				if got, _ := h.phaseOf(name); got != phase {
					t.Fatalf("%s is %s, want %s", name, got, phase)
				}
			}
			waiting := h.get("job-2")
			if !strings.Contains(waiting.Status.Detail, "compute pool "+p.ID+" has reached its maximum of 2 CFU") ||
				waiting.Status.ScalingStatus == nil || waiting.Status.ScalingStatus.ScalingState != "POOL_EXHAUSTED" {
				t.Errorf("waiting status %+v", waiting.Status)
			}
			var got confluent.ComputePool
			h.do("GET", pools+"/"+p.ID+"?environment="+testEnv, nil).want(t, http.StatusOK, &got)
			if got.Status.CurrentCFU != 2 {
				t.Errorf("current_cfu %d, want 2", got.Status.CurrentCFU)
			}

			tt.free(h, p.ID)
			if phase, _ := h.phaseOf("job-2"); phase != confluent.PhaseRunning {
				t.Errorf("after a CFU freed, job-2 is %s, want RUNNING", phase)
			}
			st := h.get("job-3")
			if st.Status.Phase != confluent.PhasePending {
				t.Errorf("job-3 is %s, want still PENDING", st.Status.Phase)
			}
		})
	}
}

func TestProvisioningPoolHoldsStatements(t *testing.T) {
	h := start(t, Latency(10*time.Second), ExternalTables([]string{"src", "sink"}))
	var p confluent.ComputePool
	h.do("POST", pools, poolBody("slow", 5)).want(t, http.StatusAccepted, &p)
	in := createBody("job", "INSERT INTO sink SELECT * FROM src")
	in.Spec.ComputePoolID = p.ID
	h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	h.clock.Advance(10 * time.Second)
	// Both became due at the same instant; the pool was created first.
	if phase, detail := h.phaseOf("job"); phase != confluent.PhaseRunning {
		t.Errorf("job is %s (%s), want RUNNING once its pool is provisioned", phase, detail)
	}
}

func TestStatementPools(t *testing.T) {
	h := start(t)
	st := h.create("s1", "SELECT 1")
	var p confluent.ComputePool
	h.do("GET", pools+"/"+st.Spec.ComputePoolID+"?environment="+testEnv, nil).want(t, http.StatusOK, &p)
	if p.Spec.DefaultPool == nil || !*p.Spec.DefaultPool || p.Spec.MaxCFU != 50 || p.Status.Phase != confluent.PoolProvisioned {
		t.Errorf("default pool %+v", p)
	}
	if again := h.create("s2", "SELECT 1"); again.Spec.ComputePoolID != p.ID {
		t.Errorf("second statement in pool %s, want the default %s", again.Spec.ComputePoolID, p.ID)
	}

	in := createBody("s3", "SELECT 1")
	in.Spec.ComputePoolID = "lfcp-nope"
	e := h.do("POST", stmts, in).failure(t, http.StatusUnprocessableEntity)
	if e.Source == nil || e.Source.Pointer != "/spec/compute_pool_id" {
		t.Errorf("source %+v", e.Source)
	}
	// A pool of another environment is unknown here too.
	other := poolBody("elsewhere", 5)
	other.Spec.Environment.ID = "env-other"
	var op confluent.ComputePool
	h.do("POST", pools, other).want(t, http.StatusAccepted, &op)
	in.Spec.ComputePoolID = op.ID
	h.do("POST", stmts, in).failure(t, http.StatusUnprocessableEntity)
}

func TestDeletePoolFailsItsStatements(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink"}))
	var p confluent.ComputePool
	h.do("POST", pools, poolBody("doomed", 5)).want(t, http.StatusAccepted, &p)
	in := createBody("job", "INSERT INTO sink SELECT * FROM src")
	in.Spec.ComputePoolID = p.ID
	h.do("POST", stmts, in).want(t, http.StatusCreated, nil)
	h.settle()
	h.do("DELETE", pools+"/"+p.ID+"?environment="+testEnv, nil).want(t, http.StatusNoContent, nil)
	if phase, detail := h.phaseOf("job"); phase != confluent.PhaseFailed || !strings.Contains(detail, p.ID) {
		t.Errorf("job is %s %q, want FAILED naming the pool", phase, detail)
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"aws.us-east-1", "aws.us-west-2", "aws.eu-west-1", "gcp.us-central1", "azure.eastus"}},
		{"?cloud=GCP", []string{"gcp.us-central1"}},
		{"?cloud=AWS&region_name=us-west-2", []string{"aws.us-west-2"}},
		{"?cloud=AWS&region_name=ap-south-1", []string{"aws.ap-south-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h := start(t)
			var list regionList
			h.do("GET", "/fcpm/v2/regions"+tt.query, nil).want(t, http.StatusOK, &list)
			var ids []string
			for _, r := range list.Data {
				ids = append(ids, r.ID)
				if r.HTTPEndpoint != h.srv.URL {
					t.Errorf("%s: http_endpoint %q, want %q", r.ID, r.HTTPEndpoint, h.srv.URL)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("regions %v, want %v", ids, tt.want)
			}
		})
	}
}
