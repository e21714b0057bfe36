package webhook

import (
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/internal/credurl"
)

// Defaults.
const (
	defaultDeployBranch = "main"
	// defaultMaxBodyBytes is GitHub's own cap on a webhook payload: GitHub
	// drops larger ones, so anything bigger is not GitHub.
	defaultMaxBodyBytes = 25 << 20
)

// Config is what [New] needs to receive webhooks.
type Config struct {
	// Secret is the webhook secret set on GitHub. Required: go-github skips
	// the check when both the secret and the signature are empty.
	Secret string
	// DeployBranch is the branch whose pushes deploy, as a name ("main",
	// the default), not a ref.
	DeployBranch string
	// Repos lists the repositories (owner/name, matched exactly but without
	// regard to case) whose events are accepted. At least one is required:
	// nothing is accepted unless listed.
	Repos []string
	// CloneURLs maps an allowed repository to the URL jobs clone it from
	// instead of the event's repository.clone_url (a mirror, a local path in
	// tests). Credentials written in a URL (https://user:token@host/...)
	// never reach a job: jobs carry the URL without them, and workers give
	// them to git from their own configuration.
	CloneURLs map[string]string
	// MaxBodyBytes caps a request body; 0 means 25 MiB, GitHub's maximum.
	MaxBodyBytes int64
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Registry receives the webhook counters and is served on /metrics
	// (a Registry rather than a Registerer, because /metrics also gathers
	// from it). Nil means a registry of the handler's own.
	Registry *prometheus.Registry
}

// repoName is GitHub's alphabet for owner/name.
var repoName = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$`)

// settings is a validated Config, in the form the handler uses.
type settings struct {
	secret    []byte
	deployRef string
	// allowed maps a lower-cased owner/name to its clone URL override ("" to
	// use the event's).
	allowed map[string]string
	maxBody int64
	log     *zap.Logger
	reg     *prometheus.Registry
}

func (c Config) validate() (settings, error) {
	s := settings{
		secret:    []byte(c.Secret),
		deployRef: "refs/heads/" + defaultDeployBranch,
		allowed:   make(map[string]string, len(c.Repos)),
		maxBody:   c.MaxBodyBytes,
		log:       c.Logger,
		reg:       c.Registry,
	}
	if c.Secret == "" {
		return settings{}, invalidConfig("a webhook secret is required")
	}
	if c.DeployBranch != "" {
		if strings.HasPrefix(c.DeployBranch, "refs/") {
			return settings{}, invalidConfig("deploy branch %q: give a branch name, not a ref", c.DeployBranch)
		}
		s.deployRef = "refs/heads/" + c.DeployBranch
	}
	if len(c.Repos) == 0 {
		return settings{}, invalidConfig("no repository allowed: list at least one owner/name")
	}
	for _, repo := range c.Repos {
		if !repoName.MatchString(repo) {
			return settings{}, invalidConfig("repository %q is not owner/name", repo)
		}
		s.allowed[strings.ToLower(repo)] = ""
	}
	for repo, url := range c.CloneURLs {
		key := strings.ToLower(repo)
		if _, ok := s.allowed[key]; !ok {
			return settings{}, invalidConfig("clone URL given for %q, which is not an allowed repository", repo)
		}
		if url == "" {
			return settings{}, invalidConfig("empty clone URL for %q", repo)
		}
		clean, _, err := credurl.Split(url)
		if err != nil {
			return settings{}, invalidConfig("clone URL for %q: %v", repo, err)
		}
		s.allowed[key] = clean
	}
	switch {
	case c.MaxBodyBytes < 0:
		return settings{}, invalidConfig("negative body size limit %d", c.MaxBodyBytes)
	case c.MaxBodyBytes == 0:
		s.maxBody = defaultMaxBodyBytes
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	return s, nil
}
