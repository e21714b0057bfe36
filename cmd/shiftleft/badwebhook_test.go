package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/webhook"
)

// TestBadWebhookInputThroughTheService: what GitHub would never send gets a
// 400 that says what is wrong and queues nothing; the ops API takes the
// bearer scheme in any case.
func TestBadWebhookInputThroughTheService(t *testing.T) {
	a, _ := observed(t)
	cfg := serviceConfig(t, "", "acme/flink")
	ctx := context.Background()
	svc, err := a.start(ctx, cfg, startParts{http: true})
	must(t, err)
	defer svc.stop(ctx)

	push := func(before, after string) []byte {
		b, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "before": before, "after": after,
			"repository": map[string]any{"full_name": "acme/flink", "clone_url": "https://github.com/acme/flink.git"}})
		return b
	}
	sha := strings.Repeat("ab", 20)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		want        int
		reason      string
	}{
		{"after that is a branch name", "application/json", push(sha, "main"), http.StatusBadRequest, `after "main" is not a commit SHA (40 hexadecimal digits)`},
		{"before that is a short SHA", "application/json", push(sha[:7], sha), http.StatusBadRequest, `before "abababa" is not a commit SHA`},
		{"form without payload", "application/x-www-form-urlencoded", []byte(url.Values{"json": {string(push(sha, sha))}}.Encode()),
			http.StatusBadRequest, `form-encoded delivery without a "payload" field`},
		{"form with its payload", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(push(sha, sha))}}.Encode()),
			http.StatusAccepted, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, svc.URL+"/webhooks/github", strings.NewReader(string(tt.body)))
			must(t, err)
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-GitHub-Delivery", "bad-input-"+string(rune('a'+i)))
			req.Header.Set("X-Hub-Signature-256", webhook.Sign(testSecret, tt.body))
			res, err := http.DefaultClient.Do(req)
			must(t, err)
			defer res.Body.Close()
			var got struct{ Status, Reason string }
			must(t, json.NewDecoder(res.Body).Decode(&got))
			if res.StatusCode != tt.want || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("%d %+v, want %d with %q", res.StatusCode, got, tt.want, tt.reason)
			}
		})
	}
	list, err := svc.queue.List(ctx, jobs.Filter{})
	must(t, err)
	if len(list) != 1 || list[0].After != sha {
		t.Errorf("jobs %+v, want the one of the well-formed form delivery", list)
	}

	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		req, err := http.NewRequest(http.MethodGet, svc.URL+"/api/jobs", nil)
		must(t, err)
		req.Header.Set("Authorization", scheme+" "+testOpsToken)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), list[0].ID) {
			t.Errorf("GET /api/jobs with the scheme %q: %d %s", scheme, res.StatusCode, body)
		}
	}
}
