package worker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/worker"
)

var epoch = time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC) // a Friday afternoon

func open(t *testing.T, b sqldbtest.Backend) (*sqldb.DB, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	db, err := sqldb.Open(context.Background(), b.DSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

// recorder is a Fire function that counts how often each timer fired.
type recorder struct {
	mu    sync.Mutex
	fired map[int64]int
}

func (r *recorder) fire(_ context.Context, tx *sqldb.Tx, t sqldb.Timer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fired == nil {
		r.fired = map[int64]int{}
	}
	r.fired[t.ID]++
	return nil
}

func (r *recorder) count(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fired[id]
}

func add(t *testing.T, db *sqldb.DB, lead int64, due time.Time) int64 {
	t.Helper()
	id, err := db.AddTimer(context.Background(), sqldb.Timer{Kind: "first_touch", LeadID: lead, DueAt: due})
	if err != nil {
		t.Fatalf("AddTimer: %v", err)
	}
	return id
}

// TestRestartFiresWhatFellDue stops a worker over a weekend: every timer
// that fell due meanwhile fires on the next worker's first round, once, and
// the ones still ahead wait.
func TestRestartFiresWhatFellDue(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		var r recorder
		first := &worker.Worker{DB: db, Clock: clk, Name: "before", Fire: r.fire}
		early := add(t, db, 1, epoch.Add(-time.Minute))
		if n, err := first.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce = %d, %v; want 1, nil", n, err)
		}
		// The worker stops; clocks keep falling due over the weekend.
		var meanwhile []int64
		for i := range 250 {
			meanwhile = append(meanwhile, add(t, db, int64(i+2), epoch.Add(time.Duration(i)*15*time.Minute)))
		}
		later := add(t, db, 999, epoch.Add(4*24*time.Hour))
		clk.Advance(3 * 24 * time.Hour)

		second := &worker.Worker{DB: db, Clock: clk, Name: "after", Fire: r.fire}
		if n, err := second.RunOnce(ctx); err != nil || n != len(meanwhile) {
			t.Fatalf("RunOnce after restart = %d, %v; want %d, nil", n, err, len(meanwhile))
		}
		if n, err := second.RunOnce(ctx); err != nil || n != 0 {
			t.Errorf("second RunOnce = %d, %v; want 0, nil", n, err)
		}
		for _, id := range append(meanwhile, early) {
			if c := r.count(id); c != 1 {
				t.Errorf("timer %d fired %d times; want 1", id, c)
			}
		}
		if c := r.count(later); c != 0 {
			t.Errorf("timer %d, due tomorrow, fired %d times; want 0", later, c)
		}
	})
}

// TestRunFollowsTheClock runs a worker in the background on a fake clock:
// what is due fires, what is not waits until the clock reaches it, and
// cancelling the context stops Run promptly.
func TestRunFollowsTheClock(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := open(t, b)
		var r recorder
		now := add(t, db, 1, epoch.Add(-time.Second))
		soon := add(t, db, 2, epoch.Add(7*24*time.Hour)) // a week of fake time
		w := &worker.Worker{DB: db, Clock: clk, Name: "w", Fire: r.fire, Poll: 20 * time.Millisecond}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()

		eventually(t, func() bool { return r.count(now) == 1 }, "the due timer fires")
		time.Sleep(100 * time.Millisecond) // several polls
		if c := r.count(soon); c != 0 {
			t.Fatalf("timer due in a week fired %d times before the clock moved", c)
		}
		clk.Advance(7 * 24 * time.Hour)
		eventually(t, func() bool { return r.count(soon) == 1 }, "the week-ahead timer fires once the clock reaches it")

		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v; want nil", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return within 2s of cancel")
		}
		if r.count(now) != 1 || r.count(soon) != 1 {
			t.Errorf("fired %v; want each timer once", r.fired)
		}
	})
}

// TestRunStopsWhileSleeping cancels a worker that sleeps a poll of an hour:
// Run returns, which it could not do while sleeping through the hour. The
// test asserts no duration: the ten seconds are only how long it waits
// before it calls Run stuck.
func TestRunStopsWhileSleeping(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := open(t, b)
		var r recorder
		w := &worker.Worker{DB: db, Clock: clk, Name: "w", Fire: r.fire, Poll: time.Hour}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v after cancel; want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancel: it sleeps through its hour's poll instead of watching ctx")
		}
	})
}

func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: not yet: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
