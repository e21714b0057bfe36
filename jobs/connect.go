package jobs

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// reconnectWait spaces reconnection attempts; there is no limit on their
// number, since webhook and worker processes outlive a NATS restart.
const reconnectWait = time.Second

// Connect connects to an external NATS server or cluster (url may list
// several servers, comma-separated). The connection reconnects forever; a
// call made meanwhile waits until its context ends.
func Connect(url string, opts ...ConnectOption) (*nats.Conn, error) {
	if url == "" {
		return nil, invalidArgument("empty NATS URL")
	}
	return connect(url, opts)
}

func connect(url string, opts []ConnectOption) (*nats.Conn, error) {
	o := &connectOptions{name: "shiftleft", logger: zap.NewNop()}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	log := o.logger.With(zap.String("nats_client", o.name))
	nopts := append([]nats.Option{
		nats.Name(o.name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			// A close the program asked for comes here without an error;
			// nats.go calls back after Close returns, so it stays quiet.
			if err != nil {
				log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { log.Debug("nats connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			fields := []zap.Field{zap.Error(err)}
			if sub != nil {
				fields = append(fields, zap.String("subject", sub.Subject))
			}
			log.Error("nats async error", fields...)
		}),
	}, o.nats...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	return nc, nil
}
