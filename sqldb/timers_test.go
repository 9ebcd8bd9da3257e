package sqldb

// These tests sit inside the package: they write timers in the same
// transaction as other rows, as a use case does, through transact.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

var timerEpoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func openTimers(t testing.TB, b sqldbtest.Backend) (*DB, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(timerEpoch)
	db, err := Open(context.Background(), b.DSN, Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	// fired_log records, in the firing transaction, every timer fired: what
	// commits here is what a real fire (a ledger event) would leave behind.
	if err := db.ExecForTest(context.Background(), `CREATE TABLE fired_log (timer_id BIGINT NOT NULL, worker TEXT NOT NULL)`); err != nil {
		t.Fatalf("ExecForTest: %v", err)
	}
	return db, clk
}

// logFire is a fire function that records the timer in fired_log.
func logFire(worker string) func(ctx context.Context, tx *Tx, t Timer) error {
	return func(ctx context.Context, tx *Tx, t Timer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fired_log (timer_id, worker) VALUES ($1, $2)`, t.ID, worker)
		return err
	}
}

// firedLog returns how many times each timer id was fired.
func firedLog(t testing.TB, db *DB) map[int64]int {
	t.Helper()
	rows, err := db.read.Query(`SELECT timer_id, count(*) FROM fired_log GROUP BY timer_id`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	defer rows.Close()
	m := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		m[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return m
}

// addTimers adds n timers of no lead, due at due, in one transaction.
func addTimers(t testing.TB, db *DB, n int, due time.Time) []int64 {
	t.Helper()
	ids := make([]int64, 0, n)
	err := db.transact(context.Background(), func(tx *Tx) error {
		ids = ids[:0]
		for i := range n {
			id, err := tx.AddTimer(context.Background(), Timer{Kind: "test", DueAt: due.Add(time.Duration(i) * time.Microsecond)})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("transact: %v", err)
	}
	return ids
}

func timerByID(t *testing.T, db *DB, leadID, id int64) Timer {
	t.Helper()
	ts, err := db.Timers(context.Background(), leadID)
	if err != nil {
		t.Fatalf("Timers: %v", err)
	}
	for _, tm := range ts {
		if tm.ID == id {
			return tm
		}
	}
	t.Fatalf("timer %d not found", id)
	return Timer{}
}

func TestTimerCommitsWithItsEvent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := openTimers(t, b)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"email": "ana@example.com"}}}, IntakeOptions{Actor: "test"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		lead := rs[0].ID
		startClock := func(tx *Tx) error {
			ev := tandem.Event{LeadID: lead, Type: tandem.EventUpdated, OccurredAt: tx.Now, Actor: "test", Reason: "clock started"}
			if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
				return err
			}
			_, err := tx.AddTimer(ctx, Timer{Kind: "first_touch", LeadID: lead, DueAt: tx.Now.Add(10 * time.Minute), Payload: []byte(`{"minutes":10}`)})
			return err
		}
		boom := errors.New("boom")
		if err := db.transact(ctx, func(tx *Tx) error {
			if err := startClock(tx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("transact = %v; want %v", err, boom)
		}
		if ts, err := db.Timers(ctx, lead); err != nil || len(ts) != 0 {
			t.Fatalf("after rollback: Timers(%d) = %v, %v; want none", lead, ts, err)
		}
		evs, _ := db.LeadEvents(ctx, lead)
		before := len(evs)

		if err := db.transact(ctx, startClock); err != nil {
			t.Fatalf("transact: %v", err)
		}
		ts, err := db.Timers(ctx, lead)
		if err != nil {
			t.Fatalf("Timers: %v", err)
		}
		want := []Timer{{ID: ts[0].ID, Kind: "first_touch", LeadID: lead, DueAt: timerEpoch.Add(10 * time.Minute), State: TimerPending,
			Payload: []byte(`{"minutes":10}`), CreatedAt: timerEpoch}}
		if diff := cmp.Diff(want, ts); diff != "" {
			t.Errorf("Timers(%d) (-want +got):\n%s", lead, diff)
		}
		if evs, _ := db.LeadEvents(ctx, lead); len(evs) != before+1 {
			t.Errorf("events = %d; want %d", len(evs), before+1)
		}
		if due, ok, err := db.NextDue(ctx); err != nil || !ok || !due.Equal(timerEpoch.Add(10*time.Minute)) {
			t.Errorf("NextDue() = %v, %v, %v; want %v, true, nil", due, ok, err, timerEpoch.Add(10*time.Minute))
		}

		clk.Advance(10 * time.Minute)
		if n, err := db.FireDue(ctx, "w", 10, logFire("w")); err != nil || n != 1 {
			t.Fatalf("FireDue = %d, %v; want 1, nil", n, err)
		}
		got := timerByID(t, db, lead, ts[0].ID)
		if got.State != TimerFired || !got.FiredAt.Equal(clk.Now()) || got.ClaimedBy != "w" {
			t.Errorf("fired timer = %+v; want fired at %v by w", got, clk.Now())
		}
		if _, ok, err := db.NextDue(ctx); err != nil || ok {
			t.Errorf("NextDue() with nothing pending = %v, %v; want false, nil", ok, err)
		}
	})
}

func TestAddTimerRefusesBadInput(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openTimers(t, b)
		for _, tm := range []Timer{
			{DueAt: timerEpoch},
			{Kind: "x"},
			{Kind: "x", DueAt: timerEpoch, Payload: []byte("{")},
		} {
			if _, err := db.AddTimer(context.Background(), tm); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("AddTimer(%+v) = %v; want %s", tm, err, tandem.EINVALID)
			}
		}
	})
}

// fireAll runs workers concurrent FireDue loops until none finds anything
// due, and returns how many each fired.
func fireAll(ctx context.Context, db *DB, workers, limit int, fire func(worker string) func(context.Context, *Tx, Timer) error) ([]int, error) {
	counts := make([]int, workers)
	var g errgroup.Group
	for w := range workers {
		name := fmt.Sprintf("w%d", w)
		f := fire(name)
		g.Go(func() error {
			for {
				n, err := db.FireDue(ctx, name, limit, f)
				counts[w] += n
				if err != nil || n < limit {
					return err
				}
			}
		})
	}
	return counts, g.Wait()
}

func TestFireDueExactlyOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := openTimers(t, b)
		const n = 2000
		ids := addTimers(t, db, n, timerEpoch.Add(-time.Hour))
		var mu sync.Mutex
		seen := map[int64]int{}
		counts, err := fireAll(ctx, db, 4, 50, func(w string) func(context.Context, *Tx, Timer) error {
			log := logFire(w)
			return func(ctx context.Context, tx *Tx, tm Timer) error {
				mu.Lock()
				seen[tm.ID]++
				mu.Unlock()
				return log(ctx, tx, tm)
			}
		})
		if err != nil {
			t.Fatalf("fireAll: %v", err)
		}
		t.Logf("fired per worker: %v", counts)
		committed := firedLog(t, db)
		for _, id := range ids {
			if committed[id] != 1 || seen[id] != 1 {
				t.Errorf("timer %d: committed %d times, fire called %d times; want 1", id, committed[id], seen[id])
			}
		}
		if len(committed) != n {
			t.Errorf("%d timers fired; want %d", len(committed), n)
		}
		if total := counts[0] + counts[1] + counts[2] + counts[3]; total != n {
			t.Errorf("FireDue counts add up to %d; want %d", total, n)
		}
	})
}

func TestTimersNeverFireBeforeDue(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := openTimers(t, b)
		offsets := []time.Duration{10 * time.Minute, 90 * time.Minute, 26 * time.Hour, 3*24*time.Hour + time.Second, 7 * 24 * time.Hour, 20 * 24 * time.Hour}
		due := map[int64]time.Time{}
		for _, d := range offsets {
			id, err := db.AddTimer(ctx, Timer{Kind: "test", DueAt: timerEpoch.Add(d)})
			if err != nil {
				t.Fatalf("AddTimer: %v", err)
			}
			due[id] = timerEpoch.Add(d)
		}
		const step = time.Hour
		fired := map[int64]time.Time{}
		for clk.Now().Before(timerEpoch.Add(4 * 7 * 24 * time.Hour)) {
			_, err := db.FireDue(ctx, "w", 10, func(ctx context.Context, tx *Tx, tm Timer) error {
				fired[tm.ID] = tx.Now
				return nil
			})
			if err != nil {
				t.Fatalf("FireDue: %v", err)
			}
			clk.Advance(step)
		}
		for id, at := range due {
			got, ok := fired[id]
			switch {
			case !ok:
				t.Errorf("timer %d due %v never fired", id, at)
			case got.Before(at) || got.Sub(at) >= step:
				t.Errorf("timer %d due %v fired at %v; want within %v after", id, at, got, step)
			}
		}
	})
}

func TestFailingTimerBacksOff(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := openTimers(t, b)
		ids := addTimers(t, db, 3, timerEpoch.Add(-time.Minute))
		bad := ids[1]
		failing := true
		fire := func(ctx context.Context, tx *Tx, tm Timer) error {
			if err := logFire("w")(ctx, tx, tm); err != nil {
				return err
			}
			if tm.ID == bad && failing {
				return errors.New("smtp down")
			}
			return nil
		}
		// The clock stands still: a failed timer is put off into the
		// future, so FireDue does not spin on it.
		if n, err := db.FireDue(ctx, "w", 10, fire); err != nil || n != 2 {
			t.Fatalf("FireDue = %d, %v; want 2, nil", n, err)
		}
		got := timerByID(t, db, 0, bad)
		if got.State != TimerPending || got.Attempts != 1 || got.LastError != "smtp down" || !got.DueAt.Equal(clk.Now().Add(2*time.Second)) {
			t.Errorf("after one failure: %+v; want pending, 1 attempt, due in 2s", got)
		}
		if log := firedLog(t, db); log[bad] != 0 || log[ids[0]] != 1 || log[ids[2]] != 1 {
			t.Errorf("fired_log = %v; the failed fire's write must be rolled back", log)
		}
		clk.Advance(time.Second)
		if n, err := db.FireDue(ctx, "w", 10, fire); err != nil || n != 0 {
			t.Fatalf("FireDue before the backoff ends = %d, %v; want 0, nil", n, err)
		}
		if got := timerByID(t, db, 0, bad); got.Attempts != 1 {
			t.Errorf("attempts before the backoff ends = %d; want 1", got.Attempts)
		}
		clk.Advance(time.Second)
		db.FireDue(ctx, "w", 10, fire)
		got = timerByID(t, db, 0, bad)
		if got.Attempts != 2 || !got.DueAt.Equal(clk.Now().Add(4*time.Second)) {
			t.Errorf("after two failures: %+v; want 2 attempts, due in 4s", got)
		}
		failing = false
		clk.Advance(4 * time.Second)
		if n, err := db.FireDue(ctx, "w", 10, fire); err != nil || n != 1 {
			t.Fatalf("FireDue after recovery = %d, %v; want 1, nil", n, err)
		}
		got = timerByID(t, db, 0, bad)
		if got.State != TimerFired || got.Attempts != 2 {
			t.Errorf("after recovery: %+v; want fired with 2 attempts", got)
		}
		if log := firedLog(t, db); log[bad] != 1 {
			t.Errorf("fired_log[%d] = %d; want 1", bad, log[bad])
		}
	})
}

func TestTimerBackoff(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{{0, 2 * time.Second}, {1, 2 * time.Second}, {2, 4 * time.Second}, {10, 1024 * time.Second}, {11, 2048 * time.Second}, {12, time.Hour}, {100, time.Hour}} {
		if got := TimerBackoff(c.n); got != c.want {
			t.Errorf("TimerBackoff(%d) = %v; want %v", c.n, got, c.want)
		}
	}
}

func TestStoppedTimersNeverFire(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := openTimers(t, b)
		add := func(lead int64, kind string) int64 {
			id, err := db.AddTimer(ctx, Timer{Kind: kind, LeadID: lead, DueAt: timerEpoch.Add(time.Minute)})
			if err != nil {
				t.Fatalf("AddTimer: %v", err)
			}
			return id
		}
		touch7, step7, touch8 := add(7, "first_touch"), add(7, "cadence_step"), add(8, "first_touch")
		stop := func(lead int64, kinds ...string) int {
			var n int
			if err := db.transact(ctx, func(tx *Tx) (err error) {
				n, err = tx.StopTimers(ctx, lead, kinds...)
				return err
			}); err != nil {
				t.Fatalf("transact: %v", err)
			}
			return n
		}
		if n := stop(7, "first_touch", "accept"); n != 1 {
			t.Errorf("StopTimers(7, first_touch, accept) = %d; want 1", n)
		}
		clk.Advance(time.Hour)
		if n, err := db.FireDue(ctx, "w", 10, logFire("w")); err != nil || n != 2 {
			t.Fatalf("FireDue = %d, %v; want 2, nil", n, err)
		}
		if n := stop(7); n != 0 {
			t.Errorf("StopTimers(7) after firing = %d; want 0", n)
		}
		log := firedLog(t, db)
		if diff := cmp.Diff(map[int64]int{step7: 1, touch8: 1}, log); diff != "" {
			t.Errorf("fired (-want +got):\n%s", diff)
		}
		got := timerByID(t, db, 7, touch7)
		if got.State != TimerStopped || !got.StoppedAt.Equal(timerEpoch) || !got.FiredAt.IsZero() {
			t.Errorf("stopped timer = %+v; want stopped at %v, never fired", got, timerEpoch)
		}
	})
}

// TestAbandonedFireFiresLater stands for a worker that dies half-way: its
// context ends while fire runs, so nothing it did commits, and the timer
// fires later, once.
func TestAbandonedFireFiresLater(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openTimers(t, b)
		ids := addTimers(t, db, 1, timerEpoch.Add(-time.Minute))
		ctx, cancel := context.WithCancel(context.Background())
		n, err := db.FireDue(ctx, "dying", 10, func(ctx context.Context, tx *Tx, tm Timer) error {
			if err := logFire("dying")(ctx, tx, tm); err != nil {
				return err
			}
			cancel() // the process is killed before it commits
			return ctx.Err()
		})
		if n != 0 || !errors.Is(err, context.Canceled) {
			t.Fatalf("FireDue = %d, %v; want 0, context canceled", n, err)
		}
		if got := timerByID(t, db, 0, ids[0]); got.State != TimerPending || got.Attempts != 0 {
			t.Errorf("after abandon: %+v; want pending, no attempt counted", got)
		}
		// The abandoned transaction ends when the database notices: on
		// PostgreSQL the server rolls it back and frees its row lock a
		// moment after the client drops the connection, and until then
		// SKIP LOCKED rightly passes over the timer. So "later" is the next
		// poll that finds the lock gone, as the worker's loop would.
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, err := db.FireDue(context.Background(), "next", 10, logFire("next"))
			if err != nil || n > 1 {
				t.Fatalf("FireDue = %d, %v; want 1, nil", n, err)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the abandoned timer was not fired again within 10 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if log := firedLog(t, db); log[ids[0]] != 1 || len(log) != 1 {
			t.Errorf("fired_log = %v; want timer %d once", log, ids[0])
		}
	})
}

// TestReplicaSkipsClaimedTimer runs two replicas on PostgreSQL: while one
// holds a timer in its firing transaction, the other passes over it without
// waiting and fires the rest; when the first dies, the second fires it.
func TestReplicaSkipsClaimedTimer(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		if b.Name != "postgres" {
			t.Skip("SQLite serialises writers: a second worker waits rather than skips")
		}
		t.Parallel()
		db, _ := openTimers(t, b)
		ids := addTimers(t, db, 3, timerEpoch.Add(-time.Minute))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // before the cleanups that drop the schema
		claimed := make(chan int64)
		done := make(chan error, 1)
		go func() {
			_, err := db.FireDue(ctx, "stuck", 1, func(ctx context.Context, tx *Tx, tm Timer) error {
				claimed <- tm.ID
				<-ctx.Done() // hangs until killed
				return ctx.Err()
			})
			done <- err
		}()
		stuck := <-claimed
		if stuck != ids[0] {
			t.Errorf("first claim = %d; want the oldest, %d", stuck, ids[0])
		}
		if n, err := db.FireDue(context.Background(), "other", 10, logFire("other")); err != nil || n != 2 {
			t.Fatalf("FireDue beside a held claim = %d, %v; want 2, nil", n, err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("stuck FireDue = %v; want context canceled", err)
		}
		// The server lets go of the dead claim's lock once it has seen the
		// cancelled transaction roll back, which may take a moment.
		var n int
		var err error
		for deadline := time.Now().Add(5 * time.Second); n == 0 && err == nil && time.Now().Before(deadline); {
			if n, err = db.FireDue(context.Background(), "other", 10, logFire("other")); n == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if err != nil || n != 1 {
			t.Fatalf("FireDue after the claim died = %d, %v; want 1, nil", n, err)
		}
		log := firedLog(t, db)
		if diff := cmp.Diff(map[int64]int{ids[0]: 1, ids[1]: 1, ids[2]: 1}, log); diff != "" {
			t.Errorf("fired (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkFireDue fires 20,000 due timers with 4 concurrent workers and
// reports timers per second.
//
//	go test ./sqldb -run '^$' -bench FireDue -benchtime 1x
func BenchmarkFireDue(b *testing.B) {
	const n = 20_000
	for _, be := range sqldbtest.Backends(b) {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", be.Name, workers), func(b *testing.B) {
				ctx := context.Background()
				db, _ := openTimers(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				var fired int
				var elapsed time.Duration
				for b.Loop() {
					b.StopTimer()
					addTimers(b, db, n, timerEpoch.Add(-time.Hour))
					b.StartTimer()
					start := time.Now()
					counts, err := fireAll(ctx, db, workers, 100, logFire)
					if err != nil {
						b.Fatalf("fireAll: %v", err)
					}
					elapsed += time.Since(start)
					for _, c := range counts {
						fired += c
					}
				}
				if fired%n != 0 {
					b.Fatalf("fired %d; want a multiple of %d", fired, n)
				}
				b.ReportMetric(float64(fired)/elapsed.Seconds(), "timers/s")
			})
		}
	}
}
