package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestReadsWriteNothing reads, as the API and the pages do, the scorecard,
// the pace and the SLA report of a running period, of an ended period that
// holds data and of an ended empty one: nothing is frozen and nothing is
// kept. The worker's round then freezes the ended month that holds data
// and not the empty one, and the readers read what it froze.
func TestReadsWriteNothing(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newWorld(t, be, time.Date(2026, 10, 5, 10, 0, 0, 0, newYork))
		w.october(t)
		w.clk.Set(time.Date(2026, 11, 2, 8, 0, 0, 0, newYork))
		nothingStored := func(when string) {
			t.Helper()
			for _, p := range []string{"2026-11", "2026-10", "2026-09", "1970-01"} {
				if _, ok, err := w.db.FrozenScorecard(ctx, p); ok || err != nil {
					t.Errorf("%s: FrozenScorecard(%s) = %v, %v; want nothing frozen", when, p, ok, err)
				}
			}
			for _, k := range []string{"scorecard", "pace", "sla:rep"} {
				for _, p := range []string{"2026-11", "2026-Q4", "2026-10", "2026-09", "1970-01"} {
					if _, ok, err := w.db.Kept(ctx, k, p); ok || err != nil {
						t.Errorf("%s: Kept(%s, %s) = %v, %v; want nothing kept", when, k, p, ok, err)
					}
				}
			}
		}
		for _, p := range []string{"2026-11", "2026-10", "2026-09", "1970-01"} {
			sc, err := report.ReadScorecard(ctx, w.db, w.clk.Now(), p)
			if err != nil || !sc.FrozenAt.IsZero() {
				t.Errorf("ReadScorecard(%s) = frozen at %v, %v; want computed, not frozen", p, sc.FrozenAt, err)
			}
			if _, err := report.ReadPace(ctx, w.db, w.clk.Now(), p); err != nil {
				t.Errorf("ReadPace(%s) = %v", p, err)
			}
			if _, err := report.ReadSLA(ctx, w.db, w.clk.Now(), sqldb.SLAQuery{Period: p}); err != nil {
				t.Errorf("ReadSLA(%s) = %v", p, err)
			}
		}
		nothingStored("after the reads")

		// The writer (the worker, `tandem report scorecard`) does not
		// freeze an ended empty period either.
		if sc, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-09"); err != nil || !sc.FrozenAt.IsZero() {
			t.Errorf("Scorecard(2026-09), empty = frozen at %v, %v; want not frozen", sc.FrozenAt, err)
		}
		if _, ok, _ := w.db.FrozenScorecard(ctx, "2026-09"); ok {
			t.Errorf("Scorecard(2026-09) froze an empty month")
		}

		// The worker's round freezes October, which holds data.
		if _, err := report.Daily(ctx, w.db, w.clk.Now()); err != nil {
			t.Fatalf("Daily: %v", err)
		}
		frozen, ok, err := w.db.FrozenScorecard(ctx, "2026-10")
		if err != nil || !ok {
			t.Fatalf("after Daily: FrozenScorecard(2026-10) = %v, %v; want October frozen", ok, err)
		}
		sc, err := report.ReadScorecard(ctx, w.db, w.clk.Now(), "2026-10")
		if err != nil || !sc.FrozenAt.Equal(frozen.FrozenAt) {
			t.Errorf("ReadScorecard(2026-10) after Daily = frozen at %v, %v; want the frozen one (%v)", sc.FrozenAt, err, frozen.FrozenAt)
		}

		// On the second of January the round freezes the quarter and the
		// year, which hold October's data, and not December, which is
		// empty.
		w.clk.Set(time.Date(2027, 1, 2, 8, 0, 0, 0, newYork))
		if _, err := report.Daily(ctx, w.db, w.clk.Now()); err != nil {
			t.Fatalf("Daily: %v", err)
		}
		for p, want := range map[string]bool{"2026-12": false, "2026-Q4": true, "2026": true, "2026-09": false} {
			if _, ok, err := w.db.FrozenScorecard(ctx, p); ok != want || err != nil {
				t.Errorf("after Daily on 2027-01-02: FrozenScorecard(%s) = %v, %v; want %v", p, ok, err, want)
			}
		}
	})
}
