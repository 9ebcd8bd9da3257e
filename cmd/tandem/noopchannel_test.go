package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/outbox"
)

// noopChannel is a whole channel in a few lines: it delivers every event,
// once, to a sender that keeps what it is given (in sent) and sends
// nowhere. `serve --noop anything` turns it on.
func noopChannel(sent chan<- notify.Message) notify.Channel {
	return notify.Channel{
		Channel: outbox.Channel{Name: "noop", Route: func(e outbox.Event, _ outbox.Notice) []outbox.Delivery {
			return []outbox.Delivery{{Subject: e.Type}}
		}},
		Flag: "noop", Env: "TANDEM_NOOP", Usage: "deliver every event nowhere",
		Open: func(string) (notify.Sender, error) { return noopSender(sent), nil },
	}
}

type noopSender chan<- notify.Message

func (s noopSender) Send(ctx context.Context, m notify.Message) error {
	select {
	case s <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestNoopChannelReceivesEvents registers a channel with one line, turns it
// on with its flag, and sees the lead that the API creates reach its sender
// as a lead.created event, with the lead's id and fields.
func TestNoopChannelReceivesEvents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "t.db")
	clk := clock.NewFake(epoch)
	tok := tandemCmd(t, clk, dsn, "token", "create", "--name", "t", "--role", "admin")
	if tok.code != 0 {
		t.Fatalf("tandem token create: exit %d: %s", tok.code, tok.stderr)
	}
	sent := make(chan notify.Message, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &Main{Getenv: noEnv, Clock: clk,
		Channels: append(notify.Channels(), noopChannel(sent))} // the one line that registers a channel
	srv := startServing(t, ctx, m, "--db", dsn, "serve", "--addr", "127.0.0.1:0", "--noop", "on")
	url, stderr, done := srv.url, srv.stderr, srv.done
	req, _ := http.NewRequest("POST", url+"/api/v1/leads", strings.NewReader(`{"email": "ada@example.com", "company": "Analytical"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok.stdout))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/v1/leads: %v", err)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK || created.ID == 0 {
		t.Fatalf("POST /api/v1/leads = %s, %+v, %v; want the created lead's id", resp.Status, created, err)
	}
	select {
	case got := <-sent:
		var data outbox.Ledger
		if err := json.Unmarshal(got.Event.Data, &data); err != nil {
			t.Fatalf("the noop channel's event data %s: %v", got.Event.Data, err)
		}
		fields := map[string]string{}
		for _, c := range data.Changes {
			fields[c.Field] = c.To
		}
		if got.Channel != "noop" || got.Subject != "lead.created" || got.Event.Type != "lead.created" || got.Event.Version != 1 ||
			got.Event.LeadID != created.ID || got.Event.LedgerID == 0 || fields["email"] != "ada@example.com" || fields["company"] != "Analytical" {
			t.Errorf("the noop channel got %+v (data %s); want lead %d's lead.created with its email and company", got, got.Event.Data, created.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the noop channel got nothing in 30s; stderr:\n%s", stderr)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve: exit %d; want 0; stderr:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
	}
}
