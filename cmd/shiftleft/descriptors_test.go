package main

import (
	"strings"
	"testing"

	"github.com/shiftleft/shiftleft/webhook"
)

func TestPlanDescriptors(t *testing.T) {
	tests := []struct {
		name        string
		limit       uint64
		servers     int
		natsListens bool
		conns       int
		wantConns   int
		wantNATS    int
		wantErr     string
	}{
		{name: "a large limit: the defaults", limit: 1 << 20, servers: 2, natsListens: true, wantConns: webhook.DefaultMaxConnections, wantNATS: maxNATSClients},
		{name: "an unknown limit: the defaults", limit: 0, servers: 2, natsListens: true, wantConns: webhook.DefaultMaxConnections, wantNATS: maxNATSClients},
		{name: "a small limit is shared out", limit: 4096, servers: 2, wantConns: (4096-storeReserve)/2 - webhook.Descriptors(0)},
		{name: "NATS clients take their share first", limit: 4096, servers: 1, natsListens: true,
			wantConns: 4096 - storeReserve - (4096-storeReserve)/8 - webhook.Descriptors(0), wantNATS: (4096 - storeReserve) / 8},
		{name: "a worker without HTTP", limit: 1024, servers: 0, wantConns: webhook.DefaultMaxConnections},
		{name: "connections given that fit", limit: 20000, servers: 2, conns: 5000, wantConns: 5000},
		{name: "connections given that do not fit", limit: 4096, servers: 2, conns: 4096,
			wantErr: "the open-file limit (ulimit -n) is 4096, and this process needs"},
		{name: "a limit too low for anything", limit: 256, servers: 1,
			wantErr: "raise the limit or lower --max-connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planDescriptors(tt.limit, tt.servers, tt.natsListens, tt.conns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.conns != tt.wantConns || p.natsClients != tt.wantNATS {
				t.Errorf("%d connections per server, %d NATS clients; want %d, %d", p.conns, p.natsClients, tt.wantConns, tt.wantNATS)
			}
			if tt.limit > 0 && uint64(tt.servers*webhook.Descriptors(p.conns)+p.natsClients+storeReserve) > tt.limit {
				t.Errorf("the plan %+v does not fit the limit", p)
			}
		})
	}
}
