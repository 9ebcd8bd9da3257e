package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// benchHandoffs builds n routed hand-offs at Monday 10:00 New York under the
// default agreement without a capacity cap, four reps sharing them: 3n
// clocks (first touch, accept, first step).
func benchHandoffs(b *testing.B, db *sqldb.DB, n int) {
	ctx := context.Background()
	body := strings.Replace(string(agreement.Default()), "capacity: 40", "capacity: 0", 1)
	signDefault(b, db, body)
	for i := range 3 {
		u := tandem.User{Email: fmt.Sprintf("rep%d@example.com", i), Role: tandem.RoleSalesRep}
		if err := db.CreateUser(ctx, &u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
	}
	for i := 0; i < n; i += 1000 {
		var in []tandem.LeadInput
		for j := i; j < min(n, i+1000); j++ {
			in = append(in, input("external_id", strconv.Itoa(j), "email", fmt.Sprintf("l%d@example.com", j), "score", "80"))
		}
		if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{}); err != nil {
			b.Fatalf("IntakeLeads: %v", err)
		}
	}
}

// BenchmarkBreachStorm lets every clock of N hand-offs fall due at once
// (N = 10,000 by default, TANDEM_BENCH_HANDOFFS to change: 3N clocks) and
// fires them all with the SLA engine: each breach writes its ledger event,
// its escalation timers and the rep's notifications. It reports the SLA's
// clocks per second apart from the escalation timers their breaches fire
// (escalations/s), all timers per second, the time to fire them all, and
// the process's CPU per timer fired (cpu-µs/timer: on SQLite the whole
// work, the figure the machine's other load disturbs least; on PostgreSQL
// only the client's share). By default it fires as `tandem serve`
// does, with one worker on SQLite and two side by side on PostgreSQL (the
// workers=N of its name); TANDEM_BENCH_WORKERS sets another number.
//
//	go test ./sqldb -run '^$' -bench BreachStorm -benchtime 1x
func BenchmarkBreachStorm(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_HANDOFFS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range sqldbtest.Backends(b) {
		workers := 1 // as `tandem serve` fires: one worker on SQLite, two on PostgreSQL
		if be.Name == "postgres" {
			workers = 2
		}
		if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_WORKERS")); err == nil && v > 0 {
			workers = v
		}
		b.Run(fmt.Sprintf("%s/workers=%d", be.Name, workers), func(b *testing.B) {
			ctx := context.Background()
			db, clk := openChannels(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}, notify.Channels())
			var fired, clocks, escalations int
			var elapsed, cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				clk.Set(ny(23, 10, 0))
				benchHandoffs(b, db, n)
				clk.Set(ny(23, 16, 0)) // every first-touch, accept and first-step clock is due
				b.StartTimer()
				start, cpu0 := time.Now(), sqldb.ProcessCPU()
				var g errgroup.Group
				counts := make([]int, workers)
				for w := range workers {
					g.Go(func() error {
						for {
							k, err := db.FireDue(ctx, fmt.Sprint("bench-", w), 1000, db.FireSLA())
							if err != nil {
								return err
							}
							counts[w] += k
							if k == 0 {
								return nil
							}
						}
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatalf("Wait: %v", err)
				}
				for _, k := range counts {
					fired += k
				}
				elapsed += time.Since(start)
				cpu += sqldb.ProcessCPU() - cpu0
				b.StopTimer()
				// What fired, by kind: the SLA's clocks (first touch, accept,
				// cadence steps) apart from the escalation timers their
				// breaches start (the default escalates at once to the rep).
				var c, e int
				if err := db.QueryRowForTest(ctx, `SELECT
						COALESCE(SUM(CASE WHEN kind IN ('first_touch', 'accept', 'step') THEN 1 ELSE 0 END), 0),
						COALESCE(SUM(CASE WHEN kind = 'escalate' THEN 1 ELSE 0 END), 0)
					FROM timers WHERE state = 'fired'`, &c, &e); err != nil {
					b.Fatalf("counting the fired timers: %v", err)
				}
				clocks, escalations = c, e
				b.StartTimer()
			}
			if clocks+escalations > fired {
				b.Fatalf("%d clocks and %d escalation timers fired by kind, more than the %d FireDue counted", clocks, escalations, fired)
			}
			b.ReportMetric(float64(clocks)/elapsed.Seconds(), "clocks/s")
			b.ReportMetric(float64(escalations)/elapsed.Seconds(), "escalations/s")
			b.ReportMetric(float64(fired)/elapsed.Seconds(), "timers/s")
			b.ReportMetric(float64(clocks)/float64(b.N), "clocks/storm")
			b.ReportMetric(elapsed.Seconds(), "s/storm")
			b.ReportMetric(float64(cpu.Microseconds())/float64(fired), "cpu-µs/timer")
		})
	}
}
