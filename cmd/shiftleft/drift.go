package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shiftleft/shiftleft/planner"
	"github.com/shiftleft/shiftleft/reconcile"
)

// driftCmd is `shiftleft drift`: the reconciler's latest reports, through
// the service's ops API (GET /api/drift).
func (a *app) driftCmd() *cobra.Command {
	var (
		serviceURL, repo string
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Show how what runs differs from the deployed commit, as the service's reconciler last saw it (GET /api/drift)",
		Long: `Ask the service's ops API for the reconciler's latest drift report of each
repository and environment: every table of the deployed commit classified
in-sync, pending, degraded, changed, stopped, missing, failed, orphaned or
unmanaged: the counts of each state, and the tables not in sync (the first
500). The ops token is read from $SL_OPS_TOKEN. Without a service, see
` + "`shiftleft pipeline drift`" + `.`,
		Args: args(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			token := a.getenv("SL_OPS_TOKEN")
			if token == "" {
				return usagef("SL_OPS_TOKEN is not set: the ops API needs its token")
			}
			reports, raw, err := fetchDrift(cmd.Context(), serviceURL, repo, token)
			if err != nil {
				return err
			}
			if asJSON {
				_, err := a.stdout.Write(raw)
				return err
			}
			if len(reports) == 0 {
				fmt.Fprintln(a.stdout, "no drift report yet: the reconciler has not run a pass (is --reconcile-interval 0, or no --allow-repo given?)")
				return nil
			}
			for _, r := range reports {
				if err := r.Write(a.stdout, false); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&serviceURL, "url", "http://127.0.0.1:8080", "the service's webhook and ops API address")
	f.StringVar(&repo, "repo", "", "only this repository (owner/name)")
	f.BoolVar(&asJSON, "json", false, "print the reports as the API answers them")
	return cmd
}

// fetchDrift reads GET /api/drift.
func fetchDrift(ctx context.Context, base, repo, token string) ([]*reconcile.Report, []byte, error) {
	u := strings.TrimRight(base, "/") + "/api/drift"
	if repo != "" {
		u += "?repo=" + url.QueryEscape(repo)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, usagef("--url: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("ask the service at %s (is `shiftleft serve` running?): %w", base, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read the drift reports: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Reason string }
		_ = json.Unmarshal(body, &e)
		return nil, nil, fmt.Errorf("GET /api/drift: %s: %s", res.Status, e.Reason)
	}
	var out struct {
		Reports []*reconcile.Report `json:"reports"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, nil, fmt.Errorf("GET /api/drift: %w", err)
	}
	return out.Reports, body, nil
}

// pipelineDriftCmd is `shiftleft pipeline drift PIPELINES`: the same
// classification of a folder's tables against the configured target, with
// no service.
func (a *app) pipelineDriftCmd() *cobra.Command {
	var o deployOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "drift [PIPELINES]",
		Short: "Compare what runs on the target with the pipelines folder, table by table",
		Long: `Compare what runs on the configured target (Confluent Cloud, or --emulator)
with the desired state of PIPELINES (default $PIPELINES): each table is
in-sync, pending, degraded, changed, stopped, missing or failed; statements
shiftleft made for tables the folder does not have are orphaned, and
statements it did not make that write the folder's tables are unmanaged.
Nothing is changed. The exit status is 1 when any table is not in sync.`,
		Args: args(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.pipelinesArg(args, 0)
			if err != nil {
				return err
			}
			inv, err := a.scan(t)
			if err != nil {
				return err
			}
			s, err := a.open(cmd.Context(), o)
			if err != nil {
				return err
			}
			r := reconcile.NewReport(t.dir, s.target.EnvironmentID, planner.Status(planner.DesiredState(inv, naming(s.cfg)), s.live), time.Now())
			if o.json {
				err = a.printJSON(r)
			} else {
				err = r.Write(a.stdout, all)
			}
			if err != nil {
				return err
			}
			if n := len(r.Drifted()); n > 0 {
				return fmt.Errorf("%d tables not in sync", n)
			}
			return nil
		},
	}
	o.targetFlags(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "list the tables in sync too")
	return cmd
}
