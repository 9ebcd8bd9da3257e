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
