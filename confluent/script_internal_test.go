package confluent

import "testing"

// TestSkippedTestLeavesItsScriptUnchecked runs a scripted test where the
// shared specs are absent: it must skip, and its unplayed script must not
// fail it afterwards (a plain clone has no ../shared beside it).
func TestSkippedTestLeavesItsScriptUnchecked(t *testing.T) {
	t.Setenv("SHIFTLEFT_SHARED", t.TempDir())
	var sub *testing.T
	passed := t.Run("without the specs", func(t *testing.T) {
		sub = t
		_, srv := newScript(t, exchange{method: "GET", path: stmtPath + "/orders-v2", status: 200})
		newTestClient(t, srv.URL)
		t.Error("the test went on without the specs")
	})
	if !passed || !sub.Skipped() {
		t.Errorf("without the specs the test passed %v, skipped %v; want a clean skip", passed, sub.Skipped())
	}
}
