package webhook

import (
	"context"
	"errors"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*Config)
		nilPub  bool
		opts    []Option
		wantErr error
	}{
		{name: "valid", cfg: func(*Config) {}},
		{name: "no secret", cfg: func(c *Config) { c.Secret = "" }, wantErr: ErrInvalidConfig},
		{name: "no repository", cfg: func(c *Config) { c.Repos = nil }, wantErr: ErrInvalidConfig},
		{name: "repository without owner", cfg: func(c *Config) { c.Repos = []string{"flink-pipelines"} }, wantErr: ErrInvalidConfig},
		{name: "repository URL", cfg: func(c *Config) { c.Repos = []string{"https://github.com/a/b"} }, wantErr: ErrInvalidConfig},
		{name: "repository with a path", cfg: func(c *Config) { c.Repos = []string{"a/b/c"} }, wantErr: ErrInvalidConfig},
		{name: "deploy branch given as a ref", cfg: func(c *Config) { c.DeployBranch = "refs/heads/main" }, wantErr: ErrInvalidConfig},
		{name: "clone URL of a repository not allowed", cfg: func(c *Config) { c.CloneURLs = map[string]string{"a/b": "/tmp/b"} }, wantErr: ErrInvalidConfig},
		{name: "empty clone URL", cfg: func(c *Config) { c.CloneURLs = map[string]string{testRepo: ""} }, wantErr: ErrInvalidConfig},
		{name: "clone URL that does not parse", cfg: func(c *Config) { c.CloneURLs = map[string]string{testRepo: "https://u:p%zz@host/r.git"} }, wantErr: ErrInvalidConfig},
		{name: "negative body limit", cfg: func(c *Config) { c.MaxBodyBytes = -1 }, wantErr: ErrInvalidConfig},
		{name: "no publisher", cfg: func(*Config) {}, nilPub: true, wantErr: ErrInvalidConfig},
		{name: "nil readiness check", cfg: func(*Config) {}, opts: []Option{WithReadiness(nil)}, wantErr: ErrInvalidOption},
		{name: "readiness check", cfg: func(*Config) {}, opts: []Option{WithReadiness(func(context.Context) error { return nil })}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.cfg(&cfg)
			var pub Publisher = &recorder{}
			if tt.nilPub {
				pub = nil
			}
			h, err := New(cfg, pub, tt.opts...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if (h == nil) != (tt.wantErr != nil) {
				t.Errorf("handler %v with error %v", h, err)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	s, err := testConfig().validate()
	if err != nil {
		t.Fatal(err)
	}
	if s.deployRef != "refs/heads/main" || s.maxBody != 25<<20 || s.log == nil || s.reg == nil {
		t.Errorf("defaults: deploy %q, body limit %d, logger %v, registry %v", s.deployRef, s.maxBody, s.log, s.reg)
	}
}
