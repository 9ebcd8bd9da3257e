package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// outboxType is the outbox type of each ledger type (docs/events.md).
var outboxType = map[string]string{
	"created": "lead.created", "updated": "lead.updated", "stage_changed": "lead.stage_changed", "touched": "lead.touched",
	"reviewed": "lead.reviewed", "handed_off": "handoff.started", "assigned": "handoff.assigned", "breached": "clock.breached",
	"deal_opened": "deal.opened", "deal_updated": "deal.updated", "deal_won": "deal.won", "deal_lost": "deal.lost",
}

// allOutbox reads every outbox event.
func allOutbox(t *testing.T, db *sqldb.DB) []outbox.Event {
	t.Helper()
	var all []outbox.Event
	for {
		var after int64
		if len(all) > 0 {
			after = all[len(all)-1].ID
		}
		evs, err := db.OutboxEvents(context.Background(), sqldb.OutboxFilter{AfterID: after, Limit: 500})
		if err != nil {
			t.Fatalf("OutboxEvents(after %d) = %v", after, err)
		}
		if len(evs) == 0 {
			return all
		}
		all = append(all, evs...)
	}
}

// TestOutboxHoldsEveryEvent: each ledger event has exactly one outbox
// event naming it, of its type, for its lead, at its time; signing puts an
// agreement.in_force event out; an escalation step is an escalation.sent
// event naming whom it tells, and its inbox, email and chat notifications
// name that event. A fire that fails after breaching leaves neither the
// ledger event nor its outbox events: they are one transaction.
func TestOutboxHoldsEveryEvent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a, c := w.mql(t, "a"), w.mql(t, "c")
		if _, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "call", Outcome: "connected"}, tokenOf(w.rex)); err != nil {
			t.Fatalf("LogTouch(a) = %v", err)
		}
		if _, err := w.db.Decide(ctx, a.ID, sqldb.Decision{Decision: tandem.DecisionAccepted}, tokenOf(w.rex)); err != nil {
			t.Fatalf("Decide(a, accepted) = %v", err)
		}

		// Lead c's clocks fall due at 10:10. A fire that fails after its
		// work leaves nothing behind.
		w.clk.Set(ny(23, 10, 11))
		fire := w.db.FireSLA()
		if _, err := w.db.FireDue(ctx, "failing", 100, func(ctx context.Context, tx *sqldb.Tx, tm sqldb.Timer) error {
			if err := fire(ctx, tx, tm); err != nil {
				return err
			}
			return errors.New("the process died before commit")
		}); err != nil {
			t.Fatalf("FireDue(failing) = %v", err)
		}
		for _, typ := range []string{"clock.breached", "escalation.sent"} {
			if evs, _ := w.db.OutboxEvents(ctx, sqldb.OutboxFilter{Type: typ}); len(evs) != 0 {
				t.Errorf("after a failed fire, %d %s events in the outbox; want 0", len(evs), typ)
			}
		}
		w.clk.Set(ny(23, 11, 11)) // past the failed timers' backoff
		w.fire(t)

		all := allOutbox(t, w.db)
		byLedger := map[int64][]outbox.Event{}
		for _, e := range all {
			if e.LedgerID != 0 {
				byLedger[e.LedgerID] = append(byLedger[e.LedgerID], e)
			}
			if e.Version != 1 || !json.Valid(e.Data) || !e.CreatedAt.Equal(e.CreatedAt.UTC()) {
				t.Errorf("outbox event %+v; want version 1 and JSON data", e)
			}
		}
		ledger := 0
		for _, l := range []tandem.Lead{a, c} {
			evs, err := w.db.LeadEvents(ctx, l.ID)
			if err != nil {
				t.Fatalf("LeadEvents(%d) = %v", l.ID, err)
			}
			for _, le := range evs {
				ledger++
				got := byLedger[le.ID]
				if len(got) != 1 || got[0].Type != outboxType[le.Type] || got[0].LeadID != l.ID || !got[0].OccurredAt.Equal(le.OccurredAt) {
					t.Errorf("ledger event %d (%s of lead %d at %v) has outbox events %+v; want one %s", le.ID, le.Type, l.ID, le.OccurredAt, got, outboxType[le.Type])
				}
				// Its data is the ledger's record (read from the ledger: no
				// channel here takes ledger events).
				var d outbox.Ledger
				if len(got) == 1 && (json.Unmarshal(got[0].Data, &d) != nil || d.Actor != le.Actor || len(d.Changes) != len(le.Changes) || d.Reason != le.Reason) {
					t.Errorf("outbox event of ledger event %d has data %s; want actor %q, reason %q and its %d changes", le.ID, got[0].Data, le.Actor, le.Reason, len(le.Changes))
				}
			}
		}
		if len(byLedger) != ledger {
			t.Errorf("%d outbox events name a ledger event; want %d, one per ledger event", len(byLedger), ledger)
		}

		if evs, _ := w.db.OutboxEvents(ctx, sqldb.OutboxFilter{Type: "agreement.in_force"}); len(evs) != 1 {
			t.Errorf("%d agreement.in_force events; want 1, for the signed default", len(evs))
		} else {
			var d outbox.InForce
			if err := json.Unmarshal(evs[0].Data, &d); err != nil || d.Version != 1 || len(d.SignedBy) != 2 {
				t.Errorf("agreement.in_force data %s (%v); want version 1 signed by both heads", evs[0].Data, err)
			}
		}

		// Lead c breached its first touch and step 1: ria is told of each at once.
		esc, err := w.db.OutboxEvents(ctx, sqldb.OutboxFilter{Type: "escalation.sent", LeadID: c.ID})
		if err != nil || len(esc) != 2 {
			t.Fatalf("escalation.sent of lead c = %d, %v; want 2", len(esc), err)
		}
		ids := map[int64]bool{}
		for _, e := range esc {
			ids[e.ID] = true
			var d outbox.Escalation
			if err := json.Unmarshal(e.Data, &d); err != nil || d.Level != 1 || d.Role != "sales_rep" || len(d.To) != 1 || d.To[0].UserID != c.OwnerID {
				t.Errorf("escalation data %s (%v); want level 1 telling the owner %d", e.Data, err, c.OwnerID)
			}
		}
		ns, err := w.db.Notifications(ctx, sqldb.NotificationFilter{LeadID: c.ID, Limit: 100})
		if err != nil {
			t.Fatalf("Notifications(lead c) = %v", err)
		}
		// Its routing to ria told her in the inbox only (email and chat do
		// not take handoff.assigned).
		routed, err := w.db.OutboxEvents(ctx, sqldb.OutboxFilter{Type: "handoff.assigned", LeadID: c.ID})
		if err != nil || len(routed) != 1 {
			t.Fatalf("handoff.assigned of lead c = %d, %v; want 1", len(routed), err)
		}
		perChannel := map[string]int{}
		for _, n := range ns {
			perChannel[n.Channel]++
			if n.EventID == routed[0].ID && n.Channel == "inbox" && n.UserID == c.OwnerID {
				continue
			}
			if !ids[n.EventID] {
				t.Errorf("%s notification %d names event %d; want one of lead c's escalations %v", n.Channel, n.ID, n.EventID, ids)
			}
		}
		if perChannel["inbox"] != 3 || perChannel["email"] != 2 || perChannel["chat"] != 2 {
			t.Errorf("lead c's notifications by channel: %v; want 3 in the inbox (its routing, its escalations), 2 each of email and chat", perChannel)
		}
	})
}
