package sqldb_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestEscalationCountsFromTheMissedClock pins when a breach is escalated:
// counted in business time from the moment the clock was missed, not from
// when the worker happened to fire it, and not in wall-clock time. A lead
// handed off at 16:45 on a Monday (hours 09:00-17:00, New York) misses its
// 10-minute first touch at 16:55; the worker fires late, at 18:30. The
// manager is told 30 business minutes after 16:55 (5 that day, 25 the next:
// Tuesday 09:25, not 09:30 counted from the late fire, nor 17:25 in
// wall-clock time), the head 2 business hours after (Tuesday 10:55).
func TestEscalationCountsFromTheMissedClock(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorldAt(t, b, ny(23, 9, 0))
		w.clk.Set(ny(23, 16, 45))
		l := w.mql(t, "late")
		w.clk.Set(ny(23, 18, 30))
		if n := w.fire(t); n == 0 {
			t.Fatalf("firing at 18:30 fired nothing; want the first-touch breach")
		}
		ts, err := w.db.Timers(ctx, l.ID)
		if err != nil {
			t.Fatalf("Timers(%d) = %v", l.ID, err)
		}
		// The rep is told as the clock fires (after 0m); the later steps
		// are timers, by level (1: manager, 2: head).
		got := map[int]time.Time{}
		for _, tm := range ts {
			var pl struct {
				Clock string `json:"clock"`
				Level int    `json:"level"`
			}
			if err := json.Unmarshal(tm.Payload, &pl); err != nil {
				t.Fatalf("timer %d payload %s: %v", tm.ID, tm.Payload, err)
			}
			if tm.Kind == sqldb.TimerEscalate && pl.Clock == sqldb.TimerFirstTouch {
				got[pl.Level] = tm.DueAt
			}
		}
		want := map[int]time.Time{1: ny(24, 9, 25), 2: ny(24, 10, 55)}
		if len(got) != len(want) {
			t.Errorf("first-touch escalation timers by level: %v; want %v", got, want)
		}
		for level, due := range want {
			if !got[level].Equal(due) {
				t.Errorf("escalation level %d due %v; want %v (business time from the missed clock)", level, got[level].In(newYork), due.In(newYork))
			}
		}
	})
}
