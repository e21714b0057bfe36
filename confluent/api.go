package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
)

// Request bodies and list plumbing shared by the statements and compute
// pools APIs; the resources themselves are in types.go.

// statementCreate is the POST body of a statement: only writable fields, so
// no api_version, kind, status or server-set metadata.
type statementCreate struct {
	Name           string        `json:"name"`
	OrganizationID string        `json:"organization_id"`
	EnvironmentID  string        `json:"environment_id"`
	Metadata       *labelsOnly   `json:"metadata,omitempty"`
	Spec           StatementSpec `json:"spec"`
}

// labelsOnly is the part of metadata a client writes. StatementObjectMeta
// is read-only in the spec, but sql.v1.Statement re-declares metadata.labels
// on top of it; it is sent only when there are labels.
type labelsOnly struct {
	Labels map[string]string `json:"labels"`
}

// page is one page of a list answer (StatementList, ComputePoolList).
type page[T any] struct {
	Metadata ListMeta `json:"metadata"`
	Data     []T      `json:"data"`
}

// listAll gets every page of a list, following metadata.next. Only the
// page_token is taken from the next URL and sent to our own base URL: the
// host the server names may not be the one we reach it by (a proxy).
func listAll[T any](ctx context.Context, c *Client, cl call) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	for {
		var p page[T]
		if _, err := c.do(ctx, cl, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Data...)
		if p.Metadata.Next == "" {
			return all, nil
		}
		token, err := pageToken(p.Metadata.Next)
		if err == nil && seen[token] {
			err = fmt.Errorf("page_token %q came back twice", token)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: next page: %w", cl.method, cl.path, err)
		}
		seen[token] = true
		cl.query.Set("page_token", token)
	}
}

func pageToken(next string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", err
	}
	token := u.Query().Get("page_token")
	if token == "" {
		return "", errors.New("metadata.next has no page_token")
	}
	return token, nil
}

// putBody is the PUT body of a statement read as raw, with the given spec
// fields set. The spec marks api_version, kind, status and
// spec.execution_mode read-only, so they are left out; everything else goes
// back as read (metadata with its resource_version, which the PUT requires),
// fields types.go does not model, such as spec.scaling, included.
func putBody(raw []byte, set map[string]any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("statement is null")
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(obj["spec"], &spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if spec == nil {
		spec = map[string]json.RawMessage{}
	}
	for k, v := range set {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		spec[k] = b
	}
	delete(spec, "execution_mode")
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	obj["spec"] = b
	for _, k := range []string{"api_version", "kind", "status"} {
		delete(obj, k)
	}
	return json.Marshal(obj)
}
