package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/config"
	"github.com/shiftleft/shiftleft/internal/files"
	"github.com/shiftleft/shiftleft/jobs"
	"github.com/shiftleft/shiftleft/webhook"
)

func (a *app) demoCmd() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo [PIPELINES]",
		Short: "Show the whole loop on embedded defaults: git push -> webhook -> NATS -> worker -> deploy to the emulator",
		Long: `Start the service on embedded defaults (NATS JetStream in-process, the Confluent
Cloud emulator), make a git repository of a pipelines tree (default
examples/pipelines), send the service a signed GitHub push webhook, wait for the
deploy, change one stateful table, push again, and print what was redeployed and
why. Nothing outside a temporary folder is touched; no account is needed.`,
		Args: args(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := filepath.Join("examples", "pipelines")
			if len(args) == 1 {
				src = args[0]
			}
			return interruptible(cmd.Context(), func(ctx context.Context) error { return a.demo(ctx, src, keep) })
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary folder (repository, NATS store, emulator state)")
	return cmd
}

const demoRepo = "demo/pipelines"

func (a *app) demo(ctx context.Context, src string, keep bool) error {
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("the demo makes a git repository with the git command, which is not installed")
	}
	if info, err := os.Stat(src); err != nil || !info.IsDir() {
		return fmt.Errorf("pipelines folder %s not found (run the demo from the repository root, or pass a folder)", src)
	}
	tmp, err := os.MkdirTemp("", "shiftleft-demo-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(a.stdout, "demo folder: %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	repo := &demoGit{work: filepath.Join(tmp, "work"), bare: filepath.Join(tmp, "origin.git")}
	if err := repo.init(src); err != nil {
		return err
	}
	first, err := repo.commit("pipelines from " + src)
	if err != nil {
		return err
	}

	// Embedded defaults only: no config file, no environment.
	cfg, err := config.Load("", false, func(string) string { return "" })
	if err != nil {
		return err
	}
	secret := randomHex(16)
	sc := &cfg.Service
	sc.Addr, sc.EmulatorAddr, sc.NATSListen, sc.DataDir = "127.0.0.1:0", "127.0.0.1:0", "none", filepath.Join(tmp, "data")
	sc.AllowRepos, sc.CloneURLs, sc.WebhookSecret = []string{demoRepo}, map[string]string{demoRepo: repo.bare}, secret
	// The demo shows the webhook's path; the reconciler would deploy the
	// first commit before its push is posted.
	off := time.Duration(0)
	sc.ReconcileInterval = &off
	svc, err := a.start(ctx, cfg, startParts{http: true, work: true})
	if err != nil {
		return err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.stop(stop)
	}()
	fmt.Fprintf(a.stdout, "service up: webhook %s, Confluent Cloud emulator %s\n\n", svc.URL, svc.EmulatorURL)

	zero := strings.Repeat("0", 40)
	fmt.Fprintf(a.stdout, "1. push %.7s (%s) to main\n", first, "the whole tree")
	if err := a.demoPush(ctx, svc, secret, zero, first); err != nil {
		return err
	}

	// A stateful table changes: the rules recreate it and restart what its
	// state feeds.
	file := filepath.Join(repo.work, "pipelines", "dimensions", "sales", "dim_customer", "sql-scripts", "dml.sales_dim_customer.sql")
	if err := rewrite(file, "c.country,", "UPPER(c.country) AS country,"); err != nil {
		return fmt.Errorf("the demo changes %s: %w", file, err)
	}
	second, err := repo.commit("sales_dim_customer: country in upper case")
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\n2. push %.7s: sales_dim_customer's DML changed (country in upper case)\n", second)
	if err := a.demoPush(ctx, svc, secret, first, second); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nThe same jobs are in the ops API (GET /api/jobs) and `shiftleft jobs list` when `shiftleft serve` runs.\n")
	return nil
}

// demoPush signs a push event as GitHub does, posts it, waits for its job
// and prints what the job did.
func (a *app) demoPush(ctx context.Context, svc *service, secret, before, after string) error {
	payload, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": before, "after": after, "created": before == strings.Repeat("0", 40),
		"repository": map[string]any{"name": "pipelines", "full_name": demoRepo, "clone_url": "https://github.com/" + demoRepo + ".git",
			"owner": map[string]any{"name": "demo", "login": "demo"}},
		"pusher":      map[string]any{"name": "demo"},
		"head_commit": map[string]any{"id": after, "message": "demo"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, svc.URL+"/webhooks/github", bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", randomHex(16))
	req.Header.Set("X-Hub-Signature-256", webhook.Sign(secret, payload))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var answer struct {
		Status string `json:"status"`
		JobID  string `json:"job_id"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.JobID == "" {
		return fmt.Errorf("webhook answered %d %s", res.StatusCode, body)
	}
	fmt.Fprintf(a.stdout, "   webhook: %d %s, job %s\n", res.StatusCode, answer.Status, answer.JobID)
	j, err := waitJob(ctx, svc.queue, answer.JobID)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "   job %s: %s\n", j.Status, j.Summary)
	for _, p := range j.Plan {
		fmt.Fprintf(a.stdout, "   - %-12s %-28s %s\n", p.Action, p.Table, p.Reason)
		fmt.Fprintf(a.stdout, "     %-12s %-28s data: %s\n", "", "", p.Consequence)
	}
	if j.Status != jobs.StatusSucceeded {
		return fmt.Errorf("job %s %s: %s", j.ID, j.Status, j.Error)
	}
	return nil
}

func waitJob(ctx context.Context, q *jobs.Queue, id string) (*jobs.Job, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		j, err := q.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if j.Status.Finished() {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("job %s: %w", id, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// demoGit is a working copy and the bare repository it pushes to.
type demoGit struct{ work, bare string }

func (g *demoGit) init(src string) error {
	if err := os.MkdirAll(g.work, 0o755); err != nil {
		return err
	}
	if err := files.CopyDir(src, filepath.Join(g.work, "pipelines")); err != nil {
		return err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"init", "-q", "--bare", g.bare}, {"remote", "add", "origin", g.bare}} {
		if _, err := g.run(args...); err != nil {
			return err
		}
	}
	return nil
}

func (g *demoGit) commit(msg string) (string, error) {
	for _, args := range [][]string{{"add", "-A"}, {"commit", "-q", "-m", msg}, {"push", "-q", "origin", "HEAD:refs/heads/main"}} {
		if _, err := g.run(args...); err != nil {
			return "", err
		}
	}
	return g.run("rev-parse", "HEAD")
}

func (g *demoGit) run(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = g.work
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=shiftleft demo", "GIT_AUTHOR_EMAIL=demo@example.com",
		"GIT_COMMITTER_NAME=shiftleft demo", "GIT_COMMITTER_EMAIL=demo@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func rewrite(file, old, new string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(old)) {
		return fmt.Errorf("%q not found", old)
	}
	return os.WriteFile(file, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
