package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestMovedOn builds a small ledger by hand and checks the leads that went
// on from each stage in January 2026, worked out by hand:
//
//	L1 lead (Jan 5) → mql (Jan 6) → sal (Jan 7)                        ads
//	L2 lead (Jan 5) → opportunity (Jan 7, skips mql, sal, sql), won Jan 8 ads
//	L3 created at mql (Jan 5) → sal (Jan 7)                            no origin
//	L4 lead (Jan 5) → mql (Feb 2, after the window)                    email
//	L5 lead (Dec 20, before the window) → mql (Jan 6)                  email
//	L9 created at sal (Jan 5): entered sal, never mql                  no origin
//
// lead→mql: L1, L2, L5 (L3 never entered lead) = 3; mql→sal: L1, L2, L3
// (not L9) = 3; sal→sql, sql→opportunity, opportunity→customer: L2 = 1.
func TestMovedOn(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ctx := context.Background()
		db, clk := open(t, b)
		day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, time.UTC) }
		ids := map[string]int64{}
		create := func(name, stage, origin string) {
			t.Helper()
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", name, "stage", stage, "origin", origin, "email", name+"@example.com")},
				sqldb.IntakeOptions{DefaultSource: "test", Actor: "test"})
			if err != nil || rs[0].Err != nil {
				t.Fatalf("IntakeLeads(%s) = %v, %+v", name, err, rs)
			}
			ids[name] = rs[0].ID
		}
		move := func(name, stage string) {
			t.Helper()
			if _, err := db.MoveLead(ctx, ids[name], stage, "test", "test"); err != nil {
				t.Fatalf("MoveLead(%s, %s) = %v", name, stage, err)
			}
		}
		clk.Set(time.Date(2025, 12, 20, 9, 0, 0, 0, time.UTC))
		create("L5", "lead", "email")
		clk.Set(day(1, 5))
		create("L1", "lead", "ads")
		create("L2", "lead", "ads")
		create("L3", "mql", "")
		create("L4", "lead", "email")
		create("L9", "sal", "")
		clk.Set(day(1, 6))
		move("L1", "mql")
		move("L5", "mql")
		clk.Set(day(1, 7))
		move("L1", "sal")
		move("L3", "sal")
		move("L2", "opportunity")
		clk.Set(day(1, 8))
		page, err := db.Deals(ctx, tandem.DealFilter{LeadID: ids["L2"]})
		if err != nil || len(page.Deals) != 1 {
			t.Fatalf("Deals(L2) = %+v, %v; want the deal opened at opportunity", page, err)
		}
		if _, err := db.WinDeal(ctx, page.Deals[0].ID, 1_000_000, day(1, 8), "test"); err != nil {
			t.Fatalf("WinDeal(L2) = %v", err)
		}
		clk.Set(day(2, 2))
		move("L4", "mql")

		stages := []string{"lead", "mql", "sal", "sql", "opportunity", "customer"}
		jan := sqldb.HistoryQuery{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Stages: stages}
		got, err := db.MovedOn(ctx, jan)
		if err != nil {
			t.Fatalf("MovedOn(%+v) = %v", jan, err)
		}
		if diff := cmp.Diff(map[string][]int{"": {3, 3, 1, 1, 1}}, got); diff != "" {
			t.Errorf("MovedOn(January) (-want +got):\n%s", diff)
		}
		byOrigin := jan
		byOrigin.By = "origin"
		got, err = db.MovedOn(ctx, byOrigin)
		if err != nil {
			t.Fatalf("MovedOn(%+v) = %v", byOrigin, err)
		}
		want := map[string][]int{"ads": {2, 2, 1, 1, 1}, "": {0, 1, 0, 0, 0}, "email": {1, 0, 0, 0, 0}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("MovedOn(January by origin) (-want +got):\n%s", diff)
		}
		feb := sqldb.HistoryQuery{From: jan.To, To: jan.To.AddDate(0, 1, 0), Stages: stages}
		if got, err := db.MovedOn(ctx, feb); err != nil || !cmp.Equal(got, map[string][]int{"": {1, 0, 0, 0, 0}}) {
			t.Errorf("MovedOn(February) = %v, %v; want L4's lead→mql only", got, err)
		}
		if _, err := db.MovedOn(ctx, sqldb.HistoryQuery{From: jan.To, To: jan.From}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("MovedOn(to before from) = %v; want EINVALID", err)
		}
	})
}

// BenchmarkMovedOn measures [sqldb.DB.MovedOn] on the data of
// BenchmarkHistory (1,000,000 leads over 2025, 3,000,000 stage entries):
// a month and a quarter, for all leads and by origin, what a scorecard
// reads.
//
//	go test ./sqldb -run '^$' -bench MovedOn -benchtime 3x -v
func BenchmarkMovedOn(b *testing.B) {
	const n = 1_000_000
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			db, _ := openB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
			for _, q := range historyBenchData(be.Name, n) {
				if err := db.ExecForTest(ctx, q); err != nil {
					b.Fatalf("%s: %v", q, err)
				}
			}
			month := sqldb.HistoryQuery{From: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC),
				Stages: []string{"lead", "mql", "sal", "sql", "opportunity", "customer"}}
			quarter := month
			quarter.From = month.From.AddDate(0, -2, 0)
			for _, w := range []struct {
				name string
				q    sqldb.HistoryQuery
			}{{"month", month}, {"quarter", quarter}} {
				for _, by := range []string{"", "origin"} {
					q := w.q
					q.By = by
					b.Run(w.name+"/by="+by, func(b *testing.B) {
						for b.Loop() {
							got, err := db.MovedOn(ctx, q)
							if err != nil || len(got) == 0 {
								b.Fatalf("MovedOn(%+v) = %v, %v; want the window's moves", q, got, err)
							}
						}
					})
				}
			}
		})
	}
}
