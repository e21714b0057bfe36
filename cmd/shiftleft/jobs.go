package main

import (
	"cmp"
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/jobs"
)

type jobsFlags struct {
	natsURL        string
	repo, status   string
	source         string
	limit          int
	force, dmlOnly bool
	json           bool
}

func (a *app) jobsCmd() *cobra.Command {
	var f jobsFlags
	cmd := &cobra.Command{Use: "jobs", Short: "List, show and replay the service's jobs (the same as GET/POST /api/jobs)"}
	cmd.PersistentFlags().StringVar(&f.natsURL, "nats-url", "nats://127.0.0.1:4222", "NATS server of the service (serve's embedded server listens there)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withQueue(cmd.Context(), f, func(ctx context.Context, q *jobs.Queue) error {
				list, err := q.List(ctx, jobs.Filter{Repo: f.repo, Status: jobs.Status(f.status), Source: jobs.Source(f.source), Limit: f.limit})
				if err != nil {
					return err
				}
				if f.json {
					return a.printJSON(list)
				}
				w := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tKIND\tSOURCE\tSTATUS\tREPO\tCOMMIT\tCREATED\tSUMMARY")
				for _, j := range list {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%.7s\t%s\t%s\n", j.ID, j.Kind, cmp.Or(string(j.Source), "-"), j.Status, j.Repo, j.After,
						j.CreatedAt.Local().Format(time.DateTime), j.Summary+j.Error)
				}
				return w.Flush()
			})
		},
	}
	list.Flags().StringVar(&f.repo, "repo", "", "only this repository (owner/name)")
	list.Flags().StringVar(&f.status, "status", "", "only jobs in this status (queued, running, succeeded, failed, superseded, dead)")
	list.Flags().StringVar(&f.source, "source", "", "only jobs made by this source (webhook, reconciler, self-heal, replay)")
	list.Flags().IntVar(&f.limit, "limit", 20, "at most this many jobs")
	list.Flags().BoolVar(&f.json, "json", false, "print JSON")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a job record (JSON)",
		Args:  args(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withQueue(cmd.Context(), f, func(ctx context.Context, q *jobs.Queue) error {
				j, err := q.Get(ctx, args[0])
				if err != nil {
					return err
				}
				return a.printJSON(j)
			})
		},
	}
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "Run a finished job again (a new job; what already runs with the same SQL is left alone)",
		Args:  args(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withQueue(cmd.Context(), f, func(ctx context.Context, q *jobs.Queue) error {
				j, err := q.Replay(ctx, args[0], jobs.Options{Force: f.force, DMLOnly: f.dmlOnly})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "job %s queued, replaying %s\n", j.ID, args[0])
				return nil
			})
		},
	}
	replay.Flags().BoolVar(&f.force, "force", false, "recreate the changed tables even when they run the same SQL")
	replay.Flags().BoolVar(&f.dmlOnly, "dml-only", false, "restart DML statements only")
	cmd.AddCommand(list, show, replay)
	return cmd
}

// withQueue connects to the service's NATS and opens its queue.
func (a *app) withQueue(ctx context.Context, f jobsFlags, run func(context.Context, *jobs.Queue) error) error {
	nc, err := jobs.Connect(f.natsURL, jobs.WithConnectLogger(a.log))
	if err != nil {
		return fmt.Errorf("connect to the service's NATS at %s (is `shiftleft serve` running?): %w", f.natsURL, err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q, err := jobs.OpenQueue(ctx, nc, jobs.WithLogger(a.log))
	if err != nil {
		return err
	}
	return run(ctx, q)
}
