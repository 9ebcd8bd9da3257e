package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// BenchmarkIntake writes 100,000 realistic leads in batches of 1,000
// through the store, under the signed default agreement (so the stage rules
// run), and reports leads per second: from one writer, and from two writers
// at once (two integrations sending batches side by side).
//
//	go test ./sqldb -run '^$' -bench Intake -benchtime 1x
func BenchmarkIntake(b *testing.B) {
	const n, batch = 100_000, 1000
	for _, be := range sqldbtest.Backends(b) {
		for _, writers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/writers=%d", be.Name, writers), func(b *testing.B) {
				ctx := context.Background()
				db, _ := openB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				signDefault(b, db, string(agreement.Default()))
				var seed uint64
				var written int
				for b.Loop() {
					b.StopTimer()
					seed++
					leads := sim.Leads(seed, n, epoch)
					b.StartTimer()
					var g errgroup.Group
					for w := range writers {
						g.Go(func() error {
							for i := w * batch; i < n; i += writers * batch {
								rs, err := db.IntakeLeads(ctx, leads[i:i+batch], sqldb.IntakeOptions{Actor: "bench"})
								if err != nil {
									return err
								}
								if rs[0].Status != "created" {
									return fmt.Errorf("result %+v; want created", rs[0])
								}
							}
							return nil
						})
					}
					if err := g.Wait(); err != nil {
						b.Fatalf("Wait: %v", err)
					}
					written += n
				}
				b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "leads/s")
			})
		}
	}
}
