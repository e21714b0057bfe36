//go:build !full

package worker_test

// The size of TestClusterLeaderKilled in make test: a few pushes, the
// leader killed after the second and started again after the fourth.
const clusterPushes, clusterKillAt, clusterRestartAt = 5, 1, 3
