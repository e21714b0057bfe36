package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

const (
	cloneSecret = "ghp_cloneSecret0123456789"
	secretURL   = "https://deploy-bot:" + cloneSecret + "@github.com/acme/shop.git"
	cleanURL    = "https://github.com/acme/shop.git"
)

// TestCloneURLCredentialsNeverStored publishes a job whose clone URL
// carries credentials: neither the message nor the record holds them.
func TestCloneURLCredentialsNeverStored(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	job := testJob("d-secret")
	job.CloneURL = secretURL
	publish(t, q, job)
	if job.CloneURL != cleanURL {
		t.Errorf("published job's clone URL %q, want %q", job.CloneURL, cleanURL)
	}
	msg, err := q.stream.GetLastMsgForSubject(ctx, q.subject(KindDeploy))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := q.records.Get(ctx, jobKey(job.ID))
	if err != nil {
		t.Fatal(err)
	}
	for what, data := range map[string][]byte{"message": msg.Data, "record": rec.Value()} {
		if s := string(data); strings.Contains(s, cloneSecret) || !strings.Contains(s, cleanURL) {
			t.Errorf("the %s holds %s, want the clean URL and no secret", what, s)
		}
	}
}

// TestCloneURLCredentialsStoredEarlierAreCleaned reads what an earlier
// version stored with the credentials: the record reads clean, and is
// written back clean; the message reaches the handler clean.
func TestCloneURLCredentialsStoredEarlierAreCleaned(t *testing.T) {
	q, _ := newTestQueue(t)
	ctx := testCtx(t)
	old := testJob("d-old")
	old.ID, old.Version, old.Status, old.CloneURL = "01JOLDRECORD00000000000000", Version, StatusQueued, secretURL
	data, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.records.Put(ctx, jobKey(old.ID), data); err != nil {
		t.Fatal(err)
	}
	if _, err := q.js.Publish(ctx, q.subject(KindDeploy), data); err != nil {
		t.Fatal(err)
	}

	got, err := q.Get(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CloneURL != cleanURL {
		t.Errorf("record read with clone URL %q, want %q", got.CloneURL, cleanURL)
	}
	seen := make(chan string, 1)
	consume(t, q, func(_ context.Context, d *Delivery) error {
		seen <- d.Job.CloneURL
		return nil
	}, 1)
	if url := <-seen; url != cleanURL {
		t.Errorf("the handler got clone URL %q, want %q", url, cleanURL)
	}
	waitStatus(t, q, old.ID, StatusSucceeded)
	rec, err := q.records.Get(ctx, jobKey(old.ID))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Value()), cloneSecret) {
		t.Errorf("the record, written back, holds the secret: %s", rec.Value())
	}
}
