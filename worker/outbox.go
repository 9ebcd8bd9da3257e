package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
)

// Outbox sends the notifications of every channel (email, chat...) that
// the store's outbox holds, each through its channel's sender. Each is claimed with a lease, sent, then marked sent; a failed
// send is put off with backoff, and one refused for good ([notify.ErrPermanent]) or
// out of attempts is dead-lettered. A sender that dies between sending and
// marking leaves the notification to be sent again when the lease ends, so
// delivery is at least once, with the notification's id as the message's
// idempotency key (see package notify).
type Outbox struct {
	DB    *sqldb.DB
	Clock tandem.Clock
	Name  string
	// Senders by channel name (see notify.Channels); a notification for a
	// channel without a sender waits.
	Senders map[string]notify.Sender
	Poll    time.Duration // longest sleep between looks; 1s when zero
	Lease   time.Duration // how long a claim holds; 2 min when zero
	Logger  *slog.Logger
	// Installation is the database's installation id, which email
	// Message-IDs carry ([sqldb.DB.Installation]).
	Installation string
	// Metrics counts deliveries and failed attempts; nil counts nothing.
	Metrics *metrics.Metrics
}

// outboxBatch is how many notifications one claim takes.
const outboxBatch = 20

// RunOnce sends every notification due now and returns how many went out.
func (o *Outbox) RunOnce(ctx context.Context) (int, error) {
	lease := o.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	sent := 0
	for {
		ns, err := o.DB.ClaimNotifications(ctx, o.Name, outboxBatch, lease)
		if err != nil {
			return sent, err
		}
		for _, n := range ns {
			s := o.Senders[n.Channel]
			if s == nil {
				continue // no sender configured here; the lease ends and it waits
			}
			m := notify.Message{ID: n.ID, Channel: n.Channel, To: n.Address, Subject: n.Subject, Body: n.Body, Event: n.Event,
				CreatedAt: n.CreatedAt, Installation: o.Installation}
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := s.Send(sctx, m)
			cancel()
			if ctx.Err() == nil {
				o.Metrics.Delivered(n.Channel, err)
			}
			if err != nil {
				if ctx.Err() != nil {
					return sent, nil
				}
				record := o.DB.NotificationFailed
				if errors.Is(err, notify.ErrPermanent) {
					record = o.DB.NotificationDead // refused for good: no retry
				}
				o.logger().Warn("notification failed", "worker", o.Name, "notification", n.ID, "channel", n.Channel, "attempt", n.Attempts+1,
					"permanent", errors.Is(err, notify.ErrPermanent), "err", err)
				if err := record(ctx, n.ID, err); err != nil {
					return sent, err
				}
				continue
			}
			if err := o.DB.NotificationSent(ctx, n.ID); err != nil {
				return sent, err
			}
			sent++
		}
		if len(ns) < outboxBatch {
			return sent, nil
		}
	}
}

// Run sends notifications until ctx is cancelled, then returns nil.
func (o *Outbox) Run(ctx context.Context) error {
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	log := o.logger()
	for {
		if _, err := o.RunOnce(ctx); err != nil && ctx.Err() == nil {
			log.Error("sending notifications", "worker", o.Name, "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		d := poll
		if due, ok, err := o.DB.NextNotification(ctx); err == nil && ok {
			d = min(max(due.Sub(o.Clock.Now()), minWait), poll)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (o *Outbox) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
