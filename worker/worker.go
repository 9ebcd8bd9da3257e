// Package worker fires Tandem's durable timers: it asks the store for the
// timers that have fallen due, fires each in the transaction that marks it
// fired, and sleeps until the next one is due. Any number of workers, in one
// process or in several replicas on one PostgreSQL, may run at once: the
// store guarantees that each timer fires once (see [sqldb.DB.FireDue]).
package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/sqldb"
)

// batch is how many timers one call to [sqldb.DB.FireDue] fires at most, so
// that a worker checks its context between calls: enough for FireDue's
// set-wise batches of SLA timers (up to 1,000 a transaction).
const batch = 1000

// ServePoll is the poll `tandem serve` runs its worker with: a clock added
// by another process (or a replica) while the worker sleeps fires at most
// this late.
const ServePoll = 200 * time.Millisecond

// minWait keeps a worker from spinning when a due timer is held by another
// worker's transaction, or when the clock is behind the database's rows.
const minWait = 10 * time.Millisecond

// Worker fires due timers until its context ends.
type Worker struct {
	DB    *sqldb.DB
	Clock tandem.Clock // to compute how long to sleep; the store's clock decides what is due
	Name  string       // recorded on the timers it fires; one per replica
	// Fire does what a timer means, in the transaction that marks it fired.
	// An error rolls back what it wrote and retries the timer later.
	Fire   func(ctx context.Context, tx *sqldb.Tx, t sqldb.Timer) error
	Poll   time.Duration // longest sleep between looks; 1s when zero
	Logger *slog.Logger  // nil discards logs
	// Metrics counts the timers fired, how late, and what they did; nil
	// counts nothing.
	Metrics *metrics.Metrics
}

// RunOnce fires every timer due now and returns how many it fired. A timer
// whose Fire fails is put off and is not counted.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.DB.FireDue(ctx, w.Name, batch, w.fire)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

func (w *Worker) fire(ctx context.Context, tx *sqldb.Tx, t sqldb.Timer) error {
	before := tx.Fired()
	err := w.Fire(ctx, tx, t)
	if err == nil {
		after := tx.Fired()
		w.Metrics.TimerFired(t.Kind, tx.Now.Sub(t.DueAt), sqldb.Fired{Breaches: after.Breaches - before.Breaches,
			Escalations: after.Escalations - before.Escalations})
	}
	if err != nil {
		w.logger().Warn("timer failed", "worker", w.Name, "timer", t.ID, "kind", t.Kind, "lead", t.LeadID,
			"attempt", t.Attempts+1, "retry_in", sqldb.TimerBackoff(t.Attempts+1), "err", err)
	}
	return err
}

// Run fires due timers until ctx is cancelled, then returns nil. Between
// rounds it sleeps until the next timer is due or for Poll, whichever is
// sooner. An error from the database is logged and retried after Poll, so a
// database restart does not stop the worker. Run starts no goroutine.
func (w *Worker) Run(ctx context.Context) error {
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	log := w.logger()
	log.Info("worker started", "worker", w.Name, "poll", poll)
	defer log.Info("worker stopped", "worker", w.Name)
	for {
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		d := poll
		if err != nil {
			log.Error("firing timers", "worker", w.Name, "err", err)
		} else {
			if n > 0 {
				log.Debug("fired timers", "worker", w.Name, "n", n)
			}
			d = w.sleep(ctx, poll)
		}
		if !wait(ctx, d) {
			return nil
		}
	}
}

// sleep is how long to wait for the next due timer: never more than poll,
// since another replica may add an earlier one.
func (w *Worker) sleep(ctx context.Context, poll time.Duration) time.Duration {
	next, ok, err := w.DB.NextDue(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			w.logger().Error("next due timer", "worker", w.Name, "err", err)
		}
		return poll
	}
	if !ok {
		return poll
	}
	return min(max(next.Sub(w.Clock.Now()), minWait), poll)
}

// wait sleeps for d and reports whether ctx is still live.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}
