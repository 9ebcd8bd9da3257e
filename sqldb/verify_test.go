package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestVerifyLedgerDealStageEntries: `ledger verify` checks a deal's stage
// entries against its lead's deal events: a deal opened, moved and won
// verifies clean; an entry lost, one moved in time and one that no event
// gives are each named with the deal, the stage and both times.
func TestVerifyLedgerDealStageEntries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a := w.mql(t, "a")
		w.clk.Set(ny(23, 11, 0))
		moveTo(t, w.db, a.ID, "sal", "sql", "opportunity")
		d := onlyDeal(t, w.db, a.ID)
		w.clk.Set(ny(24, 9, 0))
		if _, err := w.db.MoveDealStage(ctx, d.ID, "proposal", "user:rex@example.com"); err != nil {
			t.Fatalf("MoveDealStage: %v", err)
		}
		w.clk.Set(ny(24, 15, 0))
		if _, err := w.db.WinDeal(ctx, d.ID, 90000, ny(24, 14, 0), "user:rex@example.com"); err != nil {
			t.Fatalf("WinDeal: %v", err)
		}
		verifyLedger(t, w.db)

		// The entries the test expects from what it did: qualification at
		// 23 11:00, proposal at 24 09:00, won at the close, 24 14:00.
		for _, q := range []string{
			fmt.Sprintf(`DELETE FROM deal_stage_entries WHERE deal_id = %d AND stage = 'proposal'`, d.ID),
			fmt.Sprintf(`UPDATE deal_stage_entries SET entered_at = '%s' WHERE deal_id = %d AND stage = 'won'`, tandem.FormatTime(ny(25, 9, 0)), d.ID),
			fmt.Sprintf(`INSERT INTO deal_stage_entries (deal_id, stage, entered_at) VALUES (%d, 'negotiation', '%s')`, d.ID, tandem.FormatTime(ny(24, 10, 0))),
		} {
			if err := w.db.ExecForTest(ctx, q); err != nil {
				t.Fatalf("ExecForTest(%s): %v", q, err)
			}
		}
		var diffs []string
		checked, differ, err := w.db.VerifyLedger(ctx, func(id int64, diff string) { diffs = append(diffs, fmt.Sprintf("lead %d: %s", id, diff)) })
		want := []string{fmt.Sprintf("lead %d: its deals' stage entries differ from the ledger's: "+
			"deal %d negotiation stored %s, the events give none; deal %d proposal stored none, the events give %s; deal %d won stored %s, the events give %s",
			a.ID, d.ID, tandem.FormatTime(ny(24, 10, 0)), d.ID, tandem.FormatTime(ny(24, 9, 0)), d.ID, tandem.FormatTime(ny(25, 9, 0)), tandem.FormatTime(ny(24, 14, 0)))}
		if err != nil || differ != 1 || checked == 0 || cmp.Diff(want, diffs) != "" {
			t.Errorf("VerifyLedger() = %d checked, %d differ, %v, %q; want 1 differ, %q", checked, differ, err, diffs, want)
		}
	})
}
