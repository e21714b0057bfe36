package confluent

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseOffsets reads Kafka offsets as Confluent writes them in
// status.latest_offsets and in scan.startup.specific-offsets:
// "partition:0,offset:100;partition:1,offset:200", into offsets by
// partition. Anything else is an error naming the part it cannot read.
func ParseOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, part := range strings.Split(s, ";") {
		p, o, ok := strings.Cut(strings.TrimSpace(part), ",")
		pv, pok := strings.CutPrefix(strings.TrimSpace(p), "partition:")
		ov, ook := strings.CutPrefix(strings.TrimSpace(o), "offset:")
		pn, perr := strconv.ParseInt(pv, 10, 32)
		on, oerr := strconv.ParseInt(ov, 10, 64)
		if !ok || !pok || !ook || perr != nil || oerr != nil || pn < 0 || on < 0 {
			return nil, fmt.Errorf("offsets %q: %q is not partition:<n>,offset:<n>", s, part)
		}
		out[int32(pn)] = on
	}
	return out, nil
}
