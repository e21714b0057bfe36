package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/opsapi"
	"github.com/shiftleft/shiftleft/planner"
)

func (a *app) versionsCmd() *cobra.Command {
	var o deployOptions
	cmd := &cobra.Command{
		Use:   "versions [TABLE]",
		Short: "List each table's live and old physical versions, as what runs says",
		Long: `A stateful change deployed with strategy version builds a new physical version
of its table beside the live one (t_v2, then t_v3...). Every statement carries
its table and version as labels; versions lists, per logical table (or TABLE
alone), the live version (the highest) and the old ones, with their statements.`,
		Args: args(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), o)
			if err != nil {
				return err
			}
			vs := planner.Versions(s.live, args...)
			if len(args) == 1 && len(vs) == 0 {
				return fmt.Errorf("%s: no statement of this table runs on %s", args[0], s.target)
			}
			if o.json {
				return a.printJSON(map[string]any{"tables": vs})
			}
			w := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TABLE\tVERSION\tPHYSICAL\tSTATE\tSTATEMENTS")
			for _, tv := range vs {
				row := func(v planner.VersionInfo, state string) {
					var sts []string
					for name, phase := range v.Phases {
						sts = append(sts, name+" "+phase)
					}
					sort.Strings(sts)
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", tv.Table, v.Version, v.Physical, state, strings.Join(sts, ", "))
				}
				row(tv.Live, "live")
				for i := len(tv.Old) - 1; i >= 0; i-- {
					row(tv.Old[i], "old")
				}
			}
			return w.Flush()
		},
	}
	o.targetFlags(cmd)
	return cmd
}

func (a *app) retireCmd() *cobra.Command {
	var (
		o       deployOptions
		version int
		drop    bool
	)
	cmd := &cobra.Command{
		Use:   "retire TABLE [PIPELINES] --version N [--drop]",
		Short: "Stop an old physical version of a table; with --drop, delete it and drop its topic",
		Long: `Retire an old version of TABLE once its consumers have moved to the live one:
its running statements are stopped, its topic and records kept. With --drop its
statements are deleted and its table dropped (its topic, records and schema),
which needs permission (--allow-drop, allow_drop: true in the table's
.properties or deploy.allow_drop in the configuration) and no running statement
reading it. The live version is never retired.`,
		Args: args(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 1 {
				return usagef("--version is required (a version number, 1 for the table's first)")
			}
			return interruptible(cmd.Context(), func(ctx context.Context) error {
				return a.retire(ctx, args, o, version, drop)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&version, "version", 0, "the version to retire (shiftleft pipeline versions lists them)")
	f.BoolVar(&drop, "drop", false, "delete its statements and drop its table")
	f.BoolVar(&o.allowDrop, "allow-drop", false, "allow --drop to drop the topic")
	o.maxParallel = 1
	o.targetFlags(cmd)
	return cmd
}

func (a *app) retire(ctx context.Context, args []string, o deployOptions, version int, drop bool) error {
	t, g, s, err := a.loadAndOpen(ctx, args, 1, o)
	if err != nil {
		return err
	}
	po := planOptions(s.cfg)
	po.AllowDrop = po.AllowDrop || o.allowDrop
	plan, err := planner.Retire(g, s.live, args[0], version, drop, po)
	var refused *planner.DropError
	if errors.As(err, &refused) {
		a.printPlan(a.stdout, plan)
		return howToAllowDrop(err)
	}
	if err != nil {
		return err
	}
	return a.execute(ctx, t, g, s, plan, o, false)
}

// howToAllowDrop is a refused drop, saying how to allow it.
func howToAllowDrop(err error) error {
	return fmt.Errorf("%w. To drop, pass --allow-drop, or set allow_drop: true in the table's .properties or deploy.allow_drop in the configuration", err)
}

// targetVersions reads the table versions of the service's deployment
// target for the ops API, the configuration read at each call: the
// in-process emulator's address is known once it started.
func (a *app) targetVersions(cfg *config.Config) opsapi.VersionsReader {
	return func(ctx context.Context, tables ...string) ([]planner.TableVersions, error) {
		t, err := cfg.Target()
		if err != nil {
			return nil, err
		}
		client, err := clientOf(t, a.log)
		if err != nil {
			return nil, err
		}
		live, err := deployments.ReadLive(ctx, client)
		if err != nil {
			return nil, err
		}
		return planner.Versions(live, tables...), nil
	}
}
