package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestBadInput: every bad request gets its status and a Failure body, with
// X-Request-Id and a JSON content type, and never a 500.
func TestBadInput(t *testing.T) {
	long := func(n int) string { return "SELECT '" + strings.Repeat("x", n-9) + "'" }
	tests := []struct {
		name, method, path string
		body               any
		header             []string
		status             int
		code, pointer      string
	}{
		{"malformed JSON", "POST", stmts, `{"name": "x", "spec": {`, nil, 400, codeBadRequest, ""},
		{"trailing garbage", "POST", stmts, `{"name": "x"} {}`, nil, 400, codeBadRequest, ""},
		{"wrong type", "POST", stmts, `{"name": 5}`, nil, 400, codeBadRequest, ""},
		{"empty body", "POST", stmts, ``, nil, 400, codeBadRequest, ""},
		{"missing name", "POST", stmts, createBody("", "SELECT 1"), nil, 422, codeInvalidConfig, "/name"},
		{"upper-case name", "POST", stmts, createBody("Orders", "SELECT 1"), nil, 422, codeInvalidConfig, "/name"},
		{"underscore in name", "POST", stmts, createBody("orders_v2", "SELECT 1"), nil, 422, codeInvalidConfig, "/name"},
		{"name ends with a dash", "POST", stmts, createBody("orders-", "SELECT 1"), nil, 422, codeInvalidConfig, "/name"},
		{"name over 72", "POST", stmts, createBody(strings.Repeat("a", 73), "SELECT 1"), nil, 422, codeNameTooLong, "/name"},
		{"dot in name", "POST", stmts, createBody("orders.v2", "SELECT 1"), nil, 422, codeInvalidConfig, "/name"},
		{"missing statement", "POST", stmts, createBody("x", ""), nil, 422, codeInvalidConfig, "/spec/statement"},
		{"statement over 131072", "POST", stmts, createBody("x", long(131073)), nil, 422, codeStatementTooLong, "/spec/statement"},
		{"created stopped", "POST", stmts, `{"name":"x","spec":{"statement":"SELECT 1","stopped":true}}`, nil, 422, codeInvalidConfig, "/spec/stopped"},
		{"other environment in body", "POST", stmts, `{"name":"x","environment_id":"env-b","spec":{"statement":"SELECT 1"}}`, nil, 422, codeInvalidConfig, "/environment_id"},
		{"duplicate", "POST", stmts, createBody("exists", "SELECT 1"), nil, 409, codeAlreadyExists, "/name"},
		{"unknown route", "GET", "/sql/v2/whatever", nil, nil, 404, "", ""},
		{"unknown statement", "GET", stmts + "/nope", nil, nil, 404, "", ""},
		{"trailing slash", "GET", stmts + "/", nil, nil, 404, "", ""},
		{"wrong method", "DELETE", stmts, nil, nil, 405, codeMethod, ""},
		{"wrong method on one", "POST", stmts + "/exists", `{}`, nil, 405, codeMethod, ""},
		{"no credentials", "GET", stmts, nil, []string{"Authorization", ""}, 401, codeUnauthenticated, ""},
		{"empty secret", "GET", stmts, nil, []string{"Authorization", "Basic a2V5Og=="}, 401, codeUnauthenticated, ""},
		{"bearer token", "GET", stmts, nil, []string{"Authorization", "Bearer abc"}, 401, codeUnauthenticated, ""},
		{"page_size over 100", "GET", stmts + "?page_size=101", nil, nil, 400, codeInvalidFilter, ""},
		{"patch as text", "PATCH", stmts + "/exists", `[]`, []string{"Content-Type", "text/plain"}, 415, codeMediaType, ""},
		{"body too large", "POST", stmts, strings.Repeat(" ", MaxRequestBytes+1), nil, 413, codeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t)
			h.create("exists", "SELECT 1")
			res := h.do(tt.method, tt.path, tt.body, tt.header...)
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			e := res.failure(t, tt.status)
			if e.Code != tt.code {
				t.Errorf("code %q, want %q", e.Code, tt.code)
			}
			if tt.pointer != "" && (e.Source == nil || e.Source.Pointer != tt.pointer) {
				t.Errorf("source %+v, want pointer %s", e.Source, tt.pointer)
			}
			switch tt.status {
			case 401:
				if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
				}
			case 405:
				if res.header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			case 409:
				if res.header.Get("Location") != h.srv.URL+stmts+"/exists" {
					t.Errorf("409 Location %q", res.header.Get("Location"))
				}
			}
		})
	}
}

func TestLimitsAreInclusive(t *testing.T) {
	h := start(t)
	name := strings.Repeat("a", MaxNameLength)
	h.create(name, "SELECT '"+strings.Repeat("é", MaxStatementLength-9)+"'")
	h.create("a-b-c-d0", "SELECT 1")
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name        string
		key, secret string
		want        int
	}{
		{"configured pair", "key", "secret", http.StatusOK},
		{"wrong secret", "key", "nope", http.StatusUnauthorized},
		{"wrong key", "other", "secret", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, Credentials("key", "secret"))
			auth := "Basic " + basic(tt.key, tt.secret)
			res := h.do("GET", stmts, nil, "Authorization", auth)
			if res.status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.status, tt.want, res.body)
			}
			if tt.want == http.StatusUnauthorized {
				if e := res.failure(t, tt.want); e.Code != codeUnauthenticated {
					t.Errorf("code %q", e.Code)
				}
			}
		})
	}
}

func basic(key, secret string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(key, secret)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

// TestPanicBecomes500 serves a route that panics: the answer is a 500
// Failure, the panic is logged, and the emulator keeps serving.
func TestPanicBecomes500(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	h := start(t, Logger(zap.New(core)))
	h.emu.mux.HandleFunc("GET /boom", h.emu.api(func(*call) (response, error) { panic("boom") }))
	e := h.do("GET", "/boom", nil).failure(t, http.StatusInternalServerError)
	if e.Code != codeInternal {
		t.Errorf("code %q", e.Code)
	}
	if logs.FilterMessage("emulator: handler panicked").Len() != 1 {
		t.Errorf("logs: %v", logs.All())
	}
	h.create("after", "SELECT 1") // the lock was released
}

// TestRandomRequestsNever500 sends thousands of random bodies, methods and
// paths, built from valid requests and mangled: no answer is a 500, and
// every error is a Failure.
func TestRandomRequestsNever500(t *testing.T) {
	h := start(t, ExternalTables([]string{"src", "sink"}))
	h.create("s1", "INSERT INTO sink SELECT * FROM src")
	rng := rand.New(rand.NewPCG(7, 7))
	paths := []string{stmts, stmts + "/s1", stmts + "/s2", stmts + "/s1/exceptions", stmts + "/s1/results",
		pools, pools + "/lfcp-00001", pools + "?environment=" + testEnv, "/fcpm/v2/regions",
		"/_emulator/tables", "/_emulator/faults", "/_emulator/state"}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	seeds := []string{
		`{"name":"s2","spec":{"statement":"INSERT INTO sink SELECT * FROM src","compute_pool_id":"lfcp-00001"}}`,
		`{"name":"s1","metadata":{"resource_version":"2","labels":{"a":"b"}},"spec":{"stopped":true,"principal":"sa-1"}}`,
		`[{"op":"replace","path":"/spec/stopped","value":true},{"op":"copy","from":"/spec","path":"/metadata/labels"}]`,
		`[{"op":"move","from":"/status","path":"/spec/properties/x"},{"op":"add","path":"/metadata/labels/-","value":[1]}]`,
		`{"spec":{"display_name":"p","cloud":"AWS","region":"r","max_cfu":1,"environment":{"id":"` + testEnv + `"}}}`,
		`{"environment_id":"` + testEnv + `","tables":["a"]}`,
		`{"error_rate":0,"slow_ms":0,"fail_statements":{"s1":"x"}}`,
	}
	tokens := []string{`null`, `true`, `-1`, `1e400`, `""`, `"\u0000"`, `[]`, `{}`, `"lfcp-00001"`, `"` + strings.Repeat("z", 300) + `"`}
	for i := range 3000 {
		body := []byte(seeds[rng.IntN(len(seeds))])
		for range rng.IntN(4) {
			body = mangle(rng, body, tokens)
		}
		method, path := methods[rng.IntN(len(methods))], paths[rng.IntN(len(paths))]
		res := h.do(method, path, string(body), "Content-Type", "application/json-patch+json")
		if res.status >= 500 {
			t.Fatalf("request %d: %s %s %s -> %d %s", i, method, path, body, res.status, short(res.body))
		}
		if res.status >= 400 {
			res.failure(t, res.status)
		} else if len(res.body) > 0 && !json.Valid(res.body) {
			t.Fatalf("request %d: invalid JSON %s", i, res.body)
		}
		if i%100 == 0 {
			h.settle()
		}
	}
}

// mangle damages a body: a cut, a duplicated or deleted span, or a JSON
// value swapped in.
func mangle(rng *rand.Rand, b []byte, tokens []string) []byte {
	if len(b) == 0 {
		return []byte(tokens[rng.IntN(len(tokens))])
	}
	i, j := rng.IntN(len(b)), rng.IntN(len(b))
	if i > j {
		i, j = j, i
	}
	switch rng.IntN(4) {
	case 0:
		return b[:i]
	case 1:
		return append(append(append([]byte{}, b[:j]...), b[i:j]...), b[j:]...)
	case 2:
		return append(append([]byte{}, b[:i]...), b[j:]...)
	}
	// Replace the value after a colon with a token.
	k := bytes.IndexByte(b[i:], ':')
	if k < 0 {
		return b
	}
	k += i + 1
	end := k
	for end < len(b) && b[end] != ',' && b[end] != '}' && b[end] != ']' {
		end++
	}
	return append(append(append([]byte{}, b[:k]...), tokens[rng.IntN(len(tokens))]...), b[end:]...)
}

// FuzzServeHTTP feeds any method, path and body to the handler.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", stmts, []byte(`{"name":"a","spec":{"statement":"SELECT 1"}}`))
	f.Add("PATCH", stmts+"/a", []byte(`[{"op":"copy","from":"","path":"/spec/x"}]`))
	f.Add("PUT", stmts+"/a", []byte(`{"name":"a","metadata":{"resource_version":"1"},"spec":{"stopped":true}}`))
	f.Add("POST", pools, []byte(`{"spec":{"display_name":"p","cloud":"AWS","region":"r","max_cfu":1,"environment":{"id":"e"}}}`))
	f.Add("GET", stmts+"?page_size=5&page_token=YQ&label_selector=a%3Db", []byte(nil))
	f.Add("POST", "/_emulator/faults", []byte(`{"fail_statements":{"a":"b"}}`))
	emu, err := New(Clock(newFakeClock().Now))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \t\r\n()<>@,;:\\\"/[]?={}") {
			return // not a method a server would see
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method = method
		req.URL.Path = "/" + strings.TrimPrefix(path, "/")
		req.URL.RawQuery = ""
		if q := strings.IndexByte(path, '?'); q >= 0 {
			req.URL.Path, req.URL.RawQuery = "/"+strings.TrimPrefix(path[:q], "/"), path[q+1:]
		}
		req.SetBasicAuth("k", "s")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, req)
		_ = emu.SetFaults(Faults{}) // faults set by one input would slow or throttle all the next
		if w.Code >= 500 {
			t.Fatalf("%s %q %q -> %d %s", method, path, body, w.Code, w.Body)
		}
		if w.Body.Len() > 0 && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON %s", w.Body)
		}
	})
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
	}{
		{"negative latency", Latency(-1)},
		{"empty key", Credentials("", "s")},
		{"empty secret", Credentials("k", "")},
		{"empty external table", ExternalTables([]string{"a", ""})},
		{"empty state file", StateFile("")},
		{"nil logger", Logger(nil)},
		{"nil clock", Clock(nil)},
		{"no statements", MaxStatements(0)},
		{"no compute pools", MaxComputePools(0)},
		{"negative rate limit", RateLimit(-1)},
		{"negative process interval", ProcessInterval(-time.Second)},
		{"negative save interval", SaveInterval(-time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opt); !errors.Is(err, ErrInvalidOption) {
				t.Errorf("New: %v, want ErrInvalidOption", err)
			}
		})
	}
	emu, err := New(Seed(3), Latency(0), MaxStatements(1), RateLimit(0), ProcessInterval(0), SaveInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
}
