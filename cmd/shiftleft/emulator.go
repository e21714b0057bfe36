package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/shiftleft/shiftleft/confluent/emulator"
)

type emulatorOptions struct {
	addr           string
	latency        time.Duration
	apiKey         string
	apiSecret      string
	externalTables []string
	stateFile      string
}

func (a *app) emulatorCmd() *cobra.Command {
	var o emulatorOptions
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local emulator of Confluent Cloud for Flink's REST API",
		Long: `Serve the statements (sql/v1) and compute-pools (fcpm/v2) APIs of Confluent
Cloud for Flink on ADDR, enforcing Flink's rules: a DML fails when a table it
reads or writes does not exist, CREATE TABLE fails on an existing table, a pool
has a CFU limit. Each environment id has its own catalog of tables. Admin
routes (no auth): GET /_emulator/state, GET /_emulator/counters,
POST /_emulator/reset, POST /_emulator/tables, POST /_emulator/faults.`,
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return interruptible(cmd.Context(), func(ctx context.Context) error { return a.serveEmulator(ctx, o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8081", "address to listen on")
	f.DurationVar(&o.latency, "latency", 0, "time before each statement or pool phase change")
	f.StringVar(&o.apiKey, "api-key", "", "accept only this API key (default: any non-empty key and secret)")
	f.StringVar(&o.apiSecret, "api-secret", "", "accept only this API secret (with --api-key)")
	f.StringSliceVar(&o.externalTables, "external-tables", nil, "tables that exist in every environment (Kafka topics outside the pipelines), comma-separated")
	f.StringVar(&o.stateFile, "state-file", "", "keep tables, statements and pools in this file across restarts")
	return cmd
}

func (a *app) serveEmulator(ctx context.Context, o emulatorOptions) error {
	if (o.apiKey == "") != (o.apiSecret == "") {
		return usagef("--api-key and --api-secret go together")
	}
	opts := []emulator.Option{
		emulator.Latency(o.latency),
		emulator.Logger(a.log.Named("emulator")),
		emulator.ExternalTables(trimAll(o.externalTables)),
	}
	if o.apiKey != "" {
		opts = append(opts, emulator.Credentials(o.apiKey, o.apiSecret))
	}
	if o.stateFile != "" {
		opts = append(opts, emulator.StateFile(o.stateFile))
	}
	emu, err := emulator.New(opts...)
	if err != nil {
		return err
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.stdout, "Confluent Cloud for Flink emulator listening on http://%s\n", ln.Addr())
	a.log.Info("emulator started", zap.String("addr", ln.Addr().String()), zap.Duration("latency", o.latency))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func trimAll(list []string) []string {
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
