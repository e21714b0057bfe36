package jobs

import (
	"errors"
	"strings"
	"testing"
)

func TestStartEmbeddedOptions(t *testing.T) {
	tests := []struct {
		name    string
		dir     string
		opts    []ServerOption
		wantErr error
	}{
		{"no directory", "", nil, ErrInvalidArgument},
		{"listen address without port", "d", []ServerOption{WithListen("127.0.0.1")}, ErrInvalidOption},
		{"listen port out of range", "d", []ServerOption{WithListen("127.0.0.1:70000")}, ErrInvalidOption},
		{"nil logger", "d", []ServerOption{WithServerLogger(nil)}, ErrInvalidOption},
		{"no client allowed", "d", []ServerOption{WithMaxClients(0)}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := StartEmbedded(tt.dir, tt.opts...)
			if err == nil {
				srv.Shutdown()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("StartEmbedded = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

func TestConnectOptions(t *testing.T) {
	srv := startServer(t)
	tests := []struct {
		name    string
		connect func() error
		wantErr error
	}{
		{"no URL", func() error { _, err := Connect(""); return err }, ErrInvalidArgument},
		{"empty client name", func() error { _, err := srv.Connect(WithClientName(" ")); return err }, ErrInvalidOption},
		{"nil logger", func() error { _, err := srv.Connect(WithConnectLogger(nil)); return err }, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.connect(); !errors.Is(err, tt.wantErr) {
				t.Errorf("connect = %v; want %v", err, tt.wantErr)
			}
		})
	}
}

// TestEmbeddedListens: a server asked to listen takes jobs published by
// another process over TCP; one that does not listen has no URL.
func TestEmbeddedListens(t *testing.T) {
	if url := startServer(t).ClientURL(); url != "" {
		t.Errorf("ClientURL of an in-process server = %q; want none", url)
	}

	srv := startServer(t, WithListen("127.0.0.1:0"), WithServerLogger(testLogger(t)))
	url := srv.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("ClientURL = %q; want nats://127.0.0.1:<a free port>", url)
	}
	nc, err := Connect(url, WithClientName("shiftleft webhook"), WithConnectLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("Connect(%s): %v", url, err)
	}
	t.Cleanup(nc.Close)
	if got := nc.Opts.Name; got != "shiftleft webhook" {
		t.Errorf("client name = %q", got)
	}
	overTCP := newQueue(t, nc, fast(t)...)
	inProcess := newQueue(t, connectTo(t, srv), fast(t)...)
	job := publish(t, overTCP, testJob("d-tcp"))
	if got, err := inProcess.Get(testCtx(t), job.ID); err != nil || got.DeliveryID != "d-tcp" {
		t.Errorf("in-process Get = %+v, %v; want the job published over TCP", got, err)
	}
}

func TestNewQueueNeedsAConnection(t *testing.T) {
	if _, err := NewQueue(testCtx(t), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NewQueue(nil) = %v; want ErrInvalidArgument", err)
	}
}
