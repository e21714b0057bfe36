package credurl

import (
	"errors"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	const token = "ghp_0123456789abcdef"
	tests := []struct {
		name, url, want string
		user, password  string // the credentials taken out; "" user: none
		wantErr         error
	}{
		{name: "clean https", url: "https://github.com/o/r.git", want: "https://github.com/o/r.git"},
		{name: "user and token", url: "https://x-access-token:" + token + "@github.com/o/r.git", want: "https://github.com/o/r.git",
			user: "x-access-token", password: token},
		{name: "token as the user", url: "https://" + token + "@github.com/o/r.git", want: "https://github.com/o/r.git", user: token},
		{name: "http with a port", url: "http://bot:s3cret@127.0.0.1:8080/git/r.git", want: "http://127.0.0.1:8080/git/r.git",
			user: "bot", password: "s3cret"},
		{name: "escaped password", url: "https://bot:p%40ss%2Fw@host/r.git", want: "https://host/r.git", user: "bot", password: "p@ss/w"},
		{name: "upper-case scheme", url: "HTTPS://bot:pw@host/r.git", want: "https://host/r.git", user: "bot", password: "pw"},
		{name: "ssh login kept", url: "ssh://git@github.com/o/r.git", want: "ssh://git@github.com/o/r.git"},
		{name: "ssh password taken", url: "ssh://deploy:pw@host:2222/r.git", want: "ssh://deploy@host:2222/r.git",
			user: "deploy", password: "pw"},
		{name: "file URL", url: "file:///srv/git/r.git", want: "file:///srv/git/r.git"},
		{name: "local path", url: "/srv/git/r.git", want: "/srv/git/r.git"},
		{name: "scp-like", url: "git@github.com:o/r.git", want: "git@github.com:o/r.git"},
		{name: "unparsable", url: "https://bot:" + token + "%zz@host/r.git", wantErr: ErrUnparsable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, creds, err := Split(tt.url)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Split: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), token) {
					t.Errorf("the error quotes the token: %v", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("URL %q, want %q", got, tt.want)
			}
			switch {
			case tt.user == "" && creds != nil:
				t.Errorf("credentials %v, want none", creds)
			case tt.user != "":
				pw, _ := creds.Password()
				if creds.Username() != tt.user || pw != tt.password {
					t.Errorf("credentials %q:%q, want %q:%q", creds.Username(), pw, tt.user, tt.password)
				}
			}
		})
	}
}
