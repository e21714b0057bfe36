package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/shiftleft/shiftleft/confluent"
)

// The compute pools API, fcpm/v2.

// Where the emulator says its pools and Flink endpoint are.
const (
	defaultCloud  = "AWS"
	defaultRegion = "us-east-1"
)

var (
	displayNameRE = regexp.MustCompile(`^(?:[0-9A-Za-z\-])[\w\.-]{0,63}$`)
	clouds        = []string{"AWS", "GCP", "AZURE"}
)

// envQuery reads the environment query parameter the spec requires.
func envQuery(c *call) (string, error) {
	env := c.r.URL.Query().Get("environment")
	if env == "" {
		return "", badParam("environment", "the environment query parameter is required")
	}
	return env, nil
}

// lookupPool finds the pool of the URL in env, 404 if there is none.
func (e *Emulator) lookupPool(c *call, env string) (*pool, error) {
	if p := e.m.Pools[c.path("id")]; p != nil && p.Env == env {
		return p, nil
	}
	return nil, notFound("Compute pool '%s' was not found in environment '%s'.", c.path("id"), env)
}

func (e *Emulator) listPools(c *call) (response, error) {
	env, err := envQuery(c)
	if err != nil {
		return response{}, err
	}
	q := c.r.URL.Query()
	size, after, err := pageQuery(q)
	if err != nil {
		return response{}, err
	}
	region := q.Get("spec.region")
	var ids []string
	for id, p := range e.m.Pools {
		if p.Env == env && (region == "" || p.Region == region) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids, more := page(ids, after, size, func(string) bool { return true })
	list := confluent.ComputePoolList{APIVersion: confluent.ComputePoolVersion, Kind: "ComputePoolList",
		Metadata: confluent.ListMeta{Self: selfURL(c)}, Data: []confluent.ComputePool{}}
	for _, id := range ids {
		list.Data = append(list.Data, renderPool(c.base, e.m.Pools[id]))
	}
	if more {
		list.Metadata.Next = nextPage(c, ids[len(ids)-1])
	}
	return response{status: http.StatusOK, body: list}, nil
}

func (e *Emulator) createPool(c *call) (response, error) {
	var in confluent.ComputePool
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	s := in.Spec
	switch {
	case s.Environment == nil || s.Environment.ID == "":
		return response{}, invalid("/spec/environment/id", "spec.environment.id is required")
	case s.Region == "":
		return response{}, invalid("/spec/region", "spec.region is required")
	case !slices.Contains(clouds, s.Cloud):
		return response{}, invalid("/spec/cloud", "spec.cloud must be one of %s", strings.Join(clouds, ", "))
	}
	if err := validatePoolSpec(s, true); err != nil {
		return response{}, err
	}
	if err := e.poolQuota(s.Environment.ID); err != nil {
		return response{}, err
	}
	env := e.m.env(s.Environment.ID)
	isDefault := s.DefaultPool != nil && *s.DefaultPool
	if err := e.checkDefault(c, env, nil, isDefault); err != nil {
		return response{}, err
	}
	p := &pool{ID: poolID(e.m.nextID()), Env: env.ID, DisplayName: s.DisplayName, Cloud: s.Cloud, Region: s.Region,
		MaxCFU: s.MaxCFU, Default: isDefault, Phase: confluent.PoolProvisioning, CreatedAt: c.now, UpdatedAt: c.now}
	e.m.Pools[p.ID] = p
	if isDefault {
		env.DefaultPool = p.ID
	}
	e.schedulePool(p, c.now)
	return response{status: http.StatusAccepted, header: http.Header{"Location": {poolURL(c.base, p)}},
		body: renderPool(c.base, p)}, nil
}

// validatePoolSpec checks display_name and max_cfu; required says they must
// be there, as on create. max_cfu is an extensible enum of 5 to 50; any
// value from 1 lets tests fill a pool with a couple of statements, and one
// over 50 exceeds the quota of CFUs a pool may have.
func validatePoolSpec(s confluent.ComputePoolSpec, required bool) error {
	switch {
	case (required || s.DisplayName != "") && !displayNameRE.MatchString(s.DisplayName):
		return invalid("/spec/display_name", "spec.display_name %q must match %s", s.DisplayName, displayNameRE)
	case (required || s.MaxCFU != 0) && s.MaxCFU < 1:
		return invalid("/spec/max_cfu", "spec.max_cfu must be between 1 and %d", MaxPoolCFU)
	case s.MaxCFU > MaxPoolCFU:
		return quota(codeCFUQuota, "/spec/max_cfu", "a compute pool has at most %d CFU, not %d (quota: CFU per compute pool).",
			MaxPoolCFU, s.MaxCFU)
	}
	return nil
}

// checkDefault refuses a second default pool in an environment.
func (e *Emulator) checkDefault(c *call, env *environment, self *pool, isDefault bool) error {
	other := e.m.Pools[env.DefaultPool]
	if !isDefault || other == nil || other == self {
		return nil
	}
	err := conflict(codeAlreadyExists, "Environment '%s' already has a default compute pool, %s.", env.ID, other.ID)
	err.pointer, err.location = "/spec/default_pool", poolURL(c.base, other)
	return err
}

func (e *Emulator) getPool(c *call) (response, error) {
	env, err := envQuery(c)
	if err != nil {
		return response{}, err
	}
	p, err := e.lookupPool(c, env)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: renderPool(c.base, p)}, nil
}

// patchPool changes display_name, max_cfu or default_pool; a larger pool
// starts the statements waiting for it.
func (e *Emulator) patchPool(c *call) (response, error) {
	var in confluent.ComputePool
	if err := decode(c.body, &in); err != nil {
		return response{}, err
	}
	s := in.Spec
	if s.Environment == nil || s.Environment.ID == "" {
		return response{}, invalid("/spec/environment/id", "spec.environment.id is required")
	}
	p, err := e.lookupPool(c, s.Environment.ID)
	if err != nil {
		return response{}, err
	}
	switch {
	case s.Cloud != "" && s.Cloud != p.Cloud:
		return response{}, invalid("/spec/cloud", "spec.cloud is immutable")
	case s.Region != "" && s.Region != p.Region:
		return response{}, invalid("/spec/region", "spec.region is immutable")
	}
	if err := validatePoolSpec(s, false); err != nil {
		return response{}, err
	}
	if s.MaxCFU != 0 && s.MaxCFU < p.MaxCFU {
		return response{}, invalid("/spec/max_cfu", "spec.max_cfu can be increased, not decreased: it is %d, not %d", p.MaxCFU, s.MaxCFU)
	}
	env := e.m.Environments[p.Env]
	if s.DefaultPool != nil {
		if err := e.checkDefault(c, env, p, *s.DefaultPool); err != nil {
			return response{}, err
		}
		p.Default = *s.DefaultPool
		switch {
		case p.Default:
			env.DefaultPool = p.ID
		case env.DefaultPool == p.ID:
			env.DefaultPool = ""
		}
	}
	if s.DisplayName != "" {
		p.DisplayName = s.DisplayName
	}
	if s.MaxCFU != 0 {
		p.MaxCFU = s.MaxCFU
	}
	p.UpdatedAt = c.now
	e.startWaiting(p, c.now)
	return response{status: http.StatusOK, body: renderPool(c.base, p)}, nil
}

func (e *Emulator) deletePoolRoute(c *call) (response, error) {
	env, err := envQuery(c)
	if err != nil {
		return response{}, err
	}
	p, err := e.lookupPool(c, env)
	if err != nil {
		return response{}, err
	}
	e.deletePool(p, c.now)
	return response{status: http.StatusNoContent}, nil
}

func poolURL(base string, p *pool) string { return base + "/fcpm/v2/compute-pools/" + p.ID }

func renderPool(base string, p *pool) confluent.ComputePool {
	isDefault := p.Default
	return confluent.ComputePool{
		APIVersion: confluent.ComputePoolVersion, Kind: "ComputePool", ID: p.ID,
		Metadata: &confluent.PoolMetadata{Self: poolURL(base, p), CreatedAt: &p.CreatedAt, UpdatedAt: &p.UpdatedAt,
			ResourceName: "crn://confluent.cloud/environment=" + p.Env + "/flink-region=" +
				strings.ToLower(p.Cloud) + "." + p.Region + "/compute-pool=" + p.ID},
		Spec: confluent.ComputePoolSpec{DisplayName: p.DisplayName, Cloud: p.Cloud, Region: p.Region, MaxCFU: p.MaxCFU,
			DefaultPool: &isDefault, Environment: &confluent.ObjectReference{ID: p.Env,
				Related: base + "/org/v2/environments/" + p.Env, ResourceName: "crn://confluent.cloud/environment=" + p.Env}},
		Status: &confluent.ComputePoolStatus{Phase: p.Phase, CurrentCFU: p.used},
	}
}

// regions the emulator lists when asked for all; a filter on a region it
// does not list still finds it, so a client configured for any region
// discovers the emulator.
var regions = []struct{ cloud, name, display string }{
	{"AWS", "us-east-1", "N. Virginia (us-east-1)"},
	{"AWS", "us-west-2", "Oregon (us-west-2)"},
	{"AWS", "eu-west-1", "Ireland (eu-west-1)"},
	{"GCP", "us-central1", "Iowa (us-central1)"},
	{"AZURE", "eastus", "Virginia (eastus)"},
}

// listRegions answers every region with http_endpoint pointing at the
// emulator itself.
func (e *Emulator) listRegions(c *call) (response, error) {
	q := c.r.URL.Query()
	if _, _, err := pageQuery(q); err != nil {
		return response{}, err
	}
	cloud, name := strings.ToUpper(q.Get("cloud")), q.Get("region_name")
	list := regionList{APIVersion: confluent.ComputePoolVersion, Kind: "RegionList",
		Metadata: confluent.ListMeta{Self: selfURL(c)}, Data: []region{}}
	for _, r := range regions {
		if (cloud == "" || r.cloud == cloud) && (name == "" || r.name == name) {
			list.Data = append(list.Data, newRegion(c.base, r.cloud, r.name, r.display))
		}
	}
	if len(list.Data) == 0 && name != "" {
		if cloud == "" {
			cloud = defaultCloud
		}
		list.Data = append(list.Data, newRegion(c.base, cloud, name, name))
	}
	return response{status: http.StatusOK, body: list}, nil
}

func newRegion(base, cloud, name, display string) region {
	id := strings.ToLower(cloud) + "." + name
	return region{APIVersion: confluent.ComputePoolVersion, Kind: "Region", ID: id,
		Metadata:    &confluent.PoolMetadata{Self: base + "/fcpm/v2/regions/" + id, ResourceName: "crn://confluent.cloud/region=" + id},
		DisplayName: display, Cloud: cloud, RegionName: name, HTTPEndpoint: base, PrivateHTTPEndpoint: base}
}
