package webhook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// guarded serves h on loopback through a Server with the given bounds.
func guarded(t *testing.T, h http.Handler, opts ...ServerOption) (*Server, string) {
	t.Helper()
	s, err := NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s, ln.Addr().String()
}

// until polls cond for up to 10 s.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (s *Server) counts() (open, inFlight int) {
	s.guard.mu.Lock()
	defer s.guard.mu.Unlock()
	return s.guard.open, s.guard.inFlight
}

// dial opens a connection and waits until the server holds open of them.
func dial(t *testing.T, s *Server, addr string, open int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	until(t, fmt.Sprintf("%d connections", open), func() bool { n, _ := s.counts(); return n == open })
	return c
}

// closedByServer reports whether the server closed c (a read ends without
// an answer) rather than keeping it open (the read times out).
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// roundTrip sends a request on c and reads the answer.
func roundTrip(t *testing.T, c net.Conn, method, path, body string) (*http.Response, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(answer)
}

// echo answers the length of the body it read.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, len(b))
})

func TestAFullServerClosesTheConnectionIdleOrWaitingLongest(t *testing.T) {
	s, addr := guarded(t, echo, WithMaxConnections(3), WithMaxInFlight(1))
	headers := dial(t, s, addr, 1) // the oldest: sends nothing
	idle := dial(t, s, addr, 2)
	if res, _ := roundTrip(t, idle, "GET", "/", ""); res.StatusCode != 200 {
		t.Fatalf("answer %d", res.StatusCode)
	}
	waiting := dial(t, s, addr, 3)
	// Full: the idle connection goes first, although it is younger.
	newcomer := dial(t, s, addr, 3)
	if !closedByServer(idle) || closedByServer(headers) || closedByServer(waiting) {
		t.Fatal("the idle connection was not the one closed")
	}
	// Then the one waiting for its headers longest.
	last := dial(t, s, addr, 3)
	if !closedByServer(headers) || closedByServer(waiting) {
		t.Fatal("the oldest connection sending nothing was not closed")
	}
	for _, c := range []net.Conn{newcomer, last} {
		if res, _ := roundTrip(t, c, "POST", "/", "hello"); res.StatusCode != 200 {
			t.Errorf("newcomer's answer %d", res.StatusCode)
		}
	}
}

func TestANewRequestTakesTheSlotOfTheSlowestBody(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, addr := guarded(t, echo, WithMaxConnections(10), WithMaxInFlight(2), WithServerMetrics(reg, "test"))
	open := 0
	slowBody := func() net.Conn {
		open++
		c := dial(t, s, addr, open)
		_, before := s.counts()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
		until(t, "the body in flight", func() bool { _, f := s.counts(); return f == before+1 })
		return c
	}
	legit := func() {
		t.Helper()
		open++
		if res, got := roundTrip(t, dial(t, s, addr, open), "POST", "/", "a whole body"); res.StatusCode != 200 || got != "12" {
			t.Fatalf("a request beside slow bodies: %d %s", res.StatusCode, got)
		}
		open-- // the slow body it replaced
	}
	first, second := slowBody(), slowBody()
	legit()
	if !closedByServer(first) || closedByServer(second) {
		t.Fatal("the first request did not take the place of the oldest slow body")
	}
	third := slowBody()
	legit()
	if !closedByServer(second) || closedByServer(third) {
		t.Fatal("the second request did not take the place of the oldest slow body")
	}
	if got := value(s.guard.evicted.WithLabelValues("test", "body")); got != 2 {
		t.Errorf("shiftleft_http_evicted_total{state=body} = %v, want 2", got)
	}
}

func TestRequestsBeyondThoseBeingHandledGet503AtOnce(t *testing.T) {
	release := make(chan struct{})
	block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			<-release
		}
		fmt.Fprint(w, "done")
	})
	reg := prometheus.NewRegistry()
	s, addr := guarded(t, block, WithMaxConnections(4), WithMaxInFlight(1), WithServerMetrics(reg, "test"))
	first := dial(t, s, addr, 1)
	fmt.Fprintf(first, "GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
	until(t, "the first request handled", func() bool { _, f := s.counts(); return f == 1 })

	res, _ := roundTrip(t, dial(t, s, addr, 2), "GET", "/", "")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != shedRetryAfter {
		t.Errorf("beside a request being handled: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if got := value(s.guard.shed.WithLabelValues("test", "in_flight")); got != 1 {
		t.Errorf("shiftleft_http_shed_total{bound=in_flight} = %v, want 1", got)
	}
	close(release)
	res, err := http.ReadResponse(bufio.NewReader(first), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the first request: %v %v", res, err)
	}
}

// TestARefusedConnectionReads503: with no connection to close, a newcomer
// gets the whole 503 even though it already sent its request.
func TestARefusedConnectionReads503(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	g := newGuard(&serverOptions{name: "test", maxConns: 1, maxFlight: 1, reg: prometheus.NewRegistry()})
	busy := g.admit(&net.TCPConn{})
	if !g.begin(busy) || !g.received(busy) {
		t.Fatal("the first connection was not taken in flight")
	}
	go func() {
		c, err := ln.Accept()
		if err == nil {
			if g.admit(c) != nil {
				panic("admitted beyond the bound with nothing to close")
			}
			g.refuse(c)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != shedRetryAfter || !strings.Contains(string(body), "too many connections") {
		t.Errorf("%d %v %s", res.StatusCode, res.Header, body)
	}
}

func TestTheHandlerReadsTheBodyAsSent(t *testing.T) {
	s, addr := guarded(t, echo, WithMaxConnections(4))
	s.guard.o.maxBody = 8 // the rest of a longer body comes after what was read first
	c := dial(t, s, addr, 1)
	for _, body := range []string{"", "short", "exactly8", strings.Repeat("long body ", 100)} {
		if res, got := roundTrip(t, c, "POST", "/", body); res.StatusCode != 200 || got != strconv.Itoa(len(body)) {
			t.Errorf("%d-byte body: %d, the handler read %s bytes", len(body), res.StatusCode, got)
		}
	}
}

func TestNewServerRefusesBoundsThatCannotWork(t *testing.T) {
	for _, opts := range [][]ServerOption{
		{WithMaxConnections(1)},
		{WithMaxInFlight(0)},
		{WithMaxConnections(10), WithMaxInFlight(10)},
		{WithServerMetrics(nil, "x")},
	} {
		if _, err := NewServer(echo, opts...); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("err = %v, want ErrInvalidOption", err)
		}
	}
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

func TestCachedChecksOncePerInterval(t *testing.T) {
	calls := 0
	fail := errors.New("down")
	check := func(ctx context.Context) error {
		calls++
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fail
	}
	cached := Cached(time.Hour, check)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a prober that gave up: the check still runs to its end
	for range 3 {
		if err := cached(ctx); !errors.Is(err, fail) {
			t.Fatalf("cached check = %v, want the check's error", err)
		}
	}
	if calls != 1 {
		t.Errorf("%d checks within the interval, want 1", calls)
	}
	every := Cached(0, check)
	for range 3 {
		_ = every(context.Background())
	}
	if calls != 4 {
		t.Errorf("%d checks, want one per call with no interval", calls-1)
	}
}
