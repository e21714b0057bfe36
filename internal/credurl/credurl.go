// Package credurl separates the credentials written in a repository URL
// (https://user:token@host/path) from the URL, so that the URL alone is
// stored and logged while git gets the credentials through its auth option.
// The webhook, the job queue and the git cache share it, so that each of
// them cleans a URL the same way and a cleaned URL finds its credentials.
package credurl

import (
	"errors"
	"net/url"
	"strings"
)

// ErrUnparsable: a URL with a scheme that net/url cannot parse, whose
// credentials, if any, cannot be told apart. The error never quotes the
// URL, which may hold them.
var ErrUnparsable = errors.New("URL does not parse")

// Split returns rawURL without its credentials, and the credentials (nil
// when it carries none, and then the URL is rawURL unchanged).
//
// Over http, https and any scheme but ssh, the whole user information is a
// credential: a token may be written as the user name alone
// (https://TOKEN@github.com/...). Over ssh the user name is a login, not a
// secret, and stays in the URL; only a password is taken out. A local path
// or an scp-like address (git@host:path), which cannot hold a password, is
// returned as is.
func Split(rawURL string) (string, *url.Userinfo, error) {
	if !strings.Contains(rawURL, "://") {
		return rawURL, nil, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, ErrUnparsable
	}
	creds := u.User
	switch {
	case creds == nil:
		return rawURL, nil, nil
	case SSH(u.Scheme):
		if _, ok := creds.Password(); !ok {
			return rawURL, nil, nil
		}
		u.User = url.User(creds.Username())
	default:
		u.User = nil
	}
	return u.String(), creds, nil
}

// SSH reports whether scheme is one of the names git gives ssh.
func SSH(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "ssh", "git+ssh", "ssh+git":
		return true
	}
	return false
}
