package webhook

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

// FuzzReceive posts signed payloads of any shape: the answer is never a
// 5xx, always JSON, and a job is queued only when the answer says so.
func FuzzReceive(f *testing.F) {
	f.Add("push", pushBody(testRepo, "refs/heads/main", shaHead))
	f.Add("push", pushBody(testRepo, "refs/heads/main", zeroSHA))
	f.Add("pull_request", prBody("opened", testRepo, "fork/x"))
	f.Add("ping", []byte(`{"zen":"Keep it logically awesome."}`))
	f.Add("push", []byte(`{"ref":5}`))
	f.Add("pull_request", []byte(`{"action":"opened","pull_request":null}`))
	f.Add("push", []byte(`null`))
	f.Add("issues", []byte(`[`))
	f.Add("", []byte(`{}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		pub := &recorder{}
		h := newHandler(t, testConfig(), pub)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, delivery(event, "d-1", body))
		var got response
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body)
		}
		if w.Code >= 500 {
			t.Fatalf("answer %d %+v", w.Code, got)
		}
		if queued := len(pub.published()); (got.Status == "queued") != (queued == 1) {
			t.Fatalf("answer %+v with %d jobs queued", got, queued)
		}
	})
}
