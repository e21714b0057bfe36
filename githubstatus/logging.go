package githubstatus

import (
	"context"

	"go.uber.org/zap"
)

// Logging is the [Reporter] used when no GitHub token is configured: it
// checks and logs what it would send, and sends nothing.
type Logging struct {
	log *zap.Logger
}

// SetStatus logs the status.
func (l *Logging) SetStatus(_ context.Context, s Status) error {
	s, err := s.normalize()
	if err != nil {
		return err
	}
	l.log.Info("commit status not sent: no GitHub token", s.fields()...)
	return nil
}

// UpsertComment logs the comment, body included, and returns 0.
func (l *Logging) UpsertComment(_ context.Context, c Comment) (int64, error) {
	c, err := c.normalize()
	if err != nil {
		return 0, err
	}
	l.log.Info("pull request comment not sent: no GitHub token",
		zap.String("repo", c.Repo), zap.Int("pull_request", c.PullRequest), zap.String("body", c.Body))
	return 0, nil
}

// PullRequestHead cannot ask GitHub: it returns "", "unknown".
func (l *Logging) PullRequestHead(_ context.Context, repo string, number int) (string, error) {
	_, _, err := splitPullRequest(repo, number)
	return "", err
}
