package sqldb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// BenchmarkIntake writes 100,000 realistic leads (TANDEM_BENCH_LEADS for
// fewer) in batches of 1,000 through the store, under the signed default
// agreement, and reports leads per second, two ways (see
// sqldb.BenchModes): history, leads dated before the agreement, so the
// stage rules run but nothing is handed off; and live, leads arriving now
// with reps to route to, so hand-offs, clocks and tasks are written too.
// One writer both ways, and two writers at once (two integrations sending
// batches side by side) for history. BenchmarkInsertFloor, in the same
// run, is the floor of each.
//
//	go test ./sqldb -run '^$' -bench 'Intake|InsertFloor' -benchtime 1x
func BenchmarkIntake(b *testing.B) {
	const batch = 1000
	n := sqldb.BenchSize()
	for _, be := range sqldbtest.Backends(b) {
		for _, mode := range sqldb.BenchModes {
			for _, writers := range []int{1, 2} {
				if writers > 1 && mode == "live" {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/writers=%d", be.Name, mode, writers), func(b *testing.B) {
					ctx := context.Background()
					clk := clock.NewFake(sqldb.BenchEpoch)
					db, err := sqldb.Open(ctx, sqldbtest.Fresh(b, be), sqldb.Options{Clock: clk})
					if err != nil {
						b.Fatalf("Open: %v", err)
					}
					defer db.Close()
					sqldb.SetupBenchWorld(b, db)
					var seed uint64
					var written int
					var cpu time.Duration
					for b.Loop() {
						b.StopTimer()
						seed++
						leads := sqldb.BenchLeads(seed, n, mode, clk.Now())
						b.StartTimer()
						cpu0 := sqldb.ProcessCPU()
						var g errgroup.Group
						for w := range writers {
							g.Go(func() error {
								for i := w * batch; i < n; i += writers * batch {
									rs, err := db.IntakeLeads(ctx, leads[i:i+batch], sqldb.IntakeOptions{Actor: "bench"})
									if err != nil {
										return err
									}
									if rs[0].Status != tandem.StatusCreated {
										return fmt.Errorf("result %+v; want created", rs[0])
									}
								}
								return nil
							})
						}
						if err := g.Wait(); err != nil {
							b.Fatalf("Wait: %v", err)
						}
						cpu += sqldb.ProcessCPU() - cpu0
						written += n
					}
					b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "leads/s")
					b.ReportMetric(float64(cpu.Microseconds())/float64(written), "cpu-µs/lead")
				})
			}
		}
	}
}
