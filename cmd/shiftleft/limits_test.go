package main

import (
	"strings"
	"testing"
)

// TestDeploySettleReport: a deploy watching its statements settle says for
// how long, and names what runs and the running table it left unchanged.
func TestDeploySettleReport(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	tg.mustDeploy(t, dir, "--table-name", "src")
	r := tg.mustDeploy(t, dir, "--table-name", "mid", "--settle", "50ms")
	for _, want := range []string{"running (1): mid", "running, left unchanged (1): src", "watched for 50ms after the last step"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout does not say %q:\n%s", want, r.stdout)
		}
	}
}

func TestDeployWaitFlags(t *testing.T) {
	tg, dir := newTarget(t), pipelineTree(t)
	for _, bad := range [][]string{{"--pending-timeout", "0s"}, {"--settle", "-1s"}, {"--settle", "soon"}} {
		if r := tg.deploy(t, dir, append([]string{"--table-name", "mid"}, bad...)...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, r.code, exitUsage, r.stderr)
		}
	}
}
