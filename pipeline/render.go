package pipeline

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shiftleft/shiftleft/inventory"
)

// JSON renders the report tree as shift_left's report does: the table's
// definition with nested parents (and children), three-space indent.
func (r *Report) JSON() ([]byte, error) {
	out, err := inventory.EncodeDefinition(r.Tree)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// YAML renders the report tree as YAML, keys in the JSON order.
func (r *Report) YAML() ([]byte, error) { return yaml.Marshal(r.Tree) }

// Text renders the report as an indented tree. A table reached a second time
// (a diamond) is marked instead of expanded again.
func (r *Report) Text() string {
	var b strings.Builder
	b.WriteString(describe(r.Tree) + "\n")
	sections := []struct {
		title string
		nodes []inventory.Definition
		up    bool
	}{{"parents", r.Tree.Parents, true}, {"children", r.Tree.Children, false}}
	for i, s := range sections {
		last := i == len(sections)-1
		b.WriteString(branch(last) + s.title + "\n")
		seen := map[string]bool{}
		writeTree(&b, s.nodes, indent(last), s.up, seen)
		if len(s.nodes) == 0 {
			b.WriteString(indent(last) + "└─ (none)\n")
		}
	}
	return b.String()
}

func writeTree(b *strings.Builder, nodes []inventory.Definition, prefix string, up bool, seen map[string]bool) {
	for i, n := range nodes {
		last := i == len(nodes)-1
		next := n.Children
		if up {
			next = n.Parents
		}
		line := describe(n)
		if seen[n.TableName] && len(next) > 0 {
			line += " (see above)"
			next = nil
		}
		seen[n.TableName] = true
		b.WriteString(prefix + branch(last) + line + "\n")
		writeTree(b, next, prefix+indent(last), up, seen)
	}
}

func branch(last bool) string {
	if last {
		return "└─ "
	}
	return "├─ "
}

func indent(last bool) string {
	if last {
		return "   "
	}
	return "│  "
}

func describe(d inventory.Definition) string {
	if d.Type == inventory.TypeExternalKafka {
		topic := d.TableName
		if d.KafkaTopic != nil {
			topic = *d.KafkaTopic
		}
		return fmt.Sprintf("%s (external topic %s)", d.TableName, topic)
	}
	return fmt.Sprintf("%s (%s, %s, %s)", d.TableName, d.Type, d.ProductName, d.Complexity.StateForm)
}

// DOT renders the report's subgraph for Graphviz: data flows left to right,
// the reported table has a bold border, stateful tables are filled, external
// topics dashed.
func (r *Report) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(r.title))
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	for _, n := range r.Nodes {
		t := r.g.inv.Tables[n]
		attrs := []string{"label=" + dotQuote(n+"\n"+nodeCaption(t))}
		style := "rounded"
		switch {
		case t.External():
			style += ",dashed"
		case t.StateForm() == inventory.Stateful:
			style += ",filled"
			attrs = append(attrs, `fillcolor="#fff2cc"`)
		}
		attrs = append(attrs, "style="+dotQuote(style))
		if r.roots[n] {
			attrs = append(attrs, "penwidth=2.5")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(n), strings.Join(attrs, ", "))
	}
	for _, e := range r.Edges {
		fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(e[0]), dotQuote(e[1]))
	}
	b.WriteString("}\n")
	return b.String()
}

func nodeCaption(t *inventory.Table) string {
	if t.External() {
		return "external topic"
	}
	return t.Type + " · " + t.Product + " · " + t.StateForm()
}

func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// Mermaid renders the report's subgraph as a Mermaid flowchart, the format
// GitHub draws in Markdown.
func (r *Report) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string, len(r.Nodes))
	var stateful, external []string
	for i, n := range r.Nodes {
		id := fmt.Sprintf("n%d", i)
		ids[n] = id
		t := r.g.inv.Tables[n]
		shape := `%s["%s"]`
		if t.External() {
			shape = `%s[("%s")]`
			external = append(external, id)
		} else if t.StateForm() == inventory.Stateful {
			stateful = append(stateful, id)
		}
		fmt.Fprintf(&b, "  "+shape+"\n", id, mermaidText(n)+"<br/>"+mermaidText(nodeCaption(t)))
	}
	for _, e := range r.Edges {
		fmt.Fprintf(&b, "  %s --> %s\n", ids[e[0]], ids[e[1]])
	}
	var roots []string
	for _, n := range r.Nodes {
		if r.roots[n] {
			roots = append(roots, ids[n])
		}
	}
	b.WriteString("  classDef root stroke-width:3px\n")
	fmt.Fprintf(&b, "  class %s root\n", strings.Join(roots, ","))
	if len(stateful) > 0 {
		b.WriteString("  classDef stateful fill:#fff2cc\n")
		fmt.Fprintf(&b, "  class %s stateful\n", strings.Join(stateful, ","))
	}
	if len(external) > 0 {
		b.WriteString("  classDef external stroke-dasharray:5 5\n")
		fmt.Fprintf(&b, "  class %s external\n", strings.Join(external, ","))
	}
	return b.String()
}

func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}
