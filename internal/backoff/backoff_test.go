package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestJitter(t *testing.T) {
	tests := []struct {
		name      string
		base, max time.Duration
		attempt   int
		ceiling   time.Duration
	}{
		{"first attempt", 100 * time.Millisecond, time.Second, 1, 100 * time.Millisecond},
		{"doubles", 100 * time.Millisecond, time.Second, 3, 400 * time.Millisecond},
		{"capped", 100 * time.Millisecond, time.Second, 30, time.Second},
		{"base above max", 2 * time.Second, time.Second, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := Jitter(tt.base, tt.max, tt.attempt); d <= 0 || d > tt.ceiling {
					t.Fatalf("Jitter = %v, want in (0, %v]", d, tt.ceiling)
				}
			}
		})
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on an ended context = %v, want context.Canceled", err)
	}
}
