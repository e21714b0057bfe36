package confluent

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

const poolsPathTest = "/fcpm/v2/compute-pools"

// poolJSON is a compute pool as the server returns it.
func poolJSON(id, name, phase string) string {
	return mustJSON(map[string]any{
		"api_version": "fcpm/v2",
		"kind":        "ComputePool",
		"id":          id,
		"metadata": map[string]any{
			"self":          "https://api.confluent.cloud/fcpm/v2/compute-pools/" + id,
			"resource_name": "crn://confluent.cloud/organization=" + testOrg + "/environment=" + testEnv + "/flink-region=aws.us-east-1/compute-pool=" + id,
			"created_at":    "2026-03-02T10:00:00Z",
		},
		"spec": map[string]any{
			"display_name": name,
			"cloud":        "AWS",
			"region":       "us-east-1",
			"max_cfu":      10,
			"environment": map[string]any{
				"id":            testEnv,
				"related":       "https://api.confluent.cloud/org/v2/environments/" + testEnv,
				"resource_name": "crn://confluent.cloud/organization=" + testOrg + "/environment=" + testEnv,
			},
		},
		"status": map[string]any{"phase": phase, "current_cfu": 0},
	})
}

func TestComputePools(t *testing.T) {
	env := url.Values{"environment": {testEnv}}
	one := poolsPathTest + "/lfcp-8m03rm"
	req := ComputePoolRequest{DisplayName: "sales-pool", Cloud: "AWS", Region: "us-east-1", MaxCFU: 10}
	create := func(r ComputePoolRequest) func(context.Context, *Client) (any, error) {
		return func(ctx context.Context, c *Client) (any, error) { return c.CreateComputePool(ctx, r) }
	}
	provisioning := poolJSON("lfcp-8m03rm", "sales-pool", PoolProvisioning)
	notFound := failureJSON(http.StatusNotFound, "", "Not Found", "")
	listQuery := func(token string) url.Values {
		q := url.Values{"environment": {testEnv}, "page_size": {"100"}}
		if token != "" {
			q.Set("page_token", token)
		}
		return q
	}
	poolList := func(next string, items ...string) string {
		return listJSON(ComputePoolVersion, "ComputePoolList", next, items...)
	}

	runCases(t, []callCase{
		{
			name: "create sends the spec in the client's environment",
			script: []exchange{{method: "POST", path: poolsPathTest, query: url.Values{}, status: 202, resp: provisioning,
				body: `{"spec":{"display_name":"sales-pool","cloud":"AWS","region":"us-east-1","max_cfu":10,"environment":{"id":"` + testEnv + `"}}}`}},
			call: create(req),
			want: provisioning,
		},
		{
			name:    "create with a bad display name sends nothing",
			call:    create(ComputePoolRequest{DisplayName: "_x", Cloud: "AWS", Region: "us-east-1", MaxCFU: 5}),
			wantErr: ErrInvalidRequest,
		},
		{
			name:    "create without a region sends nothing",
			call:    create(ComputePoolRequest{DisplayName: "x", Cloud: "AWS", MaxCFU: 5}),
			wantErr: ErrInvalidRequest,
		},
		{
			name: "create is retried after a 429",
			script: []exchange{
				{method: "POST", path: poolsPathTest, status: 429, header: map[string]string{"Retry-After": "0"}},
				{method: "POST", path: poolsPathTest, status: 202, resp: provisioning},
			},
			call: create(req),
			want: provisioning,
		},
		{
			name:    "create is not retried after a 503: the pool may exist",
			faults:  true,
			script:  []exchange{{method: "POST", path: poolsPathTest, status: 503}},
			call:    create(req),
			wantErr: &APIError{StatusCode: 503},
		},
		{
			name:    "create is not retried after a cut connection",
			script:  []exchange{{method: "POST", path: poolsPathTest, hangup: true}},
			call:    create(req),
			wantErr: errAny,
		},
		{
			name:    "create of a taken pool",
			script:  []exchange{{method: "POST", path: poolsPathTest, status: 409, resp: failureJSON(409, "resource_already_exists", "Resource Already exists", "")}},
			call:    create(req),
			wantErr: ErrAlreadyExists,
		},
		{
			name:   "get",
			script: []exchange{{method: "GET", path: one, query: env, status: 200, resp: provisioning}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetComputePool(ctx, "lfcp-8m03rm")
			},
			want: provisioning,
		},
		{
			name:   "get of a missing pool",
			script: []exchange{{method: "GET", path: one, query: env, status: 404, resp: notFound}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetComputePool(ctx, "lfcp-8m03rm")
			},
			wantErr: ErrComputePoolNotFound,
		},
		{
			name: "get with an id that would change the path sends nothing",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.GetComputePool(ctx, "../statements")
			},
			wantErr: ErrInvalidRequest,
		},
		{
			name: "list follows metadata.next",
			script: []exchange{
				{method: "GET", path: poolsPathTest, query: listQuery(""), status: 200,
					resp: poolList("https://api.confluent.cloud/fcpm/v2/compute-pools?environment="+testEnv+"&page_token=p2", poolJSON("lfcp-1", "a", PoolProvisioned))},
				{method: "GET", path: poolsPathTest, query: listQuery("p2"), status: 200,
					resp: poolList("https://api.confluent.cloud/fcpm/v2/compute-pools?environment="+testEnv+"&page_token=p3", poolJSON("lfcp-2", "b", PoolProvisioned))},
				{method: "GET", path: poolsPathTest, query: listQuery("p3"), status: 200,
					resp: poolList("", poolJSON("lfcp-3", "c", PoolProvisioning))},
			},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListComputePools(ctx) },
			want: "[" + poolJSON("lfcp-1", "a", PoolProvisioned) + "," + poolJSON("lfcp-2", "b", PoolProvisioned) + "," + poolJSON("lfcp-3", "c", PoolProvisioning) + "]",
		},
		{
			name:   "delete",
			script: []exchange{{method: "DELETE", path: one, query: env, status: 204}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteComputePool(ctx, "lfcp-8m03rm")
			},
		},
		{
			name:   "delete of a missing pool",
			script: []exchange{{method: "DELETE", path: one, query: env, status: 404, resp: notFound}},
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteComputePool(ctx, "lfcp-8m03rm")
			},
			wantErr: ErrComputePoolNotFound,
		},
	})
}
