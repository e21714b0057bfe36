package webhook

import (
	"errors"
	"mime"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// verify reads the body within limit and checks its X-Hub-Signature-256
// with go-github, returning the JSON payload (a form-encoded delivery's
// "payload" field), or why it was rejected.
func verify(w http.ResponseWriter, r *http.Request, secret []byte, limit int64) ([]byte, *rejection) {
	// GitHub sends one of these two; checked first because go-github reports
	// any other type as a failed validation, which would read as a bad
	// signature.
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media != "application/json" && media != "application/x-www-form-urlencoded" {
		return nil, reject(outcomeUnsupported, "unsupported Content-Type %q: GitHub sends application/json", r.Header.Get("Content-Type"))
	}
	// go-github falls back to the SHA-1 X-Hub-Signature when this header is
	// missing; only SHA-256 is accepted.
	if r.Header.Get(github.SHA256SignatureHeader) == "" {
		return nil, reject(outcomeUnauthorized, "missing %s header", github.SHA256SignatureHeader)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	payload, err := github.ValidatePayload(r, secret)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, reject(outcomeTooLarge, "body larger than %d bytes", limit)
	case err != nil:
		// err may quote the signature header: it goes nowhere.
		return nil, reject(outcomeUnauthorized, "signature check failed")
	}
	return payload, nil
}
