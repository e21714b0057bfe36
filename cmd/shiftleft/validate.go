package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/deployments"
	"github.com/shiftleft/shiftleft/internal/dirfs"
	"github.com/shiftleft/shiftleft/planner"
)

// validateOptions are the settings of pipeline validate.
type validateOptions struct {
	args             []string
	tableName        string
	emulator, config string
	json             bool
	externalTables   []string
}

// newCmdValidate is `pipeline validate`; runF, when set, gets the parsed
// options instead of running them (tests of the flags).
func newCmdValidate(a *app, runF func(context.Context, validateOptions) error) *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate [PIPELINES] [--table-name T]",
		Short: "Dry-run every statement (or one table's) against the target: Flink's errors, nothing created",
		Long: `Ask the target to validate the statements of PIPELINES (default $PIPELINES)
without running them (property sql.dry-run): every table's DDL then DML, in
dependency order, or only those of --table-name. Each is checked as the deploy
would run it: a table's DDL as the replacement of the table, a DML against the
tables created before it in the same validation. Tables the SQL reads that no
folder defines must exist on the target, or be declared (seeds/
external_tables.json, kafka.external_tables, --external-tables): an emulator
target is told about the declared ones, and a table nothing has is reported.
Nothing is created. Exit 1 when a statement is invalid or a table unknown.`,
		Args: args(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.args = args
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return interruptible(cmd.Context(), func(ctx context.Context) error { return a.validate(ctx, o) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tableName, "table-name", "", "validate only this table's statements")
	f.StringVar(&o.emulator, "emulator", "", "validate against a shiftleft emulator at this URL instead of Confluent Cloud")
	f.StringVar(&o.config, "config", "", "shift_left-style config.yaml (default $SL_CONFIG_FILE, $CONFIG_FILE or ./config.yaml)")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.StringSliceVar(&o.externalTables, "external-tables", nil,
		"Kafka topics outside the pipelines that their SQL reads, beside seeds/external_tables.json (comma-separated)")
	return cmd
}

func (a *app) validate(ctx context.Context, o validateOptions) error {
	t, err := a.pipelinesArg(o.args, 0)
	if err != nil {
		return err
	}
	g, err := a.load(t)
	if err != nil {
		return err
	}
	names := g.Order()
	if o.tableName != "" {
		if _, err := g.Table(o.tableName); err != nil {
			return fmt.Errorf("%w (pipelines folder %s)", err, t.dir)
		}
		names = []string{o.tableName}
	}
	cfg, target, client, err := a.connect(deployOptions{emulator: o.emulator, configFile: o.config})
	if err != nil {
		return err
	}
	if target.Emulator {
		// An emulator knows a topic only when told: the declared ones, and
		// never a name the SQL merely reads.
		topics := slices.Concat(cfg.Kafka.ExternalTables, trimAll(o.externalTables), g.Inventory().Declared())
		if len(topics) > 0 {
			if err := declareTopics(ctx, target.FlinkURL, target.EnvironmentID, topics); err != nil {
				return err
			}
		}
	}
	req := dryRunOptions(cfg)
	req.Tree, req.Graph = dirfs.New(t.dir), g
	for _, n := range names {
		// As changed, not new: a table that exists is replaced.
		req.Changes = append(req.Changes, planner.Change{Table: n, DDL: true, DML: true})
	}
	v, err := deployments.Validate(ctx, client, req)
	if err != nil {
		return err
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		printValidation(a, v, target.String())
	}
	if n := v.Invalid(); n > 0 {
		return fmt.Errorf("%d %s", n, plural(n, "problem", "problems"))
	}
	return nil
}

// printValidation writes one line per statement, then the unknown tables.
func printValidation(a *app, v *deployments.Validation, target string) {
	fmt.Fprintf(a.stdout, "Validated %d %s against %s (sql.dry-run):\n", len(v.Checks), plural(len(v.Checks), "statement", "statements"), target)
	for _, c := range v.Checks {
		switch {
		case !c.Valid():
			fmt.Fprintf(a.stdout, "  INVALID  %s %s %s: %s\n", c.Table, c.Kind, c.Location(), c.Error)
		case c.Unchecked != "":
			fmt.Fprintf(a.stdout, "  UNCHECKED %s %s %s: %s\n", c.Table, c.Kind, c.Location(), c.Unchecked)
		default:
			fmt.Fprintf(a.stdout, "  valid    %s %s %s\n", c.Table, c.Kind, c.Location())
		}
	}
	for _, u := range v.Unknown {
		fmt.Fprintf(a.stdout, "  UNKNOWN  table %s, read by %s: defined neither in the pipelines nor on the target\n",
			u.Table, strings.Join(u.ReadBy, ", "))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
