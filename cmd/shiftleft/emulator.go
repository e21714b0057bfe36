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
	addr            string
	latency         time.Duration
	apiKey          string
	apiSecret       string
	externalTables  []string
	functions       []string
	stateFile       string
	processInterval time.Duration
	maxStatements   int
	rateLimit       int
	saveInterval    time.Duration
}

// emulatorHelp is the emulator command's long help: what it enforces, every
// route from the emulator's own list, and every limit.
func emulatorHelp() string {
	var b strings.Builder
	b.WriteString(`Serve the statements (sql/v1) and compute-pools (fcpm/v2) APIs of Confluent
Cloud for Flink on ADDR, behaving like Confluent Cloud where deploys are at
stake. Each environment id has its own catalog of tables, each table a topic
of records: a DML fails when a table it reads or writes does not exist, CREATE
TABLE fails on an existing table, DROP TABLE deletes the topic and its records
and fails the running statements using it, each running statement takes a CFU of its
pool and waits PENDING when the pool is full. A running statement copies each
record of its inputs to its sink, keeping the record's origin, when records are
moved (POST /_emulator/tick, or every --process-interval). A new statement reads
from the earliest offset unless sql.tables.scan.startup.mode, a table's
scan.startup.mode or an OPTIONS hint says otherwise; with
sql.tables.initial-offset-from it waits for the statement named to stop, then
starts at its offsets. A stop shows status.latest_offsets; a resume (INSERT,
CTAS and statement sets only) reads on from them with the statement's state.

Routes:
`)
	for _, r := range emulator.Routes() {
		if r.Admin {
			continue
		}
		fmt.Fprintf(&b, "  %-6s %s\n         %s\n", r.Method, r.Path, r.Doc)
	}
	b.WriteString("\nAdmin routes (no credentials, never faulted):\n")
	for _, r := range emulator.Routes() {
		if r.Admin {
			fmt.Fprintf(&b, "  %-6s %s\n         %s\n", r.Method, r.Path, r.Doc)
		}
	}
	fmt.Fprintf(&b, `
Limits, as Confluent Cloud has them (each refused with its own error code):
  statement names      at most %d characters of a-z, 0-9 and '-' (name_too_long)
  spec.statement       at most %d characters (statement_too_long)
  request body         at most %d bytes (request_too_large, 413)
  compute pools        at most %d per environment, the default one included (compute_pool_quota_exceeded)
  max_cfu              at most %d per pool, raised and never lowered (cfu_quota_exceeded)
  statements           at most --max-statements per environment, DELETING ones aside (statement_quota_exceeded)
  retention            a COMPLETED, FAILED or STOPPED statement is deleted %s after it ended
  carry-over           a statement waiting for another to stop fails after %s
  rate                 --rate-limit requests a second per organization, and as many to the compute-pools
                       API (429 with Retry-After)
  created stopped      refused; resume only INSERT INTO, CTAS and statement sets (not_resumable)
`, emulator.MaxNameLength, emulator.MaxStatementLength, emulator.MaxRequestBytes, emulator.MaxPoolsPerEnvironment,
		emulator.MaxPoolCFU, days(emulator.Retention), emulator.CarryOverTimeout)
	return b.String()
}

// days writes a duration of whole days as such: 720h is "30 days".
func days(d time.Duration) string { return fmt.Sprintf("%d days", d/(24*time.Hour)) }

func (a *app) emulatorCmd() *cobra.Command {
	var o emulatorOptions
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve a local emulator of Confluent Cloud for Flink's REST API",
		Long:  emulatorHelp(),
		Args:  args(0, 0),
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
	f.StringSliceVar(&o.functions, "functions", nil, "catalog functions (UDFs) that exist in every environment, which dry runs accept, comma-separated")
	f.StringVar(&o.stateFile, "state-file", "", "keep tables, records, statements and pools in this file across restarts")
	f.DurationVar(&o.saveInterval, "save-interval", emulator.DefaultSaveInterval, "least time between two writes of --state-file (0: on every change); the last changes are written on exit")
	f.DurationVar(&o.processInterval, "process-interval", 0, "move records every interval (0: only on POST /_emulator/tick)")
	f.IntVar(&o.maxStatements, "max-statements", emulator.DefaultMaxStatements, "statements an environment may hold, DELETING ones aside")
	f.IntVar(&o.rateLimit, "rate-limit", 0, "API requests a second per organization, a token bucket of as many (0: no limit)")
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
		emulator.Functions(trimAll(o.functions)),
		emulator.ProcessInterval(o.processInterval),
		emulator.MaxStatements(o.maxStatements),
		emulator.RateLimit(o.rateLimit),
		emulator.SaveInterval(o.saveInterval),
	}
	if o.apiKey != "" {
		opts = append(opts, emulator.Credentials(o.apiKey, o.apiSecret))
	}
	if o.stateFile != "" {
		opts = append(opts, emulator.StateFile(o.stateFile))
	}
	emu, err := emulator.New(opts...)
	if errors.Is(err, emulator.ErrInvalidOption) {
		return usagef("%v", err)
	}
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
