package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestRecycleNeedsMinTouches pins the boundary of the default agreement's
// six touches before recycling: after five a rejection is refused and asks
// for one more; after the sixth it recycles the lead.
func TestRecycleNeedsMinTouches(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		l := w.mql(t, "m")
		owner := w.rex
		if got, _ := w.db.Lead(ctx, l.ID); got.OwnerID == w.ria.ID {
			owner = w.ria
		}
		reject := sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_response"}
		for i := 1; i <= 6; i++ {
			w.clk.Advance(10 * time.Minute)
			if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: "call", Outcome: "no_answer"}, tokenOf(owner)); err != nil {
				t.Fatalf("touch %d: %v", i, err)
			}
			if i == 5 {
				_, err := w.db.Decide(ctx, l.ID, reject, tokenOf(owner))
				if tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(tandem.ErrorMessage(err), "5 of the 6") ||
					!strings.Contains(tandem.ErrorMessage(err), "log 1 more") {
					t.Fatalf("Decide(reject after 5 touches) = %v; want a conflict: 5 of the 6 touches, log 1 more", err)
				}
			}
		}
		got, err := w.db.Decide(ctx, l.ID, reject, tokenOf(owner))
		if err != nil || got.Stage != "recycled" {
			t.Fatalf("Decide(reject after 6 touches) = %s, %v; want recycled", got.Stage, err)
		}
	})
}

// TestRejectDuplicateAtOnce checks the reject reasons' after_cadence: under
// the default agreement a rep rejects a duplicate the moment it is handed
// off, within the accept clock and before any touch, and the lead goes back
// to marketing; no_response at the same moment is refused, naming the rule.
func TestRejectDuplicateAtOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		ownerOf := func(l tandem.Lead) tandem.User {
			got, err := w.db.Lead(ctx, l.ID)
			if err != nil {
				t.Fatalf("Lead: %v", err)
			}
			if got.OwnerID == w.ria.ID {
				return w.ria
			}
			return w.rex
		}
		dup, silent := w.mql(t, "dup"), w.mql(t, "silent")
		w.clk.Advance(time.Minute)

		_, err := w.db.Decide(ctx, silent.ID, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_response"}, tokenOf(ownerOf(silent)))
		if msg := tandem.ErrorMessage(err); tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(msg, "0 of the 6 touches") ||
			!strings.Contains(msg, "no_response has after_cadence: true") || !strings.Contains(msg, "duplicate") {
			t.Errorf("Decide(reject as no_response at once) = %v; want a conflict naming the 6 touches and no_response's after_cadence", err)
		}
		if l, err := w.db.Lead(ctx, silent.ID); err != nil || l.Stage != "mql" {
			t.Errorf("after a refused rejection the lead is %s, %v; want mql, unchanged", l.Stage, err)
		}

		l, err := w.db.Decide(ctx, dup.ID, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "duplicate"}, tokenOf(ownerOf(dup)))
		if err != nil || l.Stage != "recycled" {
			t.Fatalf("Decide(reject as duplicate at once) = %s, %v; want recycled", l.Stage, err)
		}
		hs, err := w.db.Handoffs(ctx, dup.ID)
		if err != nil || len(hs) != 1 {
			t.Fatalf("Handoffs(dup) = %+v, %v; want one", hs, err)
		}
		if h := hs[0]; h.Decision != tandem.DecisionRejected || h.Touches != 0 || h.DecidedAt.IsZero() || h.DecidedAt.After(h.AcceptDue) {
			t.Errorf("dup's hand-off = decision %q after %d touches at %v, accept due %v; want rejected with no touch, within the accept clock",
				h.Decision, h.Touches, h.DecidedAt, h.AcceptDue)
		}
	})
}
