package sqldb

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func TestAtRisk(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newReportWorld(t, b, 2)
		w.at(9, 0)
		ls := w.intake(t, [3]string{"a1", "web", "smb"}, [3]string{"a2", "web", "smb"})

		// What the hand-offs and tasks say is open, built by hand.
		var want []AtRisk
		for _, l := range ls {
			hs, err := w.db.Handoffs(ctx, l.ID)
			if err != nil || len(hs) != 1 {
				t.Fatalf("Handoffs(%d) = %v, %v; want one", l.ID, hs, err)
			}
			h := hs[0]
			owner := ""
			if h.OwnerID != 0 {
				u, err := w.db.UserByID(ctx, h.OwnerID)
				if err != nil {
					t.Fatalf("UserByID: %v", err)
				}
				owner = u.Email
			}
			base := AtRisk{LeadID: l.ID, Lead: l.Email, OwnerID: h.OwnerID, Owner: owner}
			ft, ac := base, base
			ft.Clock, ft.Due = ClockFirstTouch, h.FirstTouchDue
			ac.Clock, ac.Due = ClockAccept, h.AcceptDue
			want = append(want, ft, ac)
			ts, err := w.db.LeadTasks(ctx, l.ID)
			if err != nil {
				t.Fatalf("LeadTasks: %v", err)
			}
			for _, tk := range ts {
				if tk.State == tandem.TaskOpen {
					it := base
					it.Clock, it.Step, it.Channel, it.Due = ClockTask, tk.Step, tk.Channel, tk.DueAt
					want = append(want, it)
				}
			}
		}
		sortAtRisk(want)
		now := w.db.Now()
		far := now.Add(365 * 24 * time.Hour)
		got, err := w.db.AtRisk(ctx, AtRiskQuery{From: now, To: far})
		if err != nil {
			t.Fatalf("AtRisk: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("AtRisk(all) mismatch (-want +got):\n%s", diff)
		}

		// One rep's only.
		got, err = w.db.AtRisk(ctx, AtRiskQuery{From: now, To: far, Owners: []int64{w.rex.ID}})
		if err != nil {
			t.Fatalf("AtRisk: %v", err)
		}
		rex := slices.DeleteFunc(slices.Clone(want), func(a AtRisk) bool { return a.OwnerID != w.rex.ID })
		if diff := cmp.Diff(rex, got); diff != "" {
			t.Errorf("AtRisk(rex) mismatch (-want +got):\n%s", diff)
		}
		if got, err := w.db.AtRisk(ctx, AtRiskQuery{From: now, To: far, Owners: []int64{}}); err != nil || len(got) != 0 {
			t.Errorf("AtRisk(no owners) = %v, %v; want none", got, err)
		}

		// The window: only what falls due in it; and the limit.
		first := want[0].Due
		got, err = w.db.AtRisk(ctx, AtRiskQuery{From: now, To: first.Add(time.Microsecond)})
		if err != nil {
			t.Fatalf("AtRisk: %v", err)
		}
		for _, it := range got {
			if it.Due.After(first) {
				t.Errorf("AtRisk(to %v) has %+v, due after", first, it)
			}
		}
		if len(got) == 0 {
			t.Errorf("AtRisk(to %v) is empty; want the first due", first)
		}
		if got, _ := w.db.AtRisk(ctx, AtRiskQuery{From: now, To: far, Limit: 2}); len(got) != 2 {
			t.Errorf("AtRisk(limit 2) has %d items", len(got))
		}

		// A touch stops the first-touch clock.
		var touched tandem.Lead
		var by tandem.User
		for _, l := range ls {
			for _, it := range want {
				if it.LeadID == l.ID && it.OwnerID != 0 && touched.ID == 0 {
					touched = l
					by, _ = w.db.UserByID(ctx, it.OwnerID)
				}
			}
		}
		if touched.ID == 0 {
			t.Fatal("no routed lead")
		}
		w.touch(t, touched, by, "call", "no_answer")
		got, err = w.db.AtRisk(ctx, AtRiskQuery{From: now, To: far})
		if err != nil {
			t.Fatalf("AtRisk: %v", err)
		}
		for _, it := range got {
			if it.LeadID == touched.ID && it.Clock == ClockFirstTouch {
				t.Errorf("after a touch, AtRisk still has %+v", it)
			}
		}
	})
}

func sortAtRisk(items []AtRisk) {
	slices.SortFunc(items, func(a, b AtRisk) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if a.LeadID != b.LeadID {
			return int(a.LeadID - b.LeadID)
		}
		if a.Clock < b.Clock {
			return -1
		}
		if a.Clock > b.Clock {
			return 1
		}
		return 0
	})
}
