package sqldb

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// BenchmarkInsertFloor writes the rows that BenchmarkIntake's 100,000 leads
// produce (each lead and its events), computed beforehand, in transactions
// of 1,000 leads: the cost of the database alone, with no lookup and no
// domain work. It tells how far the intake path is from what the driver
// and the database allow.
//
//	go test ./sqldb -run '^$' -bench InsertFloor -benchtime 1x
func BenchmarkInsertFloor(b *testing.B) {
	const n = 100_000
	a, err := agreement.Parse("default", agreement.Default())
	if err != nil {
		b.Fatalf("agreement.Parse: %v", err)
	}
	now := time.Now()
	var leads []tandem.Lead
	var events [][]tandem.Event
	for _, in := range sim.Leads(1, n, now) {
		ch, err := tandem.Intake(nil, in, a.Lifecycle(1), "web", "bench", now)
		if err != nil {
			b.Fatalf("Intake: %v", err)
		}
		leads = append(leads, ch.Lead)
		events = append(events, ch.Events)
	}
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				db, err := Open(ctx, sqldbtest.Fresh(b, be), Options{Clock: clock.NewFake(now)})
				if err != nil {
					b.Fatalf("Open: %v", err)
				}
				b.StartTimer()
				for i := 0; i < n; i += 1000 {
					err := db.transact(ctx, func(tx *Tx) error {
						var rows, erows [][]any
						for j := i; j < i+1000; j++ {
							leads[j].ID = int64(j + 1)
							rows = append(rows, leadRow(&leads[j]))
							for _, e := range events[j] {
								e.LeadID = leads[j].ID
								erows = append(erows, []any{e.LeadID, e.Type, e.OccurredAt, tx.Now, e.Actor, e.Reason, e.AgreementVersion, encodeEventData(&e)})
							}
						}
						if err := db.d.bulkInsert(ctx, tx, "leads", leadInsertColumns, rows); err != nil {
							return err
						}
						return db.d.bulkInsert(ctx, tx, "events", eventColumns, erows)
					})
					if err != nil {
						b.Fatalf("transact: %v", err)
					}
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "leads/s")
		})
	}
}
