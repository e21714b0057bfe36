package emulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/confluent"
)

func TestAdminState(t *testing.T) {
	h := start(t, ExternalTables([]string{"raw"}))
	h.create("ddl", "CREATE TABLE t (id INT)")
	h.settle()
	var s stateView
	h.do("GET", "/_emulator/state", nil, "Authorization", "").want(t, http.StatusOK, &s)
	env := s.Environments[testEnv]
	if !slices.Equal(env.Tables, []string{"raw", "t"}) || len(env.Statements) != 1 ||
		env.Statements[0].Name != "ddl" || env.Statements[0].Status.Phase != confluent.PhaseCompleted {
		t.Errorf("environment %+v", env)
	}
	if len(s.ComputePools) != 1 || s.ComputePools[0].ID != env.DefaultPool || !slices.Equal(s.GlobalTables, []string{"raw"}) {
		t.Errorf("pools %+v, default %q, global %v", s.ComputePools, env.DefaultPool, s.GlobalTables)
	}
}

func TestAdminTables(t *testing.T) {
	h := start(t)
	other := strings.Replace(stmts, testEnv, "env-other", 1)
	h.do("POST", "/_emulator/tables", tablesRequest{EnvironmentID: testEnv, Tables: []string{"only_here"}}).
		want(t, http.StatusNoContent, nil)
	h.do("POST", "/_emulator/tables", tablesRequest{Tables: []string{"everywhere"}}).want(t, http.StatusNoContent, nil)
	for _, s := range []struct {
		base, name, sql string
		want            confluent.Phase
	}{
		{stmts, "a", "SELECT * FROM only_here", confluent.PhaseRunning},
		{stmts, "b", "SELECT * FROM everywhere", confluent.PhaseRunning},
		{other, "c", "SELECT * FROM only_here", confluent.PhaseFailed},
		{other, "d", "SELECT * FROM everywhere", confluent.PhaseRunning}, // an environment created later
	} {
		h.do("POST", s.base, createBody(s.name, s.sql)).want(t, http.StatusCreated, nil)
		h.settle()
		var st confluent.Statement
		h.do("GET", s.base+"/"+s.name, nil).want(t, http.StatusOK, &st)
		if st.Status.Phase != s.want {
			t.Errorf("%s: %s (%s), want %s", s.sql, st.Status.Phase, st.Status.Detail, s.want)
		}
	}
	h.do("POST", "/_emulator/tables", `{"tables":[""]}`).failure(t, http.StatusUnprocessableEntity)
	h.do("POST", "/_emulator/tables", `{"tables":`).failure(t, http.StatusBadRequest)
	if err := h.emu.AddTables("", ""); err == nil {
		t.Error("AddTables accepted an empty name")
	}
}

func TestAdminReset(t *testing.T) {
	h := start(t, ExternalTables([]string{"raw"}))
	h.create("s1", "SELECT 1")
	h.setFaults(Faults{SlowMS: 1})
	h.do("POST", "/_emulator/reset", nil).want(t, http.StatusNoContent, nil)
	h.do("GET", stmts+"/s1", nil).failure(t, http.StatusNotFound)
	var s stateView
	h.do("GET", "/_emulator/state", nil).want(t, http.StatusOK, &s)
	if len(s.Environments) != 0 || len(s.ComputePools) != 0 || !slices.Equal(s.GlobalTables, []string{"raw"}) {
		t.Errorf("after reset %+v", s)
	}
	var f Faults
	h.do("GET", "/_emulator/faults", nil).want(t, http.StatusOK, &f)
	if f.SlowMS != 0 {
		t.Errorf("faults kept: %+v", f)
	}
	c := h.counters()
	if len(c.Creates) != 0 || len(c.Requests) != 1 { // the GET above
		t.Errorf("counters kept: %+v", c)
	}
	h.create("s1", "SELECT 1")
}

func TestAdminRoutes(t *testing.T) {
	h := start(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/_emulator/counters", http.StatusOK},
		{"POST", "/_emulator/state", http.StatusMethodNotAllowed},
		{"GET", "/_emulator/reset", http.StatusMethodNotAllowed},
		{"GET", "/_emulator/nothing", http.StatusNotFound},
	}
	for _, tt := range tests {
		res := h.do(tt.method, tt.path, nil, "Authorization", "")
		if tt.want >= 400 {
			res.failure(t, tt.want)
		} else {
			res.want(t, tt.want, nil)
		}
	}
}
