package githubstatus_test

import (
	"context"
	"net/http"
	"testing"

	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/githubstatus"
)

func TestBranchTip(t *testing.T) {
	serverError := fault{status: http.StatusBadGateway, body: `{"message":"Server Error"}`}
	tests := []struct {
		name, repo, branch string
		faults             []fault
		want               string
		wantErr            error
		wantSent           int
	}{
		{name: "tip", repo: "acme/x", branch: "main", want: sha, wantSent: 1},
		{name: "5xx retried", repo: "acme/x", branch: "main", faults: []fault{serverError}, want: sha, wantSent: 2},
		{name: "no such branch", repo: "acme/x", branch: "gone", wantErr: githubstatus.ErrNotFound, wantSent: 1},
		{name: "bad repo", repo: "acme", branch: "main", wantErr: githubstatus.ErrInvalidRequest},
		{name: "no branch", repo: "acme/x", branch: "", wantErr: githubstatus.ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := newFakeGitHub(t)
			gh.head = sha
			gh.fail(routeBranch, tt.faults...)
			c := gh.client(t, token, zap.NewNop(), fast).(*githubstatus.Client)
			got, err := c.BranchTip(context.Background(), tt.repo, tt.branch)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("tip %q, want %q", got, tt.want)
			}
			if n := len(gh.received()); n != tt.wantSent {
				t.Errorf("%d requests, want %d", n, tt.wantSent)
			}
		})
	}
}
