package main

import (
	"context"

	"github.com/spf13/cobra"
)

func (a *app) serveCmds() []*cobra.Command {
	var serve, hook, work serviceFlags
	serveCmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the whole service: webhook, ops API, workers, embedded NATS, and the emulator unless Confluent Cloud is configured",
		Long: `Run shiftleft's service in one process: the GitHub webhook receiver and the ops
API on --addr, workers that deploy pushes to the deploy branch and comment on pull
requests, NATS JetStream embedded (store in --data-dir) unless --nats-url is given,
and an in-process Confluent Cloud emulator unless a Confluent Cloud target is
configured. Needs SL_WEBHOOK_SECRET; SL_GITHUB_TOKEN posts statuses and comments
(else they are logged); SL_OPS_TOKEN opens the ops API.`,
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return interruptible(cmd.Context(), func(ctx context.Context) error {
				return a.runService(ctx, serve, startParts{http: true, work: true})
			})
		},
	}
	serve.register(serveCmd, true, true)
	hookCmd := &cobra.Command{
		Use:   "webhook",
		Short: "Run only the webhook receiver and the ops API (scale out with several processes on one NATS)",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return interruptible(cmd.Context(), func(ctx context.Context) error {
				return a.runService(ctx, hook, startParts{http: true})
			})
		},
	}
	hook.register(hookCmd, true, false)
	workCmd := &cobra.Command{
		Use:   "worker",
		Short: "Run only workers, taking jobs from NATS (scale out with several processes)",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return interruptible(cmd.Context(), func(ctx context.Context) error {
				return a.runService(ctx, work, startParts{work: true})
			})
		},
	}
	work.register(workCmd, false, true)
	return []*cobra.Command{serveCmd, hookCmd, workCmd}
}
