package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/inventory"
)

func (a *app) tableCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "table", Short: "Table-level commands"}
	cmd.AddCommand(&cobra.Command{
		Use:   "build-inventory [PIPELINES]",
		Short: "Scan the pipelines folder and write its inventory.json",
		Long: `Scan every sql-scripts folder under PIPELINES (default $PIPELINES), name each
table from its SQL, and write PIPELINES/inventory.json in shift_left's format.`,
		Args: args(0, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := a.pipelinesArg(args, 0)
			if err != nil {
				return err
			}
			inv, err := a.scan(t)
			if err != nil {
				return err
			}
			if err := inventory.WriteInventory(t.dir, inv); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d tables\n", filepath.Join(t.dir, inventory.InventoryFile), countListed(inv))
			return nil
		},
	})
	return cmd
}

// countListed counts the tables inventory.json lists.
func countListed(inv *inventory.Inventory) int {
	n := 0
	for _, t := range inv.Tables {
		if !t.Synthesized {
			n++
		}
	}
	return n
}
