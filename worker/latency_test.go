package worker_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/worker"
)

// storeFarClocks stores n pending timers due in 2030, straight in SQL.
func storeFarClocks(b *testing.B, be sqldbtest.Backend, n int) {
	driver, dsn, due := "sqlite", be.DSN, "2030-01-01T00:00:00.000000Z"
	if be.Name == "postgres" {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatalf("sql.Open: %v", err)
	}
	defer raw.Close()
	q := fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
		INSERT INTO timers (kind, due_at, state, payload, created_at) SELECT 'far', '%s', 'pending', '{}', '%s' FROM c`, n, due, due)
	if _, err := raw.Exec(q); err != nil {
		b.Fatalf("Exec: %v", err)
	}
}

// BenchmarkFireLatency stores N open clocks due years from now (1,000,000
// by default; TANDEM_BENCH_CLOCKS to change), runs a worker on the real
// clock with the poll `tandem serve` uses, and for ten seconds adds 100
// clocks a second, each due within the next second. It reports the fire
// delay (fired_at - due_at) at the median and the 99th percentile, and the
// CPU the idle worker used over five seconds before the load, as a share of
// one core.
//
//	go test ./worker -run '^$' -bench FireLatency -benchtime 1x
func BenchmarkFireLatency(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_CLOCKS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			be := sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}
			db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clock.Real{}})
			if err != nil {
				b.Fatalf("sqldb.Open: %v", err)
			}
			defer db.Close()
			storeFarClocks(b, be, n)
			for b.Loop() {
				run, stop := context.WithCancel(ctx)
				w := &worker.Worker{DB: db, Clock: clock.Real{}, Name: "bench", Poll: worker.ServePoll,
					Fire: func(ctx context.Context, tx *sqldb.Tx, t sqldb.Timer) error { return nil }}
				done := make(chan struct{})
				go func() { w.Run(run); close(done) }()

				cpu := func() time.Duration {
					var ru syscall.Rusage
					syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
					return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				}
				time.Sleep(time.Second) // the first round settles
				c0, t0 := cpu(), time.Now()
				time.Sleep(5 * time.Second)
				idle := float64(cpu()-c0) / float64(time.Since(t0))

				var ids []int64
				tick := time.NewTicker(10 * time.Millisecond)
				end := time.Now().Add(10 * time.Second)
				for now := range tick.C {
					if now.After(end) {
						break
					}
					id, err := db.AddTimer(ctx, sqldb.Timer{Kind: "load", DueAt: time.Now().Add(time.Duration(rand.Int64N(int64(time.Second))))})
					if err != nil {
						b.Fatalf("AddTimer: %v", err)
					}
					ids = append(ids, id)
				}
				tick.Stop()
				time.Sleep(2 * time.Second)
				stop()
				<-done
				ts, err := db.Timers(ctx, 0)
				if err != nil {
					b.Fatalf("Timers: %v", err)
				}
				want := map[int64]bool{}
				for _, id := range ids {
					want[id] = true
				}
				var delays []time.Duration
				for _, t := range ts {
					if want[t.ID] {
						if t.State != sqldb.TimerFired {
							b.Fatalf("timer %d is %s after the load", t.ID, t.State)
						}
						delays = append(delays, t.FiredAt.Sub(t.DueAt))
					}
				}
				slices.Sort(delays)
				b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "p50-ms")
				b.ReportMetric(float64(delays[len(delays)*99/100].Milliseconds()), "p99-ms")
				b.ReportMetric(idle*100, "idle-cpu-%")
			}
		})
	}
}
