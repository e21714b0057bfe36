package confluent

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// poolCall is a call on the compute pools of the client's environment, or
// on one pool when id is not empty. Every pool operation but create scopes
// itself with the environment query parameter.
func (c *Client) poolCall(method, id string) call {
	cl := call{ep: c.cloud, method: method, path: poolsPath(), resource: ResourceComputePool,
		query: url.Values{"environment": {c.opts.envID}}}
	if id != "" {
		cl.path = poolsPath(id)
	}
	return cl
}

// CreateComputePool creates a pool in the client's environment (POST, 202)
// and returns it, usually PROVISIONING. Pools have no unique name to find a
// lost create by, so the POST is retried only when the server surely did
// not act on it (429, connection refused), never after a 5xx or a cut
// connection: a duplicate pool would cost more than a failed call.
func (c *Client) CreateComputePool(ctx context.Context, r ComputePoolRequest) (*ComputePool, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cl := c.poolCall(http.MethodPost, "")
	cl.query = nil // the environment goes in the body
	cl.once = true
	cl.body = ComputePool{Spec: ComputePoolSpec{
		DisplayName: r.DisplayName,
		Cloud:       r.Cloud,
		Region:      r.Region,
		MaxCFU:      r.MaxCFU,
		Environment: &ObjectReference{ID: c.opts.envID},
	}}
	var p ComputePool
	if _, err := c.do(ctx, cl, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetComputePool returns the pool; [ErrComputePoolNotFound] when the
// environment has none of that id.
func (c *Client) GetComputePool(ctx context.Context, id string) (*ComputePool, error) {
	if err := validatePoolID(id); err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var p ComputePool
	if _, err := c.do(ctx, c.poolCall(http.MethodGet, id), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListComputePools returns every pool of the client's environment, all
// pages.
func (c *Client) ListComputePools(ctx context.Context) ([]ComputePool, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	cl := c.poolCall(http.MethodGet, "")
	cl.resource = "" // a 404 here is about the environment
	cl.query.Set("page_size", strconv.Itoa(c.opts.pageSize))
	return listAll[ComputePool](ctx, c, cl)
}

// DeleteComputePool deletes the pool (204). [ErrComputePoolNotFound] when
// there is none of that id, unless an earlier attempt whose answer was
// lost deleted it.
func (c *Client) DeleteComputePool(ctx context.Context, id string) error {
	if err := validatePoolID(id); err != nil {
		return err
	}
	return c.remove(ctx, c.poolCall(http.MethodDelete, id))
}

func validatePoolID(id string) error {
	if !isID(id) {
		return fmt.Errorf("%w: compute pool id %q", ErrInvalidRequest, id)
	}
	return nil
}
