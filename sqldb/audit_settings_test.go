package sqldb_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/schedule"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestAuditRecordsSettings: every change to the settings that let data in
// or out (website forms, inbound sources, webhook subscriptions, scheduled
// sends, calendar feeds) is in the audit log by its actor with the fields it
// changed; saving the same values again leaves no entry; no signing secret,
// feed token or URL path is ever in the log (a source's secrets appear by
// count and the first 8 hex digits of their SHA-256, computed here).
func TestAuditRecordsSettings(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := open(t, b)
		bg := context.Background()
		const actor = "user:ada@example.com"
		ctx := sqldb.WithActor(bg, actor)
		rex := tandem.User{Email: "rex@example.com", Name: "Rex", Role: tandem.RoleSalesRep, Team: "east"}
		if err := db.CreateUser(ctx, &rex); err != nil {
			t.Fatal(err)
		}
		startID := lastAuditID(t, db)

		type want struct {
			action, subject string
			changes         map[string][2]string // field: from, to; nil: none checked
		}
		var wants []want

		// A form: made, saved again unchanged (no entry), changed, deleted.
		form := inbound.Form{Name: "contact", Mapping: inbound.DefaultFormMapping, Origins: []string{"https://www.example.com"}, PerMinute: 5}
		if _, err := db.SaveForm(ctx, form); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"form.save", "form:contact", map[string][2]string{"origins": {"", "https://www.example.com"}, "per_minute": {"", "5"}, "mapping": {"", inbound.DefaultFormMapping}}})
		if _, err := db.SaveForm(ctx, form); err != nil {
			t.Fatal(err)
		}
		form.PerMinute, form.Campaign = 9, "spring"
		if _, err := db.SaveForm(ctx, form); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"form.save", "form:contact", map[string][2]string{"per_minute": {"5", "9"}, "campaign": {"", "spring"}}})
		if err := db.DeleteForm(ctx, "contact"); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"form.delete", "form:contact", map[string][2]string{}})

		// A source: made with one secret, rotated to two, deleted.
		s1, s2 := "first-0123456789abcdef-secret", "second-0123456789abcdef-secret"
		fp := func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:])[:8] }
		src := inbound.Source{Name: "hubspot", Kind: inbound.KindHubSpot, Secrets: []string{s1}}
		if _, err := db.SaveSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"source.save", "source:hubspot", map[string][2]string{"kind": {"", inbound.KindHubSpot}, "secrets": {"", "1: " + fp(s1)}}})
		src.Secrets = []string{s1, s2}
		if _, err := db.SaveSource(ctx, src); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"source.save", "source:hubspot", map[string][2]string{"secrets": {"1: " + fp(s1), "2: " + fp(s1) + " " + fp(s2)}}})
		if err := db.DeleteSource(ctx, "hubspot"); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"source.delete", "source:hubspot", map[string][2]string{}})

		// A webhook: its URL's path is a secret of the receiver's.
		u, types := "https://hooks.example.com/services/T0K3N-PATH?key=Q5ECRET", []string{"deal.won"}
		w, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: &u, EventTypes: &types}, 0)
		if err != nil {
			t.Fatal(err)
		}
		subject := fmt.Sprintf("webhook:%d", w.ID)
		wants = append(wants, want{"webhook.create", subject, map[string][2]string{"event_types": {"", "deal.won"}, "state": {"", "active"}, "url": {"", "https://hooks.example.com/… #" + fp(u)}}})
		paused := sqldb.WebhookPaused
		if _, err := db.UpdateWebhook(ctx, w.ID, sqldb.WebhookInput{State: &paused}); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"webhook.update", subject, map[string][2]string{"state": {"active", "paused"}}})
		if _, err := db.UpdateWebhook(ctx, w.ID, sqldb.WebhookInput{EventTypes: &types}); err != nil { // unchanged: no entry
			t.Fatal(err)
		}
		if err := db.DeleteWebhook(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"webhook.delete", subject, map[string][2]string{}})

		// A schedule, added and removed.
		sch, err := db.AddSchedule(ctx, schedule.Schedule{Kind: schedule.Scorecard, Roles: []tandem.Role{tandem.RoleSalesHead}, Addresses: []string{"Board@Example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"schedule.add", fmt.Sprintf("schedule:%d", sch.ID), map[string][2]string{"kind": {"", "scorecard"}, "roles": {"", "sales_head"}, "addresses": {"", "board@example.com"}}})
		if err := db.RemoveSchedule(ctx, sch.ID); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"schedule.remove", fmt.Sprintf("schedule:%d", sch.ID), map[string][2]string{}})

		// A calendar feed, made and turned off.
		_, token, err := db.CreateCalendarFeed(ctx, rex.ID)
		if err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"calendar_feed.create", "user:rex@example.com", map[string][2]string{}})
		if err := db.RevokeCalendarFeed(ctx, rex.ID); err != nil {
			t.Fatal(err)
		}
		wants = append(wants, want{"calendar_feed.revoke", "user:rex@example.com", map[string][2]string{}})

		es, err := db.Audit(bg, sqldb.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var got []sqldb.AuditEntry
		for i := len(es) - 1; i >= 0; i-- { // oldest first
			if es[i].ID > startID {
				got = append(got, es[i])
			}
		}
		if len(got) != len(wants) {
			for _, e := range got {
				t.Logf("entry %s %s %v", e.Action, e.Subject, e.Changes)
			}
			t.Fatalf("%d audit entries; want %d", len(got), len(wants))
		}
		for i, w := range wants {
			e := got[i]
			if e.Action != w.action || e.Subject != w.subject || e.Actor != actor {
				t.Errorf("entry %d = %s %s by %s; want %s %s by %s", i, e.Action, e.Subject, e.Actor, w.action, w.subject, actor)
			}
			byField := map[string][2]string{}
			for _, c := range e.Changes {
				byField[c.Field] = [2]string{c.From, c.To}
			}
			if len(w.changes) == 0 && len(e.Changes) != 0 {
				t.Errorf("entry %d %s changes %v; want none", i, e.Action, e.Changes)
			}
			for f, ft := range w.changes {
				if byField[f] != ft {
					t.Errorf("entry %d %s: %s = %q; want %q", i, e.Action, f, byField[f], ft)
				}
			}
		}
		raw, _ := json.Marshal(got)
		for _, secret := range []string{s1, s2, w.Secret, token, "T0K3N", "Q5ECRET"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the audit log shows %q", secret)
			}
		}
	})
}

// lastAuditID is the id of the newest audit entry, 0 for none.
func lastAuditID(t *testing.T, db *sqldb.DB) int64 {
	t.Helper()
	es, err := db.Audit(context.Background(), sqldb.AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		return 0
	}
	return es[0].ID
}
