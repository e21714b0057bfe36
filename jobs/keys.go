package jobs

import (
	"regexp"
	"strings"
)

// nameRe: letters, digits, - and _, which every NATS name rule (stream,
// consumer, bucket) and a KV key token accept. Job ids match it too.
var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// KV keys. A NATS KV key may hold only letters, digits and - _ = / . (a dot
// separates tokens, so none at either end and never two in a row). Repo
// names (owner/name, may start with a dot), branches (slashes, dots, any
// Unicode) and delivery ids are escaped with [escapeKey]; keys are then:
//
//	shiftleft-jobs      job.<id>                 the Job record (ids are ULIDs)
//	                    delivery.<delivery id>   -> job id, for deduplication
//	                    commit.<repo>.<branch>.<sha> -> a push's deploy job
//	                    heal.<repo>.<branch>     -> the latest self-heal job
//	shiftleft-locks     <lock key>               a lock with its own TTL
//	shiftleft-deployed  <repo>.<branch>          the last deployed commit
//	                    drift.<repo>.<env>       the reconciler's drift report
const (
	jobKeyPrefix      = "job."
	deliveryKeyPrefix = "delivery."
)

// jobKey needs no escaping: [Job.Validate] allows ids of key characters only.
func jobKey(id string) string { return jobKeyPrefix + id }

func deliveryKey(deliveryID string) string { return deliveryKeyPrefix + escapeKey(deliveryID) }

func deployedKey(repo, branch string) string { return escapeKey(repo) + "." + escapeKey(branch) }

// escapeKey keeps ASCII letters, digits, - and _ and writes every other byte
// as =XX (upper-case hex), = itself included: the result is a valid single
// KV token, readable for the usual names (acme=2Fshop, feature=2Fx=2E1), and
// distinct inputs never share a key. Callers refuse empty names, which
// would make an empty token.
func escapeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
	return b.String()
}
