package sqldb_test

import (
	"context"
	"maps"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestInbox routes three leads (Rex, Ria, Rex by round robin), which tells
// each owner in the inbox that the lead is theirs, breaches their first
// touches, which tells them again, and has Rex page
// through his inbox, mark one read (twice: the first time stays), fail to
// mark Ria's, and mark the rest read up to what he saw.
func TestInbox(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a, c := w.mql(t, "a"), w.mql(t, "b")
		e := w.mql(t, "c") // Rex's again
		if a.OwnerID != w.rex.ID || c.OwnerID != w.ria.ID || e.OwnerID != w.rex.ID {
			t.Fatalf("owners %d, %d, %d; want rex, ria, rex", a.OwnerID, c.OwnerID, e.OwnerID)
		}
		w.clk.Set(ny(23, 10, 30)) // every first touch is missed
		if n := w.fire(t); n == 0 {
			t.Fatalf("firing at 10:30 fired nothing; want the breaches")
		}
		all, err := w.db.Inbox(ctx, w.rex.ID, sqldb.InboxFilter{})
		if err != nil {
			t.Fatalf("Inbox(rex) = %v", err)
		}
		if len(all.Items) < 2 || all.Unread != len(all.Items) {
			t.Fatalf("Inbox(rex) = %d items, %d unread; want 2 or more, all unread", len(all.Items), all.Unread)
		}
		// Each of his leads told him twice: routed to him (handoff.assigned),
		// then its first touch breached (escalation.sent).
		leads := map[int64]bool{}
		assigned := map[int64]int{}
		for i, it := range all.Items {
			if it.UserID != w.rex.ID || it.Channel != sqldb.ChannelInbox || it.LeadID == 0 ||
				(it.Type != outbox.EscalationSent && it.Type != outbox.HandoffAssigned) {
				t.Errorf("Inbox(rex)[%d] = %+v; want Rex's escalation.sent or handoff.assigned naming its lead", i, it)
			}
			if i > 0 && it.ID >= all.Items[i-1].ID {
				t.Errorf("Inbox(rex) ids %d then %d; want newest first", all.Items[i-1].ID, it.ID)
			}
			if it.Type == outbox.HandoffAssigned {
				assigned[it.LeadID]++
			} else {
				leads[it.LeadID] = true
			}
		}
		if !leads[a.ID] || !leads[e.ID] || leads[c.ID] {
			t.Errorf("Rex's inbox names breaches of leads %v; want %d and %d, not Ria's %d", leads, a.ID, e.ID, c.ID)
		}
		if want := map[int64]int{a.ID: 1, e.ID: 1}; !maps.Equal(assigned, want) {
			t.Errorf("Rex's inbox tells him leads %v are his; want %v (not Ria's %d)", assigned, want, c.ID)
		}
		// Pages of one.
		var paged []int64
		for f := (sqldb.InboxFilter{Limit: 1}); ; {
			p, err := w.db.Inbox(ctx, w.rex.ID, f)
			if err != nil {
				t.Fatalf("Inbox(rex, %+v) = %v", f, err)
			}
			for _, it := range p.Items {
				paged = append(paged, it.ID)
			}
			if p.Next == 0 {
				break
			}
			f.Before = p.Next
		}
		if len(paged) != len(all.Items) {
			t.Errorf("paging by one gave %v; want the %d notifications", paged, len(all.Items))
		}

		first := all.Items[0]
		w.clk.Set(ny(23, 11, 0))
		n, err := w.db.MarkRead(ctx, w.rex.ID, first.ID)
		if err != nil || !n.ReadAt.Equal(ny(23, 11, 0)) {
			t.Errorf("MarkRead(rex, %d) = read at %v, %v; want %v", first.ID, n.ReadAt, err, ny(23, 11, 0))
		}
		w.clk.Set(ny(23, 11, 5))
		if n, err := w.db.MarkRead(ctx, w.rex.ID, first.ID); err != nil || !n.ReadAt.Equal(ny(23, 11, 0)) {
			t.Errorf("MarkRead(rex, %d) again = read at %v, %v; want the first time, %v", first.ID, n.ReadAt, err, ny(23, 11, 0))
		}
		if got, err := w.db.UnreadCount(ctx, w.rex.ID); err != nil || got != len(all.Items)-1 {
			t.Errorf("UnreadCount(rex) = %d, %v; want %d", got, err, len(all.Items)-1)
		}
		unread, _ := w.db.Inbox(ctx, w.rex.ID, sqldb.InboxFilter{Unread: true})
		for _, it := range unread.Items {
			if it.ID == first.ID {
				t.Errorf("Inbox(rex, unread) holds %d, which is read", first.ID)
			}
		}
		ria, _ := w.db.Inbox(ctx, w.ria.ID, sqldb.InboxFilter{})
		if len(ria.Items) == 0 {
			t.Fatalf("Ria's inbox is empty; want her lead's breach")
		}
		if _, err := w.db.MarkRead(ctx, w.rex.ID, ria.Items[0].ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("MarkRead(rex, Ria's %d) = %v; want ENOTFOUND", ria.Items[0].ID, err)
		}
		if got, _ := w.db.UnreadCount(ctx, w.ria.ID); got != len(ria.Items) {
			t.Errorf("after Rex tried to read Ria's, UnreadCount(ria) = %d; want %d", got, len(ria.Items))
		}
		if _, err := w.db.Inbox(ctx, w.rex.ID, sqldb.InboxFilter{Limit: sqldb.MaxInboxPage + 1}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Inbox(limit %d) = %v; want EINVALID", sqldb.MaxInboxPage+1, err)
		}

		// Mark all read up to the oldest: only that one goes.
		oldest := all.Items[len(all.Items)-1].ID
		if got, err := w.db.MarkAllRead(ctx, w.rex.ID, oldest); err != nil || got != 1 {
			t.Errorf("MarkAllRead(rex, up to %d) = %d, %v; want 1", oldest, got, err)
		}
		if got, err := w.db.MarkAllRead(ctx, w.rex.ID, 0); err != nil || got != len(all.Items)-2 {
			t.Errorf("MarkAllRead(rex) = %d, %v; want %d", got, err, len(all.Items)-2)
		}
		if got, _ := w.db.UnreadCount(ctx, w.rex.ID); got != 0 {
			t.Errorf("after MarkAllRead, UnreadCount(rex) = %d; want 0", got)
		}
		if got, _ := w.db.UnreadCount(ctx, w.ria.ID); got != len(ria.Items) {
			t.Errorf("Rex's MarkAllRead changed Ria's unread count to %d; want %d", got, len(ria.Items))
		}
	})
}
