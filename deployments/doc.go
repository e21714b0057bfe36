// Package deployments reads the live state the planner needs ([ReadLive]):
// the environment's statements, with the fingerprint label shiftleft puts on
// those it creates, and its compute pools.
package deployments
