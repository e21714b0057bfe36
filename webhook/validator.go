package webhook

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/google/go-github/v60/github"
)

// verify reads the body within limit and checks its X-Hub-Signature-256
// with go-github, returning the JSON payload (a form-encoded delivery's
// "payload" field), or why it was rejected. The signature covers the body
// as sent, so it is checked before the body is read as a form: an unsigned
// sender learns nothing but 401.
func verify(w http.ResponseWriter, r *http.Request, secret []byte, limit int64) ([]byte, *rejection) {
	// GitHub sends one of these two; checked first because anything else
	// would read as a bad signature.
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media != "application/json" && media != formMedia {
		return nil, reject(outcomeUnsupported, "unsupported Content-Type %q: GitHub sends application/json", r.Header.Get("Content-Type"))
	}
	// go-github falls back to the SHA-1 X-Hub-Signature when this header is
	// missing; only SHA-256 is accepted.
	signature := r.Header.Get(github.SHA256SignatureHeader)
	if signature == "" {
		return nil, reject(outcomeUnauthorized, "missing %s header", github.SHA256SignatureHeader)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, reject(outcomeTooLarge, "body larger than %d bytes", limit)
	case err != nil:
		return nil, reject(outcomeBadRequest, "body not received: %v", err)
	}
	if github.ValidateSignature(signature, body, secret) != nil {
		// The error may quote the signature header: it goes nowhere.
		return nil, reject(outcomeUnauthorized, "signature check failed")
	}
	if media == "application/json" {
		return body, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, reject(outcomeBadRequest, "malformed form-encoded body: %v", err)
	}
	payload := form.Get(formPayload)
	if payload == "" {
		return nil, reject(outcomeBadRequest, "form-encoded delivery without a %q field: GitHub puts the JSON payload there", formPayload)
	}
	return []byte(payload), nil
}

// GitHub's form encoding of a delivery: its JSON in the payload field.
const (
	formMedia   = "application/x-www-form-urlencoded"
	formPayload = "payload"
)
