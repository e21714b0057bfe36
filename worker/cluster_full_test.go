//go:build full

package worker_test

// The size of TestClusterLeaderKilled in make test-full: 20 pushes, the
// leader killed after the 7th and started again after the 14th.
const clusterPushes, clusterKillAt, clusterRestartAt = 20, 6, 13
