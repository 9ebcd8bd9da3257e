package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/egress"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/worker"
)

func subscribe(t testing.TB, db *sqldb.DB, url string) sqldb.WebhookSubscription {
	t.Helper()
	s, err := db.CreateWebhook(context.Background(), sqldb.WebhookInput{URL: &url, EventTypes: &[]string{"lead.created"}}, 0)
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return s
}

func intake(t testing.TB, db *sqldb.DB, email string) {
	t.Helper()
	rs, err := db.IntakeLeads(context.Background(), []tandem.LeadInput{{Fields: map[string]string{"email": email}}}, sqldb.IntakeOptions{})
	if err != nil || rs[0].Err != nil {
		t.Fatalf("IntakeLeads(%s) = %+v, %v", email, rs, err)
	}
}

// TestWebhooksWorker: one round posts each due delivery, records a 2xx as
// delivered with its code, and a failure as an attempt to retry, timed by
// the clock.
func TestWebhooksWorker(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		var okHits, badHits atomic.Int32
		good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			okHits.Add(1)
			w.WriteHeader(http.StatusAccepted)
		}))
		defer good.Close()
		bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			badHits.Add(1)
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}))
		defer bad.Close()
		sg, sb := subscribe(t, db, good.URL), subscribe(t, db, bad.URL)
		intake(t, db, "a@example.com")
		intake(t, db, "b@example.com")

		w := &worker.Webhooks{DB: db, Clock: clk, Name: "w", Poster: notify.NewHooks(egress.Policy{AllowPrivate: true})}
		n, err := w.RunOnce(ctx)
		if err != nil || n != 2 {
			t.Errorf("RunOnce = %d, %v; want 2 delivered", n, err)
		}
		if okHits.Load() != 2 || badHits.Load() != 2 {
			t.Errorf("receivers got %d and %d posts; want 2 each", okHits.Load(), badHits.Load())
		}
		gl, _ := db.WebhookDeliveries(ctx, sg.ID, sqldb.DeliveryFilter{})
		bl, _ := db.WebhookDeliveries(ctx, sb.ID, sqldb.DeliveryFilter{})
		for _, d := range gl {
			if d.State != "delivered" || d.ResponseCode != 202 || d.Attempts != 1 {
				t.Errorf("good receiver's delivery %+v; want delivered with 202 after 1 attempt", d)
			}
		}
		for _, d := range bl {
			if d.State != "pending" || d.ResponseCode != 503 || d.Attempts != 1 || d.NextAt.Before(clk.Now().Add(4*time.Second)) {
				t.Errorf("bad receiver's delivery %+v; want pending with 503, retried in 4 s or more", d)
			}
		}
		if n, _ := w.RunOnce(ctx); n != 0 || badHits.Load() != 2 {
			t.Errorf("a second round at once delivered %d and posted %d to the bad receiver; want 0 and no new post", n, badHits.Load()-2)
		}
	})
}

// BenchmarkWebhookLatency takes in leads at 200 a second (four producers,
// one lead every 20 ms each, each in its own transaction) for ten seconds, with a subscription
// to lead.created on a receiver on 127.0.0.1 and a webhooks worker running
// as `tandem serve` runs it, on the real clock. It reports the delay from
// each event (its timestamp) to its arrival at the receiver, at the median
// and the 99th percentile, and fails when a post is missing.
//
//	go test ./worker -run '^$' -bench WebhookLatency -benchtime 1x
func BenchmarkWebhookLatency(b *testing.B) {
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			db, err := sqldb.Open(ctx, sqldbtest.Fresh(b, be), sqldb.Options{Clock: clock.Real{}})
			if err != nil {
				b.Fatalf("Open: %v", err)
			}
			defer db.Close()
			var mu sync.Mutex
			var delays []time.Duration
			seen := map[string]bool{}
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived := time.Now()
				body, _ := io.ReadAll(r.Body)
				var p struct{ Timestamp time.Time }
				json.Unmarshal(body, &p)
				mu.Lock()
				if !seen[r.Header.Get("webhook-id")] {
					seen[r.Header.Get("webhook-id")] = true
					delays = append(delays, arrived.Sub(p.Timestamp))
				}
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			defer recv.Close()
			subscribe(b, db, recv.URL)
			for range b.N {
				run, stop := context.WithCancel(ctx)
				w := &worker.Webhooks{DB: db, Clock: clock.Real{}, Name: "bench", Poster: notify.NewHooks(egress.Policy{AllowPrivate: true})}
				done := make(chan struct{})
				go func() { w.Run(run); close(done) }()
				// Eight producers of 25 events a second each, as eight
				// clients of the API would be: enough of them that one
				// intake's commit time (tens of milliseconds on PostgreSQL
				// on a loaded machine) does not hold the rate below 200/s.
				const producers, rate, seconds = 8, 200, 10
				start := time.Now()
				var wg sync.WaitGroup
				for p := range producers {
					wg.Go(func() {
						tick := time.NewTicker(time.Second * producers / rate)
						defer tick.Stop()
						for i := range rate * seconds / producers {
							<-tick.C
							intake(b, db, fmt.Sprintf("p%d-%d-%d@example.com", p, i, time.Now().UnixNano()))
						}
					})
				}
				wg.Wait()
				sent := rate * seconds
				elapsed := time.Since(start)
				deadline := time.Now().Add(30 * time.Second)
				for {
					mu.Lock()
					n := len(delays)
					mu.Unlock()
					if n >= sent || time.Now().After(deadline) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				stop()
				<-done
				mu.Lock()
				ds := slices.Clone(delays)
				delays, seen = nil, map[string]bool{}
				mu.Unlock()
				if len(ds) < sent {
					b.Fatalf("%d of %d events reached the receiver", len(ds), sent)
				}
				slices.Sort(ds)
				p50, p99 := ds[len(ds)/2], ds[len(ds)*99/100]
				b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
				b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
				b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
				b.Logf("%s: %d events at %.0f/s; event to arrival p50 %v, p99 %v, max %v", be.Name, sent, float64(sent)/elapsed.Seconds(),
					p50.Round(time.Millisecond), p99.Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
			}
		})
	}
}

// refusingSender is a Sender that fails every message with err.
type refusingSender struct {
	err  error
	sent atomic.Int32
}

func (s *refusingSender) Send(context.Context, notify.Message) error {
	s.sent.Add(1)
	return s.err
}

// TestOutboxDeadLetters: a send refused for good (notify.ErrPermanent) is
// dead after one attempt; any other failure is retried. The email to tell
// is a paused webhook's notice to its owner.
func TestOutboxDeadLetters(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		for _, tc := range []struct {
			name  string
			err   error
			state string
		}{
			{"permanent", fmt.Errorf("send email: 550 5.1.1 no such mailbox (%w)", notify.ErrPermanent), "dead"},
			{"temporary", fmt.Errorf("send email: 450 mailbox busy"), "pending"},
		} {
			clk := clock.NewFake(epoch)
			db, err := sqldb.Open(ctx, sqldbtest.Fresh(t, b), sqldb.Options{Clock: clk, Channels: notify.Routes(notify.Channels())})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer db.Close()
			owner := tandem.User{Email: "owner@example.com", Role: tandem.RoleAdmin}
			if err := db.CreateUser(ctx, &owner); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			url := "http://127.0.0.1:1/"
			if _, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: &url, EventTypes: &[]string{"lead.created"}}, owner.ID); err != nil {
				t.Fatalf("CreateWebhook: %v", err)
			}
			for i := range 3 {
				intake(t, db, fmt.Sprintf("l%d@example.com", i))
			}
			for failures := 0; failures < sqldb.WebhookPauseFailures; clk.Advance(30 * time.Hour) {
				ds, err := db.ClaimWebhookDeliveries(ctx, "t", 10, time.Minute)
				if err != nil || len(ds) == 0 {
					t.Fatalf("ClaimWebhookDeliveries after %d failures = %d, %v", failures, len(ds), err)
				}
				for _, d := range ds[:min(len(ds), sqldb.WebhookPauseFailures-failures)] {
					if err := db.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Err: fmt.Errorf("connection refused")}); err != nil {
						t.Fatalf("WebhookAttempted: %v", err)
					}
					failures++
				}
			}
			s := &refusingSender{err: tc.err}
			o := &worker.Outbox{DB: db, Clock: clk, Name: "o", Senders: map[string]notify.Sender{"email": s}}
			if _, err := o.RunOnce(ctx); err != nil {
				t.Fatalf("RunOnce: %v", err)
			}
			ns, err := db.Notifications(ctx, sqldb.NotificationFilter{Channel: "email"})
			if err != nil || len(ns) != 1 || s.sent.Load() != 1 {
				t.Fatalf("%s: email notifications %+v, %v, %d sends; want one, sent once", tc.name, ns, err, s.sent.Load())
			}
			if ns[0].State != tc.state || ns[0].Attempts != 1 || ns[0].LastError != tc.err.Error() {
				t.Errorf("%s: notification %+v; want %s after 1 attempt with the error", tc.name, ns[0], tc.state)
			}
		}
	})
}
