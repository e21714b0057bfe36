package githubstatus

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/go-github/v60/github"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/backoff"
)

// Client posts statuses and comments through GitHub's REST API. It is safe
// for concurrent use.
type Client struct {
	gh    *github.Client
	log   *zap.Logger
	retry RetryPolicy
	token string
}

// New returns a [*Client] when [WithToken] gives a token, else a [*Logging]
// reporter: GitHub is optional until configured (DESIGN §4).
func New(opts ...Option) (Reporter, error) {
	o := options{
		logger: zap.NewNop(),
		retry:  RetryPolicy{MaxAttempts: defaultAttempts, BaseDelay: defaultBaseDelay, MaxWait: defaultMaxWait},
	}
	o.baseURL, _ = url.Parse(defaultBaseURL)
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	log := o.logger.Named("githubstatus")
	if o.token == "" {
		return &Logging{log: log}, nil
	}
	gh := github.NewClient(&http.Client{Timeout: defaultHTTPTimeout}).WithAuthToken(o.token)
	gh.BaseURL = o.baseURL
	gh.UserAgent = userAgent
	return &Client{gh: gh, log: log, retry: o.retry, token: o.token}, nil
}

// SetStatus creates a commit status. A rate limit, a 5xx or a lost answer is
// retried (a status sent twice is harmless: the newest one counts).
func (c *Client) SetStatus(ctx context.Context, s Status) error {
	s, err := s.normalize()
	if err != nil {
		return err
	}
	owner, name, _ := splitRepo(s.Repo)
	status := &github.RepoStatus{State: github.String(string(s.State)), Context: github.String(s.Context)}
	if s.Description != "" {
		status.Description = github.String(s.Description)
	}
	if s.TargetURL != "" {
		status.TargetURL = github.String(s.TargetURL)
	}
	op := fmt.Sprintf("set status %s on %s@%s", s.State, s.Repo, shortSHA(s.SHA))
	err = c.call(ctx, op, true, func(ctx context.Context) (*github.Response, error) {
		_, resp, err := c.gh.Repositories.CreateStatus(ctx, owner, name, s.SHA, status)
		return resp, err
	})
	if err != nil {
		return err
	}
	c.log.Info("commit status set", s.fields()...)
	return nil
}

// UpsertComment edits the pull request's comment that starts with [Marker],
// or creates it. A create whose answer is lost (5xx, broken connection) may
// have reached GitHub, so it is not sent again blindly: the comments are
// listed again first, and the one found is edited. Two jobs of one pull
// request must not run at once (the worker's lock per pull request sees to
// it), or both may create a comment.
func (c *Client) UpsertComment(ctx context.Context, cm Comment) (int64, error) {
	cm, err := cm.normalize()
	if err != nil {
		return 0, err
	}
	owner, name, _ := splitRepo(cm.Repo)
	where := fmt.Sprintf("%s#%d", cm.Repo, cm.PullRequest)
	log := c.log.With(zap.String("repo", cm.Repo), zap.Int("pull_request", cm.PullRequest), zap.Int("body_bytes", len(cm.Body)))
	body := &github.IssueComment{Body: github.String(cm.Body)}
	for attempt := 1; ; attempt++ {
		id, err := c.findComment(ctx, where, owner, name, cm.PullRequest)
		if err != nil {
			return 0, err
		}
		if id != 0 {
			err := c.call(ctx, "edit comment on "+where, true, func(ctx context.Context) (*github.Response, error) {
				_, resp, err := c.gh.Issues.EditComment(ctx, owner, name, id, body)
				return resp, err
			})
			if err != nil {
				return 0, err
			}
			log.Info("plan comment edited", zap.Int64("comment_id", id))
			return id, nil
		}
		var created *github.IssueComment
		err = c.call(ctx, "create comment on "+where, false, func(ctx context.Context) (*github.Response, error) {
			var resp *github.Response
			var err error
			created, resp, err = c.gh.Issues.CreateComment(ctx, owner, name, cm.PullRequest, body)
			return resp, err
		})
		if err == nil {
			log.Info("plan comment created", zap.Int64("comment_id", created.GetID()))
			return created.GetID(), nil
		}
		if !mayHaveActed(ctx, err) || attempt >= c.retry.MaxAttempts {
			return 0, err
		}
		wait := c.retry.backoff(attempt)
		log.Warn("comment create got no answer; looking for it before another try",
			zap.Int("attempt", attempt), zap.Duration("wait", wait), zap.Error(err))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}

// PullRequestHead reads the pull request and returns its head commit's SHA.
// Reading is safe to retry.
func (c *Client) PullRequestHead(ctx context.Context, repo string, number int) (string, error) {
	owner, name, err := splitPullRequest(repo, number)
	if err != nil {
		return "", err
	}
	var pr *github.PullRequest
	err = c.call(ctx, fmt.Sprintf("read pull request %s#%d", repo, number), true, func(ctx context.Context) (*github.Response, error) {
		var resp *github.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Get(ctx, owner, name, number)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return pr.GetHead().GetSHA(), nil
}

// findComment returns the id of the oldest comment of the pull request whose
// first line is the marker, or 0. It reads the pages, 100 comments each,
// until it finds one.
func (c *Client) findComment(ctx context.Context, where, owner, name string, number int) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.IssueComment
		var next int
		err := c.call(ctx, "list comments of "+where, true, func(ctx context.Context) (*github.Response, error) {
			var resp *github.Response
			var err error
			page, resp, err = c.gh.Issues.ListComments(ctx, owner, name, number, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return 0, err
		}
		for _, cm := range page {
			if hasMarker(cm.GetBody()) {
				return cm.GetID(), nil
			}
		}
		if next == 0 {
			return 0, nil
		}
		opts.Page = next
	}
}
