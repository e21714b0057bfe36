package githubstatus

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
)

// Reporter posts a job's outcome to GitHub. [Client] talks to the API;
// [Logging] only logs.
type Reporter interface {
	// SetStatus sets a commit status. A bad Status is an error wrapping
	// [ErrInvalidRequest]; nothing is sent.
	SetStatus(ctx context.Context, s Status) error
	// UpsertComment edits the pull request's comment that starts with
	// [Marker], or creates it when there is none, and returns its id (0 from
	// [Logging]). A bad Comment is an error wrapping [ErrInvalidRequest].
	UpsertComment(ctx context.Context, c Comment) (commentID int64, err error)
	// PullRequestHead returns the SHA of the pull request's head commit as
	// GitHub has it now, or "" when the reporter cannot know ([Logging]).
	// A plan worker asks before it posts: a plan of an older push must not
	// overwrite the newer one's comment.
	PullRequestHead(ctx context.Context, repo string, number int) (sha string, err error)
}

var (
	_ Reporter = (*Client)(nil)
	_ Reporter = (*Logging)(nil)
)

// State is a commit status state.
type State string

const (
	StatePending State = "pending"
	StateSuccess State = "success"
	StateFailure State = "failure"
	StateError   State = "error"
)

// DefaultContext is the status context when [Status] gives none.
const DefaultContext = "shiftleft/deploy"

// maxDescription is GitHub's limit on a status description, in characters.
const maxDescription = 140

// Status is a commit status.
type Status struct {
	Repo    string // owner/name
	SHA     string // the full commit SHA
	State   State
	Context string // default DefaultContext
	// Description is one line; a longer one is cut to 140 characters with
	// "…" rather than refused, as a failure's message can be long.
	Description string
	TargetURL   string // optional: an http(s) link, e.g. to the job
}

// Comment is the one shiftleft comment of a pull request.
type Comment struct {
	Repo        string // owner/name
	PullRequest int
	// Body is Markdown, such as [RenderPlanComment] gives. [Marker] is put on
	// its first line when missing; a body over GitHub's limit is cut at a
	// line, with a note saying how many lines were cut.
	Body string
}

var (
	// GitHub's rules for account and repository names; checking them also
	// keeps a slash or ".." out of the API paths go-github builds.
	ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// A SHA-1 commit, or a SHA-256 one.
	shaPattern = regexp.MustCompile(`^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$`)
)

func invalidRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}

// splitRepo checks an "owner/name" and splits it.
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || !ownerPattern.MatchString(owner) || !namePattern.MatchString(name) || name == "." || name == ".." {
		return "", "", invalidRequest("repository %q is not owner/name", repo)
	}
	return owner, name, nil
}

// splitPullRequest checks an "owner/name" and a pull request number, and
// splits the repository.
func splitPullRequest(repo string, number int) (owner, name string, err error) {
	if owner, name, err = splitRepo(repo); err != nil {
		return "", "", err
	}
	if number <= 0 {
		return "", "", invalidRequest("pull request number %d", number)
	}
	return owner, name, nil
}

// normalize checks a status and fills its defaults, so that both reporters
// accept and show the same thing.
func (s Status) normalize() (Status, error) {
	if _, _, err := splitRepo(s.Repo); err != nil {
		return s, err
	}
	if !shaPattern.MatchString(s.SHA) {
		return s, invalidRequest("commit %q is not a full SHA", s.SHA)
	}
	switch s.State {
	case StatePending, StateSuccess, StateFailure, StateError:
	default:
		return s, invalidRequest("status state %q is not pending, success, failure or error", s.State)
	}
	if s.TargetURL != "" {
		u, err := url.Parse(s.TargetURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, invalidRequest("target URL %q is not an http(s) URL", s.TargetURL)
		}
	}
	if s.Context == "" {
		s.Context = DefaultContext
	}
	s.Description = cutDescription(s.Description)
	return s, nil
}

// cutDescription puts the description on one line and cuts it to GitHub's
// 140 characters, ending with "…" when cut.
func cutDescription(d string) string {
	d = strings.Join(strings.Fields(d), " ")
	if utf8.RuneCountInString(d) <= maxDescription {
		return d
	}
	return string([]rune(d)[:maxDescription-1]) + "…"
}

func (s Status) fields() []zap.Field {
	return []zap.Field{
		zap.String("repo", s.Repo), zap.String("sha", s.SHA), zap.String("state", string(s.State)),
		zap.String("context", s.Context), zap.String("description", s.Description), zap.String("target_url", s.TargetURL),
	}
}

// normalize checks a comment, puts the marker on its first line and fits it
// in GitHub's limit.
func (c Comment) normalize() (Comment, error) {
	if _, _, err := splitPullRequest(c.Repo, c.PullRequest); err != nil {
		return c, err
	}
	if strings.TrimSpace(c.Body) == "" {
		return c, invalidRequest("empty comment body")
	}
	if !hasMarker(c.Body) {
		c.Body = Marker + "\n" + c.Body
	}
	c.Body = fitComment(c.Body)
	return c, nil
}

// hasMarker reports whether a comment's first line is the marker. Only the
// first line counts: a reply quoting the comment has "> " before it.
func hasMarker(body string) bool {
	first, _, _ := strings.Cut(body, "\n")
	return strings.TrimSpace(first) == Marker
}
