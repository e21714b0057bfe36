package githubstatus

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// BranchTip returns the commit branch points to on GitHub now, or an error
// wrapping [ErrNotFound] when the repository has no such branch (or the
// token cannot see it). Reading is safe to retry. The reconciler asks it
// for the deploy branch of every allowed repository.
func (c *Client) BranchTip(ctx context.Context, repo, branch string) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	if branch == "" {
		return "", invalidRequest("empty branch")
	}
	var b *github.Branch
	err = c.call(ctx, fmt.Sprintf("read branch %s of %s", branch, repo), true, func(ctx context.Context) (*github.Response, error) {
		var resp *github.Response
		var err error
		b, resp, err = c.gh.Repositories.GetBranch(ctx, owner, name, branch, 1)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	if b.GetCommit().GetSHA() == "" {
		return "", fmt.Errorf("read branch %s of %s: GitHub answered no commit", branch, repo)
	}
	return b.GetCommit().GetSHA(), nil
}
