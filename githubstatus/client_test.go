package githubstatus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/shiftleft/shiftleft/githubstatus"
)

const token = "ghp_testtoken0123456789abcdefABCDEF"

// fast retries: tests wait for what GitHub asks, not for backoff.
var fast = githubstatus.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxWait: 5 * time.Second}

const sha = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"

func TestSetStatusSendsTheBody(t *testing.T) {
	long := strings.Repeat("x", 150)
	tests := []struct {
		name     string
		status   githubstatus.Status
		wantPath string
		wantBody map[string]any
	}{
		{
			name: "every field",
			status: githubstatus.Status{Repo: "acme/flink-pipelines", SHA: sha, State: githubstatus.StateSuccess,
				Context: "shiftleft/plan", Description: "3 recreated, 2 restarted", TargetURL: "https://shiftleft.example/jobs/7"},
			wantPath: "/repos/acme/flink-pipelines/statuses/" + sha,
			wantBody: map[string]any{"state": "success", "context": "shiftleft/plan",
				"description": "3 recreated, 2 restarted", "target_url": "https://shiftleft.example/jobs/7"},
		},
		{
			name:     "default context, no description or URL",
			status:   githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StatePending},
			wantPath: "/repos/acme/x/statuses/" + sha,
			wantBody: map[string]any{"state": "pending", "context": "shiftleft/deploy"},
		},
		{
			name:     "long description on several lines is cut to 140 characters",
			status:   githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateFailure, Description: "int_x:\n  " + long},
			wantPath: "/repos/acme/x/statuses/" + sha,
			wantBody: map[string]any{"state": "failure", "context": "shiftleft/deploy",
				"description": "int_x: " + long[:132] + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			if err := gh.client(t, token, zap.NewNop(), fast).SetStatus(context.Background(), tt.status); err != nil {
				t.Fatal(err)
			}
			reqs := gh.received()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1: %+v", len(reqs), reqs)
			}
			r := reqs[0]
			if r.Route != routeStatus || r.Path != tt.wantPath {
				t.Errorf("request %s %s (route %q), want POST %s", r.Method, r.Path, r.Route, tt.wantPath)
			}
			if r.Auth != "Bearer "+token || r.UserAgent != "shiftleft" {
				t.Errorf("Authorization %q, User-Agent %q", r.Auth, r.UserAgent)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatalf("body %q: %v", r.Body, err)
			}
			if diff := cmp.Diff(tt.wantBody, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidRequestsSendNothing(t *testing.T) {
	ok := githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateSuccess}
	with := func(edit func(*githubstatus.Status)) githubstatus.Status {
		s := ok
		edit(&s)
		return s
	}
	tests := []struct {
		name    string
		status  *githubstatus.Status
		comment *githubstatus.Comment
	}{
		{name: "repo without owner", status: ptr(with(func(s *githubstatus.Status) { s.Repo = "x" }))},
		{name: "repo path escape", status: ptr(with(func(s *githubstatus.Status) { s.Repo = "acme/../admin" }))},
		{name: "repo with three parts", status: ptr(with(func(s *githubstatus.Status) { s.Repo = "a/b/c" }))},
		{name: "short SHA", status: ptr(with(func(s *githubstatus.Status) { s.SHA = "9f8e7d6" }))},
		{name: "branch name for SHA", status: ptr(with(func(s *githubstatus.Status) { s.SHA = "main" }))},
		{name: "unknown state", status: ptr(with(func(s *githubstatus.Status) { s.State = "done" }))},
		{name: "relative target URL", status: ptr(with(func(s *githubstatus.Status) { s.TargetURL = "/jobs/7" }))},
		{name: "javascript target URL", status: ptr(with(func(s *githubstatus.Status) { s.TargetURL = "javascript:alert(1)" }))},
		{name: "pull request 0", comment: &githubstatus.Comment{Repo: "acme/x", Body: "hello"}},
		{name: "empty body", comment: &githubstatus.Comment{Repo: "acme/x", PullRequest: 1, Body: " \n"}},
		{name: "comment repo", comment: &githubstatus.Comment{Repo: "acme", PullRequest: 1, Body: "hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			c := gh.client(t, token, zap.NewNop(), fast)
			var err error
			if tt.status != nil {
				err = c.SetStatus(context.Background(), *tt.status)
			} else {
				_, err = c.UpsertComment(context.Background(), *tt.comment)
			}
			if !errors.Is(err, githubstatus.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
			if n := len(gh.received()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestUpsertComment(t *testing.T) {
	others := make([]string, 120)
	for i := range others {
		others[i] = fmt.Sprintf("LGTM %d", i)
	}
	tests := []struct {
		name string
		seed []string
		// bodies are upserted in turn; each must return the same id.
		bodies []string
		// createFaults answer the first creates.
		createFaults []fault
		// want is the route of each request, in order.
		want         []string
		wantComments int
	}{
		{
			name:         "create once, then edit the same comment",
			bodies:       []string{"first plan", "second plan"},
			want:         []string{routeListComments, routeAddComment, routeListComments, routeEditComment},
			wantComments: 1,
		},
		{
			name:         "marker on page 2",
			seed:         append(others[:110:110], githubstatus.Marker+"\nold plan", "LGTM later"),
			bodies:       []string{"new plan"},
			want:         []string{routeListComments, routeListComments, routeEditComment},
			wantComments: 112,
		},
		{
			name:         "a quoted marker is not ours",
			seed:         []string{"> " + githubstatus.Marker + "\n> old plan\n\nwhy?"},
			bodies:       []string{"new plan"},
			want:         []string{routeListComments, routeAddComment},
			wantComments: 2,
		},
		{
			name:         "lost answer on create: found and edited, not posted twice",
			bodies:       []string{"plan"},
			createFaults: []fault{{status: http.StatusBadGateway, apply: true}},
			want:         []string{routeListComments, routeAddComment, routeListComments, routeEditComment},
			wantComments: 1,
		},
		{
			name:         "5xx on create that did nothing: created on the next try",
			bodies:       []string{"plan"},
			createFaults: []fault{{status: http.StatusServiceUnavailable}},
			want:         []string{routeListComments, routeAddComment, routeListComments, routeAddComment},
			wantComments: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			gh.seed(tt.seed...)
			gh.fail(routeAddComment, tt.createFaults...)
			c := gh.client(t, token, zap.NewNop(), fast)
			var ids []int64
			for _, body := range tt.bodies {
				id, err := c.UpsertComment(context.Background(), githubstatus.Comment{Repo: "acme/x", PullRequest: 42, Body: body})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			var routes []string
			for _, r := range gh.received() {
				routes = append(routes, r.Route)
				if r.Method == http.MethodPatch && r.Path != fmt.Sprintf("/repos/acme/x/issues/comments/%d", ids[0]) {
					t.Errorf("PATCH %s, want comment %d", r.Path, ids[0])
				}
			}
			if diff := cmp.Diff(tt.want, routes); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			stored := gh.stored()
			if len(stored) != tt.wantComments {
				t.Errorf("%d comments, want %d", len(stored), tt.wantComments)
			}
			var ours []string
			for _, s := range stored {
				if strings.HasPrefix(s.Body, githubstatus.Marker+"\n") {
					ours = append(ours, s.Body)
					if s.ID != ids[0] {
						t.Errorf("marked comment %d, upsert returned %d", s.ID, ids[0])
					}
				}
			}
			last := githubstatus.Marker + "\n" + tt.bodies[len(tt.bodies)-1]
			if len(ours) != 1 || ours[0] != last {
				t.Errorf("marked comments %q, want one with %q", ours, last)
			}
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Errorf("ids %v differ", ids)
				}
			}
		})
	}
}

func TestRetries(t *testing.T) {
	primary := func(status int, reset time.Duration) fault {
		return fault{status: status, reset: reset, header: map[string]string{"X-RateLimit-Limit": "5000"}, body: `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}`}
	}
	secondary := func(status int, retryAfter string) fault {
		return fault{status: status, header: map[string]string{"Retry-After": retryAfter},
			body: `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
	}
	serverError := fault{status: http.StatusBadGateway, body: `{"message":"Server Error"}`}
	tests := []struct {
		name     string
		faults   []fault
		timeout  time.Duration // of the caller's ctx; 0: none
		wantErr  error
		wantSent int
		// the call takes at least minWait, and less than maxWait.
		minWait, maxWait time.Duration
	}{
		{name: "primary 403 waits for the reset", faults: []fault{primary(http.StatusForbidden, time.Second)},
			wantSent: 2, minWait: 500 * time.Millisecond, maxWait: 4 * time.Second},
		{name: "primary 429 waits for the reset", faults: []fault{primary(http.StatusTooManyRequests, time.Second)},
			wantSent: 2, minWait: 500 * time.Millisecond, maxWait: 4 * time.Second},
		{name: "secondary 403 waits Retry-After", faults: []fault{secondary(http.StatusForbidden, "1")},
			wantSent: 2, minWait: time.Second, maxWait: 3 * time.Second},
		{name: "secondary 429 waits Retry-After", faults: []fault{secondary(http.StatusTooManyRequests, "1")},
			wantSent: 2, minWait: time.Second, maxWait: 3 * time.Second},
		{name: "a wait over MaxWait fails at once", faults: []fault{secondary(http.StatusTooManyRequests, "3600")},
			wantErr: githubstatus.ErrRateLimited, wantSent: 1, maxWait: time.Second},
		{name: "a reset an hour away fails at once", faults: []fault{primary(http.StatusForbidden, time.Hour)},
			wantErr: githubstatus.ErrRateLimited, wantSent: 1, maxWait: time.Second},
		{name: "a wait beyond the deadline fails at once", faults: []fault{secondary(http.StatusForbidden, "3")},
			timeout: 2 * time.Second, wantErr: githubstatus.ErrRateLimited, wantSent: 1, maxWait: time.Second},
		{name: "5xx retried", faults: []fault{serverError, serverError},
			wantSent: 3, maxWait: time.Second},
		{name: "5xx on every attempt", faults: []fault{serverError, serverError, serverError},
			wantErr: &githubstatus.APIError{}, wantSent: 3, maxWait: time.Second},
		{name: "404 not retried", faults: []fault{{status: http.StatusNotFound, body: `{"message":"Not Found"}`}},
			wantErr: githubstatus.ErrNotFound, wantSent: 1, maxWait: time.Second},
		{name: "403 without rate-limit headers not retried", faults: []fault{{status: http.StatusForbidden, body: `{"message":"Resource not accessible by integration"}`}},
			wantErr: &githubstatus.APIError{}, wantSent: 1, maxWait: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			gh.fail(routeStatus, tt.faults...)
			c := gh.client(t, token, zap.NewNop(), fast)
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			err := c.SetStatus(ctx, githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateSuccess})
			took := time.Since(start)
			checkErr(t, err, tt.wantErr)
			if n := len(gh.received()); n != tt.wantSent {
				t.Errorf("%d requests, want %d", n, tt.wantSent)
			}
			if took < tt.minWait || took >= tt.maxWait {
				t.Errorf("took %v, want [%v, %v)", took, tt.minWait, tt.maxWait)
			}
		})
	}
}

// checkErr matches err with want: nil, a sentinel, or any *APIError.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	var apiErr *githubstatus.APIError
	switch {
	case want == nil:
		if err != nil {
			t.Errorf("err = %v", err)
		}
	case errors.As(want, &apiErr):
		if !errors.As(err, &apiErr) || errors.Is(err, githubstatus.ErrRateLimited) {
			t.Errorf("err = %v, want a plain *APIError", err)
		}
	case !errors.Is(err, want):
		t.Errorf("err = %v, want %v", err, want)
	}
}

func TestRateLimitedUntilResetSendsNothing(t *testing.T) {
	gh := newFakeGitHub(t)
	gh.fail(routeStatus, fault{status: http.StatusForbidden, reset: time.Hour})
	c := gh.client(t, token, zap.NewNop(), fast)
	s := githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateSuccess}
	for i := range 2 {
		err := c.SetStatus(context.Background(), s)
		var apiErr *githubstatus.APIError
		if !errors.Is(err, githubstatus.ErrRateLimited) || !errors.As(err, &apiErr) || time.Until(apiErr.RetryAt) < 50*time.Minute {
			t.Fatalf("call %d: err = %v, want rate limited for about an hour", i, err)
		}
	}
	// The second call knew the quota was spent and did not ask GitHub.
	if n := len(gh.received()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestTokenNeverLeaks(t *testing.T) {
	// A server (or proxy) error that quotes the request's Authorization.
	echo := fault{status: http.StatusNotFound, body: `{"message":"no repo for Bearer ` + token + `"}`}
	tests := []struct {
		name string
		run  func(githubstatus.Reporter) error
	}{
		{"status", func(c githubstatus.Reporter) error {
			return c.SetStatus(context.Background(), githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateError})
		}},
		{"comment", func(c githubstatus.Reporter) error {
			_, err := c.UpsertComment(context.Background(), githubstatus.Comment{Repo: "acme/x", PullRequest: 3, Body: "plan"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			gh.fail(routeStatus, fault{status: http.StatusInternalServerError}, echo)
			gh.fail(routeListComments, fault{status: http.StatusInternalServerError}, echo)
			core, logs := observer.New(zapcore.DebugLevel)
			err := tt.run(gh.client(t, token, zap.New(core), fast))
			if !errors.Is(err, githubstatus.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error quotes the token: %v", err)
			}
			for _, r := range gh.received() {
				if r.Auth != "Bearer "+token {
					t.Errorf("%s %s sent Authorization %q", r.Method, r.Path, r.Auth)
				}
			}
			if logs.Len() == 0 {
				t.Fatal("nothing logged: the retry should warn")
			}
			for _, e := range logs.All() {
				if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, token) {
					t.Errorf("a log line quotes the token: %s", line)
				}
			}
		})
	}
}

func TestUpsertCommentCutsALongBody(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "| `table_%05d` | recreate | parent recreated and this DML is stateful |\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		body string
	}{
		{"cut in the table", "### plan\n\n| Table | Action | Reason |\n|---|---|---|\n" + rows(2000)},
		{"cut in the mermaid block", "### plan\n\n<details><summary>Graph</summary>\n\n```mermaid\nflowchart LR\n" +
			strings.Repeat("  n1 --> n2\n", 10000) + "```\n\n</details>\n\nfooter\n"},
		{"one huge line", "### plan\n" + strings.Repeat("x", 70000) + "\nend\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t)
			c := gh.client(t, token, zap.NewNop(), fast)
			if _, err := c.UpsertComment(context.Background(), githubstatus.Comment{Repo: "acme/x", PullRequest: 9, Body: tt.body}); err != nil {
				t.Fatal(err)
			}
			stored := gh.stored()
			if len(stored) != 1 {
				t.Fatalf("%d comments", len(stored))
			}
			got := stored[0].Body
			if len(got) > 65536 {
				t.Errorf("body has %d bytes, over GitHub's 65,536", len(got))
			}
			if !strings.HasPrefix(got, githubstatus.Marker+"\n### plan\n") {
				t.Errorf("body starts %q", got[:60])
			}
			if !strings.Contains(got, " more lines cut: the full plan is in the job record\n") {
				t.Errorf("no cut note at the end: %q", got[len(got)-120:])
			}
			fences, open := 0, strings.Count(got, "<details>")
			for _, l := range strings.Split(got, "\n") {
				if strings.HasPrefix(l, "```") {
					fences++
				}
			}
			if fences%2 != 0 || open != strings.Count(got, "</details>") {
				t.Errorf("a fence (%d) or a <details> (%d open) is left open", fences, open)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    []githubstatus.Option
		wantErr error
		want    githubstatus.Reporter
	}{
		{name: "no token logs only", want: &githubstatus.Logging{}},
		{name: "empty token logs only", opts: []githubstatus.Option{githubstatus.WithToken(" \n")}, want: &githubstatus.Logging{}},
		{name: "token", opts: []githubstatus.Option{githubstatus.WithToken(token + "\n")}, want: &githubstatus.Client{}},
		{name: "enterprise URL", opts: []githubstatus.Option{githubstatus.WithToken(token), githubstatus.WithBaseURL("https://ghe.example.com/api/v3")}, want: &githubstatus.Client{}},
		{name: "token with a space", opts: []githubstatus.Option{githubstatus.WithToken("ghp_a b")}, wantErr: githubstatus.ErrInvalidOption},
		{name: "URL with credentials", opts: []githubstatus.Option{githubstatus.WithBaseURL("https://u:p@api.github.com/")}, wantErr: githubstatus.ErrInvalidOption},
		{name: "URL without scheme", opts: []githubstatus.Option{githubstatus.WithBaseURL("api.github.com")}, wantErr: githubstatus.ErrInvalidOption},
		{name: "URL with query", opts: []githubstatus.Option{githubstatus.WithBaseURL("https://api.github.com/?x=1")}, wantErr: githubstatus.ErrInvalidOption},
		{name: "nil logger", opts: []githubstatus.Option{githubstatus.WithLogger(nil)}, wantErr: githubstatus.ErrInvalidOption},
		{name: "zero attempts", opts: []githubstatus.Option{githubstatus.WithRetryPolicy(githubstatus.RetryPolicy{BaseDelay: 1, MaxWait: 1})}, wantErr: githubstatus.ErrInvalidOption},
		{name: "max wait under base delay", opts: []githubstatus.Option{githubstatus.WithRetryPolicy(githubstatus.RetryPolicy{MaxAttempts: 1, BaseDelay: 2, MaxWait: 1})}, wantErr: githubstatus.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := githubstatus.New(tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "ghp_a") {
				t.Errorf("the error quotes the token: %v", err)
			}
			if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", tt.want) {
				t.Errorf("New returned %T, want %T", got, tt.want)
			}
		})
	}
}

func TestLoggingSendsNothingAndLogs(t *testing.T) {
	tests := []struct {
		name       string
		run        func(githubstatus.Reporter) error
		wantFields map[string]any
	}{
		{
			name: "status",
			run: func(r githubstatus.Reporter) error {
				return r.SetStatus(context.Background(), githubstatus.Status{Repo: "acme/x", SHA: sha, State: githubstatus.StateFailure, Description: "int_x failed"})
			},
			wantFields: map[string]any{"repo": "acme/x", "sha": sha, "state": "failure", "context": "shiftleft/deploy",
				"description": "int_x failed", "target_url": ""},
		},
		{
			name: "comment",
			run: func(r githubstatus.Reporter) error {
				id, err := r.UpsertComment(context.Background(), githubstatus.Comment{Repo: "acme/x", PullRequest: 5, Body: "plan"})
				if id != 0 {
					return fmt.Errorf("id %d, want 0", id)
				}
				return err
			},
			wantFields: map[string]any{"repo": "acme/x", "pull_request": int64(5), "body": githubstatus.Marker + "\nplan"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			r, err := githubstatus.New(githubstatus.WithLogger(zap.New(core)))
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.run(r); err != nil {
				t.Fatal(err)
			}
			if logs.Len() != 1 {
				t.Fatalf("%d log entries, want 1", logs.Len())
			}
			if diff := cmp.Diff(tt.wantFields, logs.All()[0].ContextMap()); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPullRequestHead: the head commit is read from GitHub's pull request,
// a 5xx is retried, a bad request sends nothing, and the logging reporter
// answers "unknown".
func TestPullRequestHead(t *testing.T) {
	serverError := fault{status: http.StatusBadGateway, body: `{"message":"Server Error"}`}
	tests := []struct {
		name     string
		token    string // "" for the logging reporter
		repo     string
		number   int
		faults   []fault
		want     string
		wantErr  error
		wantSent int
	}{
		{name: "head", token: token, repo: "acme/x", number: 7, want: sha, wantSent: 1},
		{name: "5xx retried", token: token, repo: "acme/x", number: 7, faults: []fault{serverError}, want: sha, wantSent: 2},
		{name: "404 not retried", token: token, repo: "acme/x", number: 7,
			faults: []fault{{status: http.StatusNotFound, body: `{"message":"Not Found"}`}}, wantErr: githubstatus.ErrNotFound, wantSent: 1},
		{name: "bad repo", token: token, repo: "acme/../x", number: 7, wantErr: githubstatus.ErrInvalidRequest},
		{name: "bad number", token: token, repo: "acme/x", number: 0, wantErr: githubstatus.ErrInvalidRequest},
		{name: "logging reporter", repo: "acme/x", number: 7, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := newFakeGitHub(t)
			gh.head = sha
			gh.fail(routePullRequest, tt.faults...)
			c := gh.client(t, tt.token, zap.NewNop(), fast)
			got, err := c.PullRequestHead(context.Background(), tt.repo, tt.number)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("head %q, want %q", got, tt.want)
			}
			if n := len(gh.received()); n != tt.wantSent {
				t.Errorf("%d requests, want %d", n, tt.wantSent)
			}
		})
	}
}
