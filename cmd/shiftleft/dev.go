package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/internal/pipelinegen"
)

func (a *app) devCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dev", Short: "Tools for developing and benchmarking shiftleft"}
	var o pipelinegen.Options
	gen := &cobra.Command{
		Use:   "gen-pipelines --tables N [--seed S] OUT",
		Short: "Write a synthetic pipelines tree of N tables to OUT",
		Long: `Write a layered pipelines tree (sources -> intermediates -> dimensions and
facts -> views) of N tables to OUT, which must be empty or absent. The SQL mixes
joins, CTEs, ROW_NUMBER() dedup, aggregations and stateless projections; the
same seed always writes the same tree.`,
		Args: args(1, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			if o.Tables < 1 {
				return usagef("--tables must be at least 1")
			}
			tree, err := pipelinegen.Generate(args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d tables\n", args[0], len(tree.Tables))
			return nil
		},
	}
	gen.Flags().IntVar(&o.Tables, "tables", 0, "number of tables")
	gen.Flags().Uint64Var(&o.Seed, "seed", 1, "random seed")
	gen.Flags().IntVar(&o.Products, "products", 0, "number of products (default: about one per 50 tables)")
	cmd.AddCommand(gen)
	return cmd
}
