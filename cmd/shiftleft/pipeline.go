package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/inventory"
	"github.com/shiftleft/shiftleft/pipeline"
)

func (a *app) pipelineCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pipeline", Short: "Pipeline metadata, reports and deployments"}
	cmd.AddCommand(a.buildAllMetadataCmd(), a.buildMetadataCmd(), a.reportCmd(), a.deleteAllMetadataCmd(),
		a.deployCmd(false), a.deployCmd(true), a.undeployCmd(), a.pipelineDriftCmd(), newCmdValidate(a, nil),
		a.versionsCmd(), a.retireCmd())
	return cmd
}

func (a *app) buildAllMetadataCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "build-all-metadata [PIPELINES]",
		Short: "Write every table's pipeline_definition.json",
		Long: `Build the dependency graph of PIPELINES (default $PIPELINES) from its SQL and
write every table's pipeline_definition.json. inventory.json is written first
when it is missing. Nothing is written when a file is broken or the tables form
a cycle.`,
		Args: args(0, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := a.pipelinesArg(args, 0)
			if err != nil {
				return err
			}
			g, err := a.load(t)
			if err != nil {
				return err
			}
			if err := a.ensureInventory(t, g); err != nil {
				return err
			}
			n, changed, err := writeDefinitions(t, g, g.Order())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Total number of pipeline definitions created: %d (%d changed)\n", n, changed)
			return nil
		},
	}
}

func (a *app) buildMetadataCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "build-metadata DML_FILE [PIPELINES]",
		Short: "Write the pipeline_definition.json of one table and of its ancestors",
		Long: `Write the pipeline_definition.json of the table whose DML is DML_FILE, and of
every table it depends on (their children lists name it), as shift_left does.`,
		Args: args(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			if !strings.HasSuffix(args[0], ".sql") {
				return usagef("DML_FILE must be a .sql file, got %s", args[0])
			}
			t, err := a.pipelinesArg(args, 1)
			if err != nil {
				return err
			}
			file, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(t.dir, file)
			if err != nil || strings.HasPrefix(rel, "..") {
				return fmt.Errorf("%s is not inside the pipelines folder %s", args[0], t.dir)
			}
			if _, err := os.Stat(file); err != nil {
				return err
			}
			g, err := a.load(t)
			if err != nil {
				return err
			}
			ref := filepath.ToSlash(filepath.Join(t.root, rel))
			var table string
			for _, n := range g.Order() {
				if tb, _ := g.Table(n); tb.DMLRef == ref || tb.DDLRef == ref {
					table = n
				}
			}
			if table == "" {
				return fmt.Errorf("%s is not the DML or DDL of a table (is it in a sql-scripts folder?)", args[0])
			}
			if err := a.ensureInventory(t, g); err != nil {
				return err
			}
			n, changed, err := writeDefinitions(t, g, append(g.Ancestors(table), table))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d pipeline definitions written (%d changed)\n", table, n, changed)
			return nil
		},
	}
}

// ensureInventory writes inventory.json when the tree has none, as
// shift_left's metadata commands do.
func (a *app) ensureInventory(t tree, g *pipeline.Graph) error {
	file := filepath.Join(t.dir, inventory.InventoryFile)
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := inventory.WriteInventory(t.dir, g.Inventory()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: %d tables\n", file, countListed(g.Inventory()))
	return nil
}

func (a *app) deleteAllMetadataCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete-all-metadata [PATH]",
		Short: "Delete every pipeline_definition.json under PATH",
		Args:  args(0, 1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, err := a.pipelinesArg(args, 0)
			if err != nil {
				return err
			}
			count := 0
			err = filepath.WalkDir(t.dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && d.Name() == inventory.DefinitionFile {
					if err := os.Remove(p); err != nil {
						return err
					}
					count++
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Total number of files deleted: %d\n", count)
			return nil
		},
	}
}
