// Package natscluster runs a NATS cluster for tests: nats-server processes
// built from the nats-server/v2 module the service embeds, routed into one
// JetStream cluster on loopback. Each node is a process of its own, so a
// test can kill one as a machine dies (SIGKILL: no goodbye to its routes, no
// flush, no leadership handed over) and start it again on the same store.
package natscluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// readyWait bounds how long a node may take to join the cluster and catch
// up: an election takes seconds, a loaded 2-core machine more.
const readyWait = 90 * time.Second

// Cluster is the nodes of one cluster; its methods fail the test on error.
type Cluster struct {
	t     testing.TB
	bin   string
	Nodes []*Node
}

// Node is one nats-server process.
type Node struct {
	Name                              string
	clientPort, clusterPort, httpPort int
	dir                               string // store, config and log

	t       testing.TB
	bin     string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	running bool
}

// Start launches n nodes and waits until every one is healthy (JetStream
// meta group current), stopping them when the test ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	c := Launch(t, n)
	c.WaitReady()
	return c
}

// Launch starts n nodes at once and returns without waiting for them, as
// an orchestrator starts a fresh cluster.
func Launch(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: build(t)}
	ports := freePorts(t, 3*n)
	for i := range n {
		c.Nodes = append(c.Nodes, &Node{Name: fmt.Sprintf("n%d", i+1), clientPort: ports[3*i],
			clusterPort: ports[3*i+1], httpPort: ports[3*i+2], dir: t.TempDir(), t: t, bin: c.bin})
	}
	for _, node := range c.Nodes {
		if err := os.WriteFile(node.config(), []byte(node.conf(c.Nodes)), 0o600); err != nil {
			t.Fatal(err)
		}
		node.Start()
	}
	t.Cleanup(func() {
		for _, node := range c.Nodes {
			node.stop()
			if t.Failed() {
				node.logTail()
			}
		}
	})
	return c
}

// build compiles the module's nats-server command (a link of cached
// packages after the first time).
func build(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "nats-server")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	return bin
}

// freePorts reserves n loopback ports at once, so no two are the same.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

func (n *Node) config() string { return filepath.Join(n.dir, "nats.conf") }

func (n *Node) conf(all []*Node) string {
	var routes []string
	for _, o := range all {
		if o != n {
			routes = append(routes, fmt.Sprintf("%q", fmt.Sprintf("nats://127.0.0.1:%d", o.clusterPort)))
		}
	}
	return fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
http: "127.0.0.1:%d"
jetstream { store_dir: %q }
cluster {
  name: "shiftleft-test"
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, n.Name, n.clientPort, n.httpPort, filepath.Join(n.dir, "store"), n.clusterPort, strings.Join(routes, ", "))
}

// URL is the node's client URL.
func (n *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.clientPort) }

// URL lists every node's client URL, as a client of the cluster is given.
func (c *Cluster) URL() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, n.URL())
	}
	return strings.Join(urls, ",")
}

// Node returns the node named name (n1, n2...).
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	c.t.Fatalf("no node %q", name)
	return nil
}

// Start starts the node's process, on its store as it was left.
func (n *Node) Start() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		n.t.Fatalf("%s is running", n.Name)
	}
	log, err := os.OpenFile(filepath.Join(n.dir, "log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := exec.Command(n.bin, "-c", n.config())
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		n.t.Fatalf("start %s: %v", n.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	n.cmd, n.exited, n.running = cmd, exited, true
}

// Kill sends the node SIGKILL and waits until the process is gone.
func (n *Node) Kill() {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.running {
		n.t.Fatalf("%s is not running", n.Name)
	}
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		n.t.Fatalf("kill %s: %v", n.Name, err)
	}
	<-n.exited
	n.running = false
}

func (n *Node) stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		<-n.exited
		n.running = false
	}
}

// Running reports whether the node's process runs.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running
}

// healthy asks the node's monitoring port: 200 once JetStream is current.
func (n *Node) healthy() bool {
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", n.httpPort))
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// WaitReady waits until every running node is healthy.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(readyWait)
	for _, n := range c.Nodes {
		for n.Running() && !n.healthy() {
			if time.Now().After(deadline) {
				c.t.Fatalf("%s not healthy after %s", n.Name, readyWait)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (n *Node) logTail() {
	data, err := os.ReadFile(filepath.Join(n.dir, "log"))
	if err != nil {
		return
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	n.t.Logf("last lines of %s's log:\n%s", n.Name, bytes.Join(lines[max(0, len(lines)-40):], []byte("\n")))
}

// Leader names the node that leads stream (and consumer, when not ""),
// waiting until it has one.
func (c *Cluster) Leader(nc *nats.Conn, stream, consumer string) string {
	c.t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(readyWait)
	for {
		leader, err := leaderOf(js, stream, consumer)
		if err == nil && leader != "" {
			return leader
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s %s: no leader after %s (%v)", stream, consumer, readyWait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func leaderOf(js jetstream.JetStream, stream, consumer string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var ci *jetstream.ClusterInfo
	if consumer == "" {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return "", err
		}
		ci = s.CachedInfo().Cluster
	} else {
		cons, err := js.Consumer(ctx, stream, consumer)
		if err != nil {
			return "", err
		}
		ci = cons.CachedInfo().Cluster
	}
	if ci == nil {
		return "", fmt.Errorf("%s %s: not clustered", stream, consumer)
	}
	return ci.Leader, nil
}

// MoveLeader makes node the leader of stream (and consumer, when not ""),
// asking the current leader to step down in its favour.
func (c *Cluster) MoveLeader(nc *nats.Conn, node, stream, consumer string) {
	c.t.Helper()
	subject := "$JS.API.STREAM.LEADER.STEPDOWN." + stream
	if consumer != "" {
		subject = "$JS.API.CONSUMER.LEADER.STEPDOWN." + stream + "." + consumer
	}
	body := fmt.Appendf(nil, `{"placement":{"preferred":%q}}`, node)
	deadline := time.Now().Add(readyWait)
	for c.Leader(nc, stream, consumer) != node {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s %s: leadership did not move to %s", stream, consumer, node)
		}
		// An answer with an error (an election under way) is tried again.
		_, _ = nc.Request(subject, body, 2*time.Second)
		time.Sleep(100 * time.Millisecond)
	}
}

// Replicas is the replicas stream is configured with.
func (c *Cluster) Replicas(nc *nats.Conn, stream string) int {
	c.t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		c.t.Fatalf("stream %s: %v", stream, err)
	}
	return s.CachedInfo().Config.Replicas
}
