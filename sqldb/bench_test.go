package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// BenchmarkIntake writes 100,000 realistic leads in batches of 1,000
// through the store, under the signed default agreement (so the stage rules
// run), and reports leads per second.
//
//	go test ./sqldb -run '^$' -bench Intake -benchtime 3x
func BenchmarkIntake(b *testing.B) {
	const n, batch = 100_000, 1000
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			db, _ := openB(b, be)
			signDefault(b, db, string(agreement.Default()))
			var seed uint64
			var written int
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				seed++
				leads := sim.Leads(seed, n, epoch)
				b.StartTimer()
				for i := 0; i < n; i += batch {
					rs, err := db.IntakeLeads(ctx, leads[i:i+batch], sqldb.IntakeOptions{Actor: "bench"})
					if err != nil {
						b.Fatal(err)
					}
					if rs[0].Status != "created" {
						b.Fatalf("result %+v; want created", rs[0])
					}
				}
				written += n
			}
			b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "leads/s")
		})
	}
}
