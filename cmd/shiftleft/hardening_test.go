package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shiftleft/shiftleft/jobs"
)

// process is a `shiftleft` command run as a subprocess of the test binary.
type process struct {
	cmd *exec.Cmd
	// URL is where its webhook answers, from firstLine, its first line of
	// output.
	URL, firstLine string
	mu             sync.Mutex
	stderr         strings.Builder
}

// startProcess runs shiftleft with args and env until its first line of
// output says where it answers; the process is killed at the end of the
// test.
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	out, err := p.cmd.StdoutPipe()
	must(t, err)
	p.cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.stderr.Write(b)
	})
	must(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("shiftleft %s: %v\n%s", strings.Join(args, " "), err, p.logs())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	p.firstLine = line
	p.URL = regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	return p
}

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func serveArgs(dataDir string, extra ...string) []string {
	return append([]string{"serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0",
		"--nats-listen", "none", "--allow-repo", "acme/flink", "--github-api-url", "http://127.0.0.1:1/", "--reconcile-interval", "0"}, extra...)
}

// TestASecondServeOnTheSameDataDirFailsAtOnce: the parts of the data dir a
// process uses are locked, a second process on them fails at once naming
// the first, and the locks go with the first process even when it is
// killed with SIGKILL. A webhook and a worker share a data dir.
func TestASecondServeOnTheSameDataDirFailsAtOnce(t *testing.T) {
	dataDir := t.TempDir()
	env := map[string]string{"SL_WEBHOOK_SECRET": testSecret}
	first := startProcess(t, []string{"SL_WEBHOOK_SECRET=" + testSecret}, serveArgs(dataDir)...)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"serve", serveArgs(dataDir), fmt.Sprintf("data dir %s, its NATS store: %s is locked by another process: pid %d on ",
			dataDir, filepath.Join(dataDir, "nats"), first.cmd.Process.Pid)},
		{"worker", []string{"worker", "--data-dir", dataDir, "--nats-url", "nats://127.0.0.1:1", "--metrics-addr", "none"},
			fmt.Sprintf("data dir %s, its git mirrors and emulator state: %s is locked by another process: pid %d on ",
				dataDir, filepath.Join(dataDir, "git"), first.cmd.Process.Pid)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shiftleft(t, env, tt.args...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "(shiftleft serve, since ") {
				t.Fatalf("exit %d, stderr %q; want exit %d naming the first (%q)", r.code, r.stderr, exitError, tt.want)
			}
		})
	}

	webhookOnly := startProcess(t, []string{"SL_WEBHOOK_SECRET=" + testSecret}, "webhook", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0",
		"--nats-listen", "127.0.0.1:0", "--allow-repo", "acme/flink")
	natsURL := regexp.MustCompile(`nats://[0-9.:]+`).FindString(webhookOnly.firstLine)
	shared := t.TempDir()
	startProcess(t, []string{"SL_WEBHOOK_SECRET=" + testSecret}, "webhook", "--data-dir", shared, "--addr", "127.0.0.1:0",
		"--nats-url", natsURL, "--allow-repo", "acme/flink")
	startProcess(t, nil, "worker", "--data-dir", shared, "--nats-url", natsURL, "--metrics-addr", "127.0.0.1:0", "--emulator", "http://127.0.0.1:1")

	must(t, first.cmd.Process.Kill())
	_ = first.cmd.Wait()
	third := startProcess(t, []string{"SL_WEBHOOK_SECRET=" + testSecret}, serveArgs(dataDir)...)
	res, err := http.Get(third.URL + "/healthz")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("serve after the first was killed: /healthz %d", res.StatusCode)
	}
}

// TestAnAddressInUseFailsBeforeTheStoreOpens: every address is listened on
// first, so a port taken makes the command fail at once, saying which
// flag's address, with no store in its data dir.
func TestAnAddressInUseFailsBeforeTheStoreOpens(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer taken.Close()
	addr := taken.Addr().String()
	env := map[string]string{"SL_WEBHOOK_SECRET": testSecret}
	tests := []struct {
		flag string
		args []string
	}{
		{"--addr", []string{"serve", "--addr", addr, "--emulator-addr", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--allow-repo", "acme/flink"}},
		{"--emulator-addr", []string{"serve", "--addr", "127.0.0.1:0", "--emulator-addr", addr, "--nats-listen", "127.0.0.1:0", "--allow-repo", "acme/flink"}},
		{"--nats-listen", []string{"serve", "--addr", "127.0.0.1:0", "--emulator-addr", "127.0.0.1:0", "--nats-listen", addr, "--allow-repo", "acme/flink"}},
		{"--nats-listen", []string{"webhook", "--addr", "127.0.0.1:0", "--nats-listen", addr, "--allow-repo", "acme/flink"}},
		{"--metrics-addr", []string{"worker", "--nats-url", "nats://127.0.0.1:1", "--metrics-addr", addr}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0]+" "+tt.flag, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			r := shiftleft(t, env, append(tt.args, "--data-dir", dataDir)...)
			want := tt.flag + " address: listen tcp " + addr + ": bind: address already in use"
			if r.code != exitError || !strings.Contains(r.stderr, want) {
				t.Fatalf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "nats", "jetstream")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the NATS store was opened before the address was tried: %v", err)
			}
		})
	}
}

// TestReadyOnlyWhileJetStreamTakesWrites: /readyz of the webhook and of a
// worker process turns 503 when JetStream stops taking writes, though their
// NATS connections stay up, and back to 200 after; asking it often makes at
// most one write a second, never on the jobs stream.
func TestReadyOnlyWhileJetStreamTakesWrites(t *testing.T) {
	store := t.TempDir()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: store, NoSigs: true, NoLog: true})
	must(t, err)
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	defer ns.Shutdown()
	ctx := context.Background()

	a, _ := observed(t)
	cfg := serviceConfig(t, ns.ClientURL(), "acme/flink")
	hook, err := a.start(ctx, cfg, startParts{http: true})
	must(t, err)
	defer hook.stop(ctx)
	wcfg := serviceConfig(t, ns.ClientURL())
	wcfg.Emulator = "http://127.0.0.1:1" // never called: no job is queued
	work, err := a.start(ctx, wcfg, startParts{work: true})
	must(t, err)
	defer work.stop(ctx)

	probe := func(url string) (int, string) {
		res, err := http.Get(url + "/readyz")
		must(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	waitFor := func(what string, code int) {
		t.Helper()
		for _, url := range []string{hook.URL, work.URL} {
			deadline := time.Now().Add(15 * time.Second)
			for got, body := probe(url); got != code; got, body = probe(url) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: /readyz of %s answers %d %s, want %d", what, url, got, body, code)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	start := time.Now()
	for range 50 {
		waitFor("JetStream up", http.StatusOK)
	}
	elapsed := time.Since(start)
	nc, err := nats.Connect(ns.ClientURL())
	must(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	must(t, err)
	// The bucket keeps a key's last value only: its stream's last sequence
	// counts the writes.
	health, err := js.Stream(ctx, "KV_"+jobs.DefaultJobsBucket+"-health")
	must(t, err)
	info, err := health.Info(ctx)
	must(t, err)
	// Two processes, each writing at most once a second: 100 probes make
	// 2 writes, and 2 more for each second they took.
	if most := 2 * (int(elapsed/readinessInterval) + 1); info.State.LastSeq > uint64(most) || info.State.LastSeq < 2 {
		t.Errorf("%d health writes in %s of probing, want 2 to %d", info.State.LastSeq, elapsed, most)
	}
	stream, err := js.Stream(ctx, jobs.DefaultStream)
	must(t, err)
	if info, err := stream.Info(ctx); err != nil || info.State.Msgs != 0 {
		t.Errorf("jobs stream: %+v %v; readiness must write no job", info, err)
	}

	must(t, ns.DisableJetStream())
	waitFor("JetStream off", http.StatusServiceUnavailable)
	if code, body := probe(hook.URL); !strings.Contains(body, "JetStream cannot take a write") || !hook.nc.IsConnected() {
		t.Errorf("unready answer %d %s; connected %v", code, body, hook.nc.IsConnected())
	}
	must(t, ns.EnableJetStream(&server.JetStreamConfig{StoreDir: store}))
	waitFor("JetStream back", http.StatusOK)
}

// TestSlowClientsCannotStarveTheService: 5,000 clients that send a
// webhook's body a byte a second, against a `shiftleft serve` whose
// open-file limit is below what they would hold: the webhook still answers
// a real push within a second and deploys it, /readyz says ready, and
// JetStream never runs short of descriptors. make test-full runs 20,000 of them, the number that broke the service, when
// the machine's limit allows.
func TestSlowClientsCannotStarveTheService(t *testing.T) {
	slow, childLimit := 5000, uint64(4096)
	if fullTests() {
		slow, childLimit = 20000, 16384
	}
	// This process holds the clients' sockets, the subprocess the rest.
	if need, got := uint64(slow+256), raiseOpenFileLimit(); got < need {
		t.Skipf("the open-file limit is %d even raised to its hard limit; %d slow clients need %d: raise it (ulimit -n)", got, slow, need)
	}
	bare, sha := gitRepo(t, 10, 17)
	p := startProcess(t, []string{"SL_WEBHOOK_SECRET=" + testSecret, "SL_OPS_TOKEN=" + testOpsToken, openFilesEnv + "=" + strconv.FormatUint(childLimit, 10)},
		serveArgs(t.TempDir(), "--clone-url", "acme/flink="+bare, "--log-level", "info")...)
	addr := strings.TrimPrefix(p.URL, "http://")

	// The slow clients: headers, then a byte of their body a second.
	var (
		mu      sync.Mutex
		conns   []net.Conn
		wg      sync.WaitGroup
		dialErr error
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	const dialers = 16
	for d := range dialers {
		wg.Go(func() {
			for i := d; i < slow; i += dialers {
				c, err := slowClient(addr, i)
				mu.Lock()
				if err != nil {
					dialErr = fmt.Errorf("slow client %d: %w", i, err)
				} else if c != nil {
					conns = append(conns, c)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	switch {
	case errors.Is(dialErr, syscall.EADDRNOTAVAIL), errors.Is(dialErr, syscall.EMFILE), errors.Is(dialErr, syscall.ENFILE):
		t.Skipf("this machine cannot open %d connections on loopback: %v", slow, dialErr)
	case dialErr != nil:
		t.Fatal(dialErr)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			mu.Lock()
			open := conns[:0]
			for _, c := range conns {
				_ = c.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
				if _, err := c.Write([]byte(" ")); err == nil {
					open = append(open, c)
				} else {
					c.Close()
				}
			}
			conns = open
			mu.Unlock()
		}
	}()
	// Wait until the service has taken in as many connections as there are
	// slow clients: the system accepts them first, and may queue thousands.
	// It holds some in flight then, and closed the others to make room.
	// Each scrape is a connection too.
	for scrapes, deadline := 1, time.Now().Add(2*time.Minute); accepted(noKeepAlive, p.URL) < slow+scrapes; scrapes++ {
		if time.Now().After(deadline) {
			t.Fatalf("the service took in %d connections, %d of them scrapes, for %d slow clients in 2 minutes", accepted(noKeepAlive, p.URL), scrapes+1, slow)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A real push and probes, each answered within a second, each on a
	// connection of its own, as GitHub and a load balancer open them.
	quick := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	payload := pushPayload(t, "acme/flink", strings.Repeat("0", 40), sha)
	res, err := quick.Do(signed(t, p.URL, "push", "legit-push", testSecret, payload))
	if err != nil {
		t.Fatalf("a real push beside %d slow clients: %v\n%s", slow, err, tail(p.logs()))
	}
	var answer struct {
		Status string `json:"status"`
		JobID  string `json:"job_id"`
	}
	must(t, decodeJSON(res, &answer))
	if res.StatusCode != http.StatusAccepted || answer.Status != "queued" {
		t.Fatalf("a real push beside %d slow clients: %d %+v", slow, res.StatusCode, answer)
	}
	for i := range 5 {
		res, err := quick.Get(p.URL + "/readyz")
		if err != nil {
			t.Fatalf("/readyz %d beside %d slow clients: %v", i, slow, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("/readyz %d beside %d slow clients: %d", i, slow, res.StatusCode)
		}
	}
	// The push deploys: its lock, its records and its deployed commit are
	// JetStream writes.
	var status string
	for deadline := time.Now().Add(90 * time.Second); status != "succeeded"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %q after 90 s\n%s", answer.JobID, status, tail(p.logs()))
		}
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/api/jobs/"+answer.JobID, nil)
		req.Header.Set("Authorization", "Bearer "+testOpsToken)
		if res, err := noKeepAlive.Do(req); err == nil {
			var j struct{ Status string }
			if decodeJSON(res, &j) == nil {
				status = j.Status
			}
		}
	}
	metrics := scrape(t, p.URL)
	if !regexp.MustCompile(`shiftleft_http_evicted_total\{server="webhook",state="body"\} [1-9]`).MatchString(metrics) {
		t.Errorf("no slow client was closed to make room: the test did not reach the bounds\n%s", grep(metrics, "shiftleft_http_"))
	}
	logs := p.logs()
	for _, bad := range []string{"too many open files", "Critical write error"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the service logged %q:\n%s", bad, grep(logs, bad))
		}
	}
	t.Logf("%s", grep(metrics, "shiftleft_http_"))
}

// accepted is the connections the webhook server has accepted, from its
// metrics; -1 when they cannot be read.
func accepted(c *http.Client, url string) int {
	res, err := c.Get(url + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^shiftleft_http_accepted_total\{server="webhook"\} (\d+)$`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// slowClient connects and sends a push's headers and the first byte of its
// body.
func slowClient(addr string, i int) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_, err = fmt.Fprintf(c, "POST /webhooks/github HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"+
		"X-GitHub-Delivery: slow-%d\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 100000\r\n\r\n{", addr, i)
	if err != nil {
		c.Close()
		return nil, nil // closed by the service at once: connect again next round
	}
	return c, nil
}

func pushPayload(t *testing.T, repo, before, after string) []byte {
	t.Helper()
	return []byte(fmt.Sprintf(`{"ref":"refs/heads/main","before":%q,"after":%q,"repository":{"full_name":%q,"clone_url":"https://github.com/%s.git"}}`,
		before, after, repo, repo))
}

func decodeJSON(res *http.Response, v any) error {
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

// noKeepAlive opens a connection per request: a full server closes idle
// connections first, and a request sent on one as it closes fails.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := noKeepAlive.Get(url + "/metrics")
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// grep keeps the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
