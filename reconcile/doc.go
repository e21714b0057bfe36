// Package reconcile is the service's reconcile loop, as Argo CD's: every
// interval it reads the deploy branch's tip of each allowed repository and
// queues a deploy job for a tip that is not deployed and has no job (a push
// whose webhook GitHub never delivered, or delivered while the service was
// down: GitHub does not redeliver a failed delivery), and compares what runs
// with the deployed commit's desired state, table by table (drift). With
// self-heal on, drifted tables are redeployed through a deploy job.
//
// One reconciler runs at a time across the processes sharing the queue: it
// holds a lease, a lock in the queue's locks bucket whose TTL it refreshes;
// a holder that dies loses it after the TTL and another process takes it.
package reconcile
