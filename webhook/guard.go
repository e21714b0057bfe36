package webhook

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// connState is where a connection of a [Server] is, as its guard sees it.
type connState int

const (
	// stateHeaders: accepted, its first request's headers arriving.
	stateHeaders connState = iota
	// stateIdle: between two requests of a kept-alive connection, or
	// receiving the next one's headers (net/http tells the two apart only
	// once the headers are in).
	stateIdle
	// stateBody: headers read, body arriving. In flight.
	stateBody
	// stateHandling: request received, the handler at work. In flight.
	stateHandling
	// stateAnswered: the handler returned, the answer is being flushed.
	stateAnswered
	stateClosed
)

// evictable are the states whose connections can be closed to make room,
// the first to go first; each has its list, oldest first.
var evictable = [...]connState{stateIdle, stateHeaders, stateBody}

// maxRefusing bounds the connections being answered 503 at once, each
// holding a descriptor for up to refuseLinger; beyond it they are closed
// without an answer.
const maxRefusing = 64

// guard keeps a [Server]'s bounds: every connection passes through its
// listener (admit), its ConnState hook and its handler (begin, received,
// end), all under one lock. The lists make finding the oldest connection of
// a state O(1): a connection enters a state's list at its back when it
// enters the state.
type guard struct {
	o        *serverOptions
	mu       sync.Mutex
	open     int
	inFlight int
	lists    [stateBody + 1]list.List
	refusing chan struct{}
	accepted prometheus.Counter
	shed     *prometheus.CounterVec
	evicted  *prometheus.CounterVec
}

type guardedConn struct {
	net.Conn
	g     *guard
	state connState
	elem  *list.Element
}

// Close releases the connection's place; the server and an eviction may
// both close it.
func (c *guardedConn) Close() error {
	c.g.mu.Lock()
	c.g.closeLocked(c)
	c.g.mu.Unlock()
	return c.Conn.Close()
}

func newGuard(o *serverOptions) *guard {
	g := &guard{o: o, refusing: make(chan struct{}, maxRefusing)}
	labels := prometheus.Labels{"server": o.name}
	gauge := func(name, help string, v *int) {
		register(o.reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, func() float64 {
			g.mu.Lock()
			defer g.mu.Unlock()
			return float64(*v)
		}))
	}
	gauge("shiftleft_http_connections", "Connections open, by server.", &g.open)
	gauge("shiftleft_http_in_flight", "Requests being received or handled, by server.", &g.inFlight)
	g.accepted = register(o.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shiftleft_http_accepted_total",
		Help: "Connections accepted, by server: taken in, or answered 503 when no other could be closed to make room.",
	}, []string{"server"})).WithLabelValues(o.name)
	g.shed = register(o.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shiftleft_http_shed_total",
		Help: "Connections and requests answered 503 at once by a full server, by server and by the bound reached (connections, in_flight).",
	}, []string{"server", "bound"}))
	g.evicted = register(o.reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shiftleft_http_evicted_total",
		Help: "Connections closed to make room for newer ones, by server and by what they were doing (idle, headers, body).",
	}, []string{"server", "state"}))
	return g
}

// move puts c in state st, at the back of st's list if it has one.
func (g *guard) move(c *guardedConn, st connState) {
	if c.elem != nil {
		g.lists[c.state].Remove(c.elem)
		c.elem = nil
	}
	c.state = st
	if int(st) < len(g.lists) {
		c.elem = g.lists[st].PushBack(c)
	}
}

func (g *guard) closeLocked(c *guardedConn) {
	switch c.state {
	case stateClosed:
		return
	case stateBody, stateHandling:
		g.inFlight--
	}
	g.open--
	g.move(c, stateClosed)
}

// evictLocked takes the oldest connection of the first of states that has
// one out of the bounds, for the caller to close once the lock is released.
func (g *guard) evictLocked(states ...connState) *guardedConn {
	for _, st := range states {
		if e := g.lists[st].Front(); e != nil {
			victim := e.Value.(*guardedConn)
			g.evicted.WithLabelValues(g.o.name, victimState[st]).Inc()
			g.closeLocked(victim)
			return victim
		}
	}
	return nil
}

var victimState = map[connState]string{stateIdle: "idle", stateHeaders: "headers", stateBody: "body"}

// roomLocked says whether there is room under a bound: when full, the
// oldest connection of the first of states that has one is taken out to
// make it (returned, for the caller to close once the lock is released);
// when none is, the 503 to come is counted against bound.
func (g *guard) roomLocked(full bool, bound string, states ...connState) (victim *guardedConn, ok bool) {
	if !full {
		return nil, true
	}
	if victim = g.evictLocked(states...); victim == nil {
		g.shed.WithLabelValues(g.o.name, bound).Inc()
		return nil, false
	}
	return victim, true
}

func closeVictim(v *guardedConn) {
	if v != nil {
		_ = v.Conn.Close()
	}
}

// admit takes a new connection, closing another to make room when the
// server is full; nil when there is none to close.
func (g *guard) admit(c net.Conn) *guardedConn {
	g.mu.Lock()
	victim, ok := g.roomLocked(g.open >= g.o.maxConns, "connections", evictable[:]...)
	var gc *guardedConn
	if ok {
		gc = &guardedConn{Conn: c, g: g}
		g.open++
		g.move(gc, stateHeaders)
	}
	g.mu.Unlock()
	closeVictim(victim)
	return gc
}

// refuse answers c 503 in the background, or closes it when too many are
// being answered already.
func (g *guard) refuse(c net.Conn) {
	select {
	case g.refusing <- struct{}{}:
		go func() {
			defer func() { <-g.refusing }()
			refuse(c)
		}()
	default:
		_ = c.Close()
	}
}

// connState follows net/http's view of each connection.
func (g *guard) connState(nc net.Conn, s http.ConnState) {
	c, ok := nc.(*guardedConn)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case s == http.StateActive && c.state == stateIdle:
		g.move(c, stateHeaders)
	case s == http.StateIdle && c.state != stateClosed:
		g.move(c, stateIdle)
	case s == http.StateHijacked, s == http.StateClosed:
		g.closeLocked(c)
	}
}

type connKey struct{}

func (g *guard) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// handler runs next for a request once it has arrived, within the
// in-flight bound.
func (g *guard) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(connKey{}).(*guardedConn)
		if !g.begin(c) {
			shed(w, "too many requests in flight: retry later")
			return
		}
		defer g.end(c)
		body := preread(r, g.o.maxBody)
		if !g.received(c) {
			return // closed to make room while its body arrived
		}
		r.Body = body
		next.ServeHTTP(w, r)
	})
}

// begin counts c's request in flight, taking the place of the request
// whose body has been arriving longest when the bound is reached; false
// when every request in flight is already being handled.
func (g *guard) begin(c *guardedConn) bool {
	g.mu.Lock()
	var victim *guardedConn
	ok := c.state != stateClosed // closed to make room once its headers were in
	if ok {
		victim, ok = g.roomLocked(g.inFlight >= g.o.maxFlight, "in_flight", stateBody)
	}
	if ok {
		g.inFlight++
		g.move(c, stateBody)
	}
	g.mu.Unlock()
	closeVictim(victim)
	return ok
}

// received marks c's request as arrived; false when c was closed meanwhile.
func (g *guard) received(c *guardedConn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.state != stateBody {
		return false
	}
	g.move(c, stateHandling)
	return true
}

// end takes c's request out of flight.
func (g *guard) end(c *guardedConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.state == stateBody || c.state == stateHandling {
		g.inFlight--
		g.move(c, stateAnswered)
	}
}

// guardedListener admits the connections it accepts, answering 503 to
// those the server has no room for.
type guardedListener struct {
	net.Listener
	g *guard
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.g.accepted.Inc()
		if gc := l.g.admit(c); gc != nil {
			return gc, nil
		}
		l.g.refuse(c)
	}
}
