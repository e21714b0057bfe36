package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Timeouts of every [Server]. GitHub gives up on a delivery after 10 s, so
// a request that takes longer to arrive is lost anyway: it only holds a
// descriptor.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	// writeTimeout runs from the end of the headers: it covers the body,
	// the publish (publishTimeout) and the answer.
	writeTimeout   = 30 * time.Second
	idleTimeout    = 60 * time.Second
	maxHeaderBytes = 64 << 10
)

// Defaults of the bounds; [WithMaxConnections] and [WithMaxInFlight] change
// them.
const (
	// DefaultMaxConnections bounds the connections a [Server] keeps open.
	DefaultMaxConnections = 4096
	// DefaultMaxInFlight bounds the requests a [Server] receives and
	// handles at once.
	DefaultMaxInFlight = 256
)

// Descriptors is the most file descriptors a [Server] bounded to maxConns
// connections holds: those, the connections being refused, its listener.
func Descriptors(maxConns int) int { return maxConns + maxRefusing + 1 }

// shedRetryAfter (seconds) goes with a 503 for a full server: a moment,
// not the 30 s of an unavailable queue.
const shedRetryAfter = "5"

// Server is the HTTP server of a service process (webhook and ops API,
// a worker's probes, the in-process emulator), hardened against clients
// that would hold its descriptors: timeouts on every phase of a request, a
// bound on open connections and one on requests in flight.
//
// A full server makes room rather than queue: a new connection closes the
// one idle longest, else the one that has been sending its request headers
// longest, else the one that has been sending its body longest; a new
// request takes the in-flight slot of the one that has been sending its body
// longest. Clients sending a byte a second thus cannot hold the server:
// each newcomer pushes the oldest of them out, and a request is cut only
// when that many newer ones arrived while it was still being received.
// Only when everything in flight is being handled is the newcomer answered
// 503 at once, with Retry-After.
type Server struct {
	srv   *http.Server
	guard *guard
}

// ServerOption configures a [Server]; a bad value makes [NewServer] fail
// with an error wrapping [ErrInvalidOption].
type ServerOption func(*serverOptions) error

type serverOptions struct {
	name                string
	maxConns, maxFlight int
	maxBody             int64
	reg                 prometheus.Registerer
	log                 *zap.Logger
}

// WithMaxConnections bounds the open connections (default
// [DefaultMaxConnections]); with [WithMaxInFlight] it must leave room for
// idle and arriving connections.
func WithMaxConnections(n int) ServerOption {
	return func(o *serverOptions) error {
		if n < 2 {
			return fmt.Errorf("%w: max connections %d: at least 2", ErrInvalidOption, n)
		}
		o.maxConns = n
		return nil
	}
}

// WithMaxInFlight bounds the requests received and handled at once
// (default [DefaultMaxInFlight], or less than the connections).
func WithMaxInFlight(n int) ServerOption {
	return func(o *serverOptions) error {
		if n < 1 {
			return fmt.Errorf("%w: max in flight %d: at least 1", ErrInvalidOption, n)
		}
		o.maxFlight = n
		return nil
	}
}

// WithServerMetrics registers the server's metrics on reg, labelled with
// name (webhook, emulator...): connections open, requests in flight,
// connections and requests cut or answered 503.
func WithServerMetrics(reg prometheus.Registerer, name string) ServerOption {
	return func(o *serverOptions) error {
		if reg == nil || name == "" {
			return fmt.Errorf("%w: server metrics need a registry and a name", ErrInvalidOption)
		}
		o.reg, o.name = reg, name
		return nil
	}
}

// WithServerLogger logs the server's errors (default: none).
func WithServerLogger(l *zap.Logger) ServerOption {
	return func(o *serverOptions) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		o.log = l
		return nil
	}
}

// NewServer returns a server for h.
func NewServer(h http.Handler, opts ...ServerOption) (*Server, error) {
	o := &serverOptions{name: "http", maxConns: DefaultMaxConnections, maxBody: defaultMaxBodyBytes,
		reg: prometheus.NewRegistry(), log: zap.NewNop()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.maxFlight == 0 {
		o.maxFlight = min(DefaultMaxInFlight, o.maxConns/2)
	}
	if o.maxFlight >= o.maxConns {
		return nil, fmt.Errorf("%w: %d requests in flight need more than %d connections", ErrInvalidOption, o.maxFlight, o.maxConns)
	}
	g := newGuard(o)
	s := &Server{guard: g, srv: &http.Server{
		Handler:           g.handler(h),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         g.connState,
		ConnContext:       g.connContext,
		ErrorLog:          zap.NewStdLog(o.log),
	}}
	return s, nil
}

// Serve accepts connections on ln until [Server.Shutdown]; it returns
// http.ErrServerClosed then.
func (s *Server) Serve(ln net.Listener) error {
	return s.srv.Serve(&guardedListener{Listener: ln, g: s.guard})
}

// Shutdown stops accepting, closes idle connections and waits for the
// requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// preread reads a request's body before the handler sees it, up to limit
// bytes, so that the handler starts only once the request has arrived and a
// slow sender can be told from a request being handled. The handler reads
// the same bytes, then whatever is left (a body over the limit), then the
// error the reading ended with.
func preread(r *http.Request, limit int64) io.ReadCloser {
	buf, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var rest io.Reader = eofReader{}
	switch {
	case err != nil:
		rest = errReader{err}
	case int64(len(buf)) > limit:
		rest = r.Body
	}
	return readCloser{io.MultiReader(bytes.NewReader(buf), rest), r.Body}
}

type readCloser struct {
	io.Reader
	io.Closer
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// shed answers 503 at once for a full server.
func shed(w http.ResponseWriter, reason string) {
	w.Header().Set("Retry-After", shedRetryAfter)
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusServiceUnavailable, response{Status: "error", Reason: reason})
}

// refusal is the whole answer to a connection the server has no room for,
// written before its request is read.
var refusal = func() []byte {
	body := `{"status":"error","reason":"too many connections: retry later"}` + "\n"
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: " + shedRetryAfter +
		"\r\nConnection: close\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + body)
}()

// refuseLinger is how long a refused connection may take to read the
// answer; its request is drained meanwhile, since closing a socket with
// unread input resets it, and the client could lose the answer.
const refuseLinger = time.Second

// refuse answers a connection 503 and closes it.
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(refuseLinger))
	if _, err := c.Write(refusal); err != nil {
		return
	}
	if tc, ok := c.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(c, maxHeaderBytes))
	}
}
