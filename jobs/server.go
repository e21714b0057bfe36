package jobs

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// readyTimeout bounds how long StartEmbedded waits for the server, which
// replays its JetStream store first.
const readyTimeout = 30 * time.Second

// Server is a nats-server running in this process with JetStream on disk:
// shiftleft's default, so the first run needs no NATS installed.
type Server struct {
	ns *server.Server
}

// StartEmbedded starts nats-server with JetStream file storage under dir
// (created if missing; a restart on the same dir finds its streams and
// buckets again). By default it opens no port and clients connect in-process
// through [Server.Connect]; [WithListen] opens a TCP port too, for other
// processes, whose URL [Server.ClientURL] gives.
func StartEmbedded(dir string, opts ...ServerOption) (*Server, error) {
	o, err := newServerOptions(opts)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, invalidArgument("embedded NATS needs a data directory")
	}
	so := &server.Options{
		ServerName: "shiftleft",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: o.listen == "",
		NoSigs:     true, // the embedding command handles signals
		MaxConn:    o.maxClients,
	}
	if o.listen != "" {
		host, port, _ := net.SplitHostPort(o.listen) // checked by WithListen
		so.Host = host
		so.Port, _ = strconv.Atoi(port)
		if so.Port == 0 {
			so.Port = server.RANDOM_PORT
		}
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.SetLoggerV2(zapServerLogger{o.logger.Sugar()}, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats: not ready after %s (store %s)", readyTimeout, dir)
	}
	return &Server{ns: ns}, nil
}

// ClientURL is the nats:// URL other processes connect to, or "" when the
// server does not listen (no [WithListen]).
func (s *Server) ClientURL() string {
	if s.ns.Addr() == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// Connect opens a connection to the server in-process (no socket), even when
// it also listens.
func (s *Server) Connect(opts ...ConnectOption) (*nats.Conn, error) {
	return connect("", append(opts, WithNATSOptions(nats.InProcessServer(s.ns))))
}

// Shutdown stops the server and waits until its store is closed. Clients see
// the connection drop.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// zapServerLogger routes nats-server's log lines to zap. Fatalf logs an
// error only: an embedded server must not exit the process.
type zapServerLogger struct{ l *zap.SugaredLogger }

func (z zapServerLogger) Noticef(format string, v ...any) { z.l.Infof(format, v...) }
func (z zapServerLogger) Warnf(format string, v ...any)   { z.l.Warnf(format, v...) }
func (z zapServerLogger) Fatalf(format string, v ...any)  { z.l.Errorf(format, v...) }
func (z zapServerLogger) Errorf(format string, v ...any)  { z.l.Errorf(format, v...) }
func (z zapServerLogger) Debugf(format string, v ...any)  { z.l.Debugf(format, v...) }
func (z zapServerLogger) Tracef(format string, v ...any)  { z.l.Debugf(format, v...) }
