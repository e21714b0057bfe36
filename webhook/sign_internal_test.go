package webhook

import "testing"

// The example of GitHub's "Validating webhook deliveries" documentation.
func TestSignMatchesGitHubsExample(t *testing.T) {
	got := Sign("It's a Secret to Everybody", []byte("Hello, World!"))
	if want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
