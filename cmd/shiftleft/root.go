package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed: bad SQL, missing table...
	exitUsage = 2 // the command line is wrong
)

// lockedWriter serializes the writes of many goroutines. Stat tells what the
// stream is (a terminal gets live progress), as the *os.File behind it does.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Stat() (os.FileInfo, error) {
	if f, ok := l.w.(*os.File); ok {
		return f.Stat()
	}
	return nil, errors.ErrUnsupported
}

// usageError marks an error in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// app carries what every command needs; tests build one with buffers.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *zap.Logger
	logLevel       string
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	// The logger and the deploy progress write from many goroutines: one lock
	// per stream keeps their lines whole.
	stdout, stderr = &lockedWriter{w: stdout}, &lockedWriter{w: stderr}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, log: zap.NewNop()}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	started := false
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		started = true
		return a.setupLogger()
	}
	err := root.Execute()
	defer func() { _ = a.log.Sync() }()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	var ue usageError
	if !started || errors.As(err, &ue) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", commandPath(root, args))
		return exitUsage
	}
	return exitError
}

// commandPath names the subcommand the user tried, for the usage hint.
func commandPath(root *cobra.Command, args []string) string {
	if c, _, err := root.Find(args); err == nil {
		return c.CommandPath()
	}
	return root.Name()
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "shiftleft",
		Short: "Keep Apache Flink SQL pipelines on Confluent Cloud deployed from git",
		Long: `shiftleft reads a tree of Flink SQL pipelines (one folder per table, with
sql-scripts/ddl.<table>.sql and dml.<table>.sql), builds the dependency graph
of the tables, and keeps inventory.json and each table's
pipeline_definition.json in shift_left's format.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.tableCmd(), a.pipelineCmd(), a.emulatorCmd(), a.jobsCmd(), a.driftCmd(), a.devCmd(), a.versionCmd())
	root.AddCommand(a.serveCmds()...)
	root.AddCommand(a.demoCmd())
	return root
}

// setupLogger logs to stderr in a console format; secrets never reach it.
func (a *app) setupLogger() error {
	level, err := zapcore.ParseLevel(a.logLevel)
	if err != nil {
		return usagef("--log-level: %v", err)
	}
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(a.stderr), level)
	a.log = zap.New(core)
	return nil
}

// args validates positional arguments, reporting a usage error.
func args(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(min, max)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
