package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Sign computes the X-Hub-Signature-256 header GitHub sends with body, for
// whatever plays GitHub: the demo, the benchmarks, tests. The handler checks
// signatures with go-github, not with this.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
