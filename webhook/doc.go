// Package webhook receives GitHub webhooks and turns them into queued jobs.
//
// One request goes through three steps, each its own function in the manner
// of Atlantis' controller, validator and parser: [Handler] owns HTTP only and
// maps outcomes to status codes; verify (validator.go) reads the body within
// its limit and checks X-Hub-Signature-256 with go-github; parse (parser.go)
// decodes the few payload members it needs, in GitHub's names, and returns
// shiftleft terms. A job is handed to a [Publisher], and
// GitHub gets a 2xx only once the publisher says the queue holds the job.
//
// The order of the checks is the order of trust: the content type and the
// signature come first, so an unsigned request learns nothing else; then the
// delivery and event headers; then the payload. A ping is answered whatever
// repository it names (it proves the secret matches, and an organization hook
// pings with no repository). Every push and pull_request, even one that would
// be ignored, is refused when its repository is not allowed, so a hook
// installed on the wrong repository shows up as failed deliveries in GitHub.
// Other events are ignored without being read further than checking the JSON.
//
// A pull request is planned from its base repository (the one the hook
// belongs to and the allow-list names): the job's Repo and CloneURL are the
// base repository's, and After is the head commit, which GitHub also serves
// from the base repository as refs/pull/<number>/head — so a pull request from
// a fork is planned without ever cloning the fork. Plans only read SQL, they
// never deploy, so fork pull requests are accepted.
package webhook
