package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
)

// Webhooks posts the outgoing webhooks the store holds
// ([sqldb.DB.ClaimWebhookDeliveries]): claimed with a lease, posted signed,
// and the answer recorded, which retries, dead-letters or pauses (see
// [sqldb.DB.WebhookAttempted]). A worker that dies between posting and
// recording leaves the delivery to be posted again when the lease ends,
// with the same webhook-id: delivery is at least once.
type Webhooks struct {
	DB     *sqldb.DB
	Clock  tandem.Clock // signs the requests and times the answers
	Name   string
	Poster *notify.Hooks
	Poll   time.Duration // longest sleep between looks; 100 ms when zero
	Lease  time.Duration // how long a claim holds; 1 min when zero
	Logger *slog.Logger
}

// Batch and parallelism of one round: a slow receiver holds one of
// hookParallel posts, not the whole round.
const (
	hookBatch    = 50
	hookParallel = 8
)

// RunOnce posts every delivery due now and returns how many were
// delivered.
func (w *Webhooks) RunOnce(ctx context.Context) (int, error) {
	lease := w.Lease
	if lease <= 0 {
		lease = time.Minute
	}
	delivered := 0
	for {
		ds, err := w.DB.ClaimWebhookDeliveries(ctx, w.Name, hookBatch, lease)
		if err != nil {
			return delivered, err
		}
		var mu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		sem := make(chan struct{}, hookParallel)
		for _, d := range ds {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				ok, err := w.post(ctx, d)
				mu.Lock()
				defer mu.Unlock()
				if ok {
					delivered++
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
			})
		}
		wg.Wait()
		if firstErr != nil || ctx.Err() != nil {
			return delivered, firstErr
		}
		if len(ds) < hookBatch {
			return delivered, nil
		}
	}
}

// post sends one delivery and records the answer; it reports whether the
// receiver took it, and returns an error only when the store fails.
func (w *Webhooks) post(ctx context.Context, d sqldb.WebhookDelivery) (bool, error) {
	body := d.Body
	if d.EventID != 0 {
		var err error
		if body, err = notify.PayloadOf(d.Event); err != nil {
			return false, w.DB.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Err: err})
		}
	}
	start := w.Clock.Now()
	code, err := w.Poster.Post(ctx, notify.Hook{URL: d.URL, Secret: d.Secret, ID: d.MsgID, Body: body}, start)
	latency := w.Clock.Now().Sub(start)
	if ctx.Err() != nil {
		return false, nil // shutting down: the lease ends and it goes again
	}
	if err != nil {
		w.logger().Warn("webhook failed", "worker", w.Name, "delivery", d.ID, "subscription", d.SubscriptionID, "attempt", d.Attempts+1, "err", err)
	}
	return err == nil, w.DB.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Code: code, Latency: latency, Err: err})
}

// Run posts webhooks until ctx is cancelled, then returns nil.
func (w *Webhooks) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	log := w.logger()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			log.Error("posting webhooks", "worker", w.Name, "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		d := poll
		if due, ok, err := w.DB.NextWebhookDelivery(ctx); err == nil && ok {
			d = min(max(due.Sub(w.Clock.Now()), minWait), poll)
		}
		if !wait(ctx, d) {
			return nil
		}
	}
}

func (w *Webhooks) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}
