package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/internal/atomicfile"
	"github.com/shiftleft/shiftleft/pipeline"
)

type reportOptions struct {
	json, yaml, dot, mermaid bool
	childrenToo, parentOnly  bool
	outputFile               string
}

func (a *app) reportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report TABLE [PIPELINES]",
		Short: "Show a table's pipeline: its ancestors, and its descendants with --children-too",
		Long: `Show the pipeline of TABLE, read from the SQL of PIPELINES (default $PIPELINES):
its parents up to the sources and its direct children, as an indented tree
(default), JSON, YAML, Graphviz DOT or Mermaid.`,
		Args: args(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := countTrue(o.json, o.yaml, o.dot, o.mermaid); n > 1 {
				return usagef("--json, --yaml, --dot and --mermaid are mutually exclusive")
			}
			if o.childrenToo && o.parentOnly {
				return usagef("--children-too and --parent-only are mutually exclusive")
			}
			t, err := a.pipelinesArg(args, 1)
			if err != nil {
				return err
			}
			g, err := a.load(t)
			if err != nil {
				return err
			}
			name, err := lookupTable(g, args[0])
			if err != nil {
				return fmt.Errorf("%w (pipelines folder %s)", err, t.dir)
			}
			r, err := g.Report(name, pipeline.ReportOptions{Children: o.childrenToo, ParentsOnly: o.parentOnly})
			if err != nil {
				return err
			}
			out, err := o.render(r)
			if err != nil {
				return err
			}
			if o.outputFile != "" {
				if err := atomicfile.Write(o.outputFile, out, 0o644); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "report of %s written to %s\n", name, o.outputFile)
				return nil
			}
			_, err = a.stdout.Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	f.BoolVar(&o.yaml, "yaml", false, "print the report as YAML")
	f.BoolVar(&o.dot, "dot", false, "print the report as a Graphviz DOT graph")
	f.BoolVar(&o.mermaid, "mermaid", false, "print the report as a Mermaid flowchart")
	f.BoolVar(&o.childrenToo, "children-too", false, "also expand the descendants down to the sinks")
	f.BoolVar(&o.parentOnly, "parent-only", false, "show the ancestors only")
	f.StringVar(&o.outputFile, "output-file-name", "", "write the report to this file instead of stdout")
	return cmd
}

func (o reportOptions) render(r *pipeline.Report) ([]byte, error) {
	switch {
	case o.json:
		return r.JSON()
	case o.yaml:
		return r.YAML()
	case o.dot:
		return []byte(r.DOT()), nil
	case o.mermaid:
		return []byte(r.Mermaid()), nil
	}
	return []byte(r.Text()), nil
}

// lookupTable finds a table by exact name, else by a case-insensitive match
// (shift_left lower-cases the name) when only one table matches.
func lookupTable(g *pipeline.Graph, name string) (string, error) {
	if _, err := g.Table(name); err == nil {
		return name, nil
	}
	var matches []string
	for _, n := range g.Order() {
		if strings.EqualFold(n, name) {
			matches = append(matches, n)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	_, err := g.Table(name)
	return "", err
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
