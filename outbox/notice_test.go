package outbox_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
)

var newYork, _ = time.LoadLocation("America/New_York")

func TestEscalationNotice(t *testing.T) {
	base := outbox.Escalation{Handoff: 7, Clock: "first_touch", DueAt: time.Date(2026, 11, 23, 15, 10, 0, 0, time.UTC),
		HandedOffAt: time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC), TimeZone: "America/New_York", Level: 2, Levels: 3,
		Role: "sales_manager", Owner: "rex@example.com", Lead: "Ada Lovelace, Analytical",
		To: []outbox.Recipient{{UserID: 3, Email: "manu@example.com"}, {UserID: 4, Email: "mo@example.com"}}}
	step := base
	step.Clock, step.Step, step.Channel, step.Template = "step", 3, "email", "first-follow-up"
	nobody := base
	nobody.To, nobody.Owner = nil, ""
	long := step
	long.Template = strings.Repeat("é", 150)
	for _, c := range []struct {
		name string
		d    outbox.Escalation
		want outbox.Notice
	}{
		{"first touch, two managers", base, outbox.Notice{
			Subject: "SLA breach on lead 42: the first touch was due Mon 23 Nov 10:10 EST",
			Body: "Lead 42 (Ada Lovelace, Analytical) was handed off at Mon 23 Nov 10:00 EST and is owned by rex@example.com.\n" +
				"The first touch was due Mon 23 Nov 10:10 EST and has not been done.\n" +
				"Escalation step 2 of 3 tells the sales_manager: manu@example.com, mo@example.com.",
			To: base.To}},
		{"cadence step", step, outbox.Notice{
			Subject: "SLA breach on lead 42: cadence step 3 (email, template first-follow-up) was due Mon 23 Nov 10:10 EST",
			Body: "Lead 42 (Ada Lovelace, Analytical) was handed off at Mon 23 Nov 10:00 EST and is owned by rex@example.com.\n" +
				"Cadence step 3 (email, template first-follow-up) was due Mon 23 Nov 10:10 EST and has not been done.\n" +
				"Escalation step 2 of 3 tells the sales_manager: manu@example.com, mo@example.com.",
			To: step.To}},
		{"nobody holds the role, lead not routed", nobody, outbox.Notice{
			Subject: "SLA breach on lead 42: the first touch was due Mon 23 Nov 10:10 EST",
			Body: "Lead 42 (Ada Lovelace, Analytical) was handed off at Mon 23 Nov 10:00 EST and is owned by nobody (the lead is not routed).\n" +
				"The first touch was due Mon 23 Nov 10:10 EST and has not been done.\n" +
				"Escalation step 2 of 3 tells the sales_manager: nobody holds this role."}},
	} {
		if got := outbox.EscalationNotice(42, c.d); !cmp.Equal(got, c.want) {
			t.Errorf("%s: EscalationNotice(42, %+v) (-want +got):\n%s", c.name, c.d, cmp.Diff(c.want, got))
		}
	}
	// A subject over 200 bytes is cut at a character boundary: the prefix
	// before the template is 55 bytes, so 200 bytes end inside the 73rd é.
	got := outbox.EscalationNotice(42, long).Subject
	want := "SLA breach on lead 42: cadence step 3 (email, template " + strings.Repeat("é", 72)
	if got != want {
		t.Errorf("long subject = %q (%d bytes); want %q (%d bytes)", got, len(got), want, len(want))
	}
}

func TestAlertNotice(t *testing.T) {
	d := outbox.Alert{Alert: 1, Period: "2026-Q4", Cause: "qualified_leads", Summary: "qualified leads are 40% short of the commitment",
		Figures: []outbox.AlertFigure{{Name: "qualified leads", Expected: 600, Actual: 300, Projected: 360, Drift: -0.4},
			{Name: "acceptance rate", Expected: 0.6, Actual: 0.45, Drift: -0.25, Samples: 80}}}
	got := outbox.AlertNotice(d)
	want := outbox.Notice{Subject: "Jeopardy 2026-Q4: qualified leads",
		Body: "Qualified leads are 40% short of the commitment.\n" +
			"\nqualified leads: expected 600, actual 300, projected 360 (drift -40.0%)" +
			"\nacceptance rate: expected 0.6, actual 0.45 (drift -25.0%), over 80"}
	if !cmp.Equal(got, want) {
		t.Errorf("AlertNotice(%+v) (-want +got):\n%s", d, cmp.Diff(want, got))
	}
}

func TestNoticeOf(t *testing.T) {
	d := outbox.Alert{Period: "2026-11", Cause: "revenue", Summary: "revenue", To: []outbox.Recipient{{UserID: 1, Email: "a@example.com"}}}
	e, err := outbox.New(outbox.AlertRaised, 0, time.Time{}, d)
	if err != nil {
		t.Fatalf("New(alert) = %v", err)
	}
	if n, ok := outbox.NoticeOf(e); !ok || n.Subject != "Jeopardy 2026-11: revenue" || len(n.To) != 1 {
		t.Errorf("NoticeOf(alert.raised) = %+v, %v; want the alert's notice to a@example.com", n, ok)
	}
	created, _ := outbox.FromLedger(tandem.Event{ID: 9, LeadID: 2, Type: tandem.EventCreated, Actor: "rule"})
	if n, ok := outbox.NoticeOf(created); ok {
		t.Errorf("NoticeOf(lead.created) = %+v, true; want no notice", n)
	}
	for _, c := range []struct {
		actor, reason, from, to string
		want                    *outbox.Notice
	}{
		{"system", "routed by round robin", "", "7", &outbox.Notice{Subject: "Lead 2 is yours",
			Body: "Lead 2 was given to you by Tandem: routed by round robin.", To: []outbox.Recipient{{UserID: 7}}}},
		{"user:manu@example.com", "covering the account", "7", "8", &outbox.Notice{Subject: "Lead 2 is yours",
			Body: "Lead 2 was given to you by manu@example.com: covering the account.", To: []outbox.Recipient{{UserID: 8}}}},
		{"token:crm", "", "", "9", &outbox.Notice{Subject: "Lead 2 is yours",
			Body: "Lead 2 was given to you by the API token crm.", To: []outbox.Recipient{{UserID: 9}}}},
		{"user:manu@example.com", "back to the pool", "8", "", nil}, // nobody to tell
	} {
		e, _ := outbox.FromLedger(tandem.Event{ID: 9, LeadID: 2, Type: tandem.EventAssigned, Actor: c.actor, Reason: c.reason,
			Changes: []tandem.FieldChange{{Field: "owner_id", From: c.from, To: c.to}}})
		n, ok := outbox.NoticeOf(e)
		if c.want == nil {
			if ok {
				t.Errorf("NoticeOf(assigned to %q) = %+v, true; want no notice", c.to, n)
			}
			continue
		}
		if diff := cmp.Diff(*c.want, n); !ok || diff != "" {
			t.Errorf("NoticeOf(assigned by %s to %s) ok = %v, diff (-want +got):\n%s", c.actor, c.to, ok, diff)
		}
	}
	if n, ok := outbox.NoticeOf(outbox.Event{Type: outbox.HandoffAssigned, Data: json.RawMessage(`{"changes": 3}`)}); ok {
		t.Errorf("NoticeOf(bad assigned data) = %+v, true; want false", n)
	}
	if n, ok := outbox.NoticeOf(outbox.Event{Type: outbox.EscalationSent, Data: json.RawMessage(`{"level": "x"}`)}); ok {
		t.Errorf("NoticeOf(bad escalation data) = %+v, true; want false", n)
	}
}

// TestFromLedger: every ledger type has its outbox type, which carries the
// ledger event's ids and what it recorded.
func TestFromLedger(t *testing.T) {
	want := map[string]string{
		"created": "lead.created", "updated": "lead.updated", "stage_changed": "lead.stage_changed", "touched": "lead.touched",
		"reviewed": "lead.reviewed", "noted": "lead.noted", "handed_off": "handoff.started", "assigned": "handoff.assigned", "breached": "clock.breached",
		"deal_opened": "deal.opened", "deal_updated": "deal.updated", "deal_stage_changed": "deal.stage_changed", "deal_won": "deal.won", "deal_lost": "deal.lost",
	}
	for ledger, typ := range want {
		at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
		e, ok := outbox.FromLedger(tandem.Event{ID: 11, LeadID: 5, Type: ledger, OccurredAt: at, Actor: "user:rex@example.com",
			Reason: "r", AgreementVersion: 2, Changes: []tandem.FieldChange{{Field: "stage", From: "mql", To: "sal"}}, Detail: map[string]string{"clock": "accept"}})
		if !ok || e.Type != typ || e.Version != 1 || e.LeadID != 5 || e.LedgerID != 11 || !e.OccurredAt.Equal(at) {
			t.Errorf("FromLedger(%s) = %+v, %v; want type %s, version 1, lead 5, ledger 11", ledger, e, ok, typ)
			continue
		}
		wantData := `{"actor":"user:rex@example.com","reason":"r","agreement_version":2,"changes":[{"field":"stage","from":"mql","to":"sal"}],"detail":{"clock":"accept"}}`
		if string(e.Data) != wantData {
			t.Errorf("FromLedger(%s).Data = %s; want %s", ledger, e.Data, wantData)
		}
	}
	if e, ok := outbox.FromLedger(tandem.Event{Type: "unknown"}); ok {
		t.Errorf("FromLedger(unknown) = %+v, true; want false", e)
	}
	if n := len(outbox.Types()); n != len(want)+5 {
		t.Errorf("Types() has %d types; want the %d ledger ones and escalation, alert, agreement, action item created and done", n, len(want))
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"},  // é is 2 bytes
		{"aé", 3, "aé"}, // exactly
		{"日本", 4, "日"},  // 3 bytes each
		{"日本", 2, ""},
	} {
		if got := outbox.Cut(c.s, c.n); got != c.want {
			t.Errorf("Cut(%q, %d) = %q; want %q", c.s, c.n, got, c.want)
		}
	}
}

func FuzzCut(f *testing.F) {
	f.Add("SLA breach on lead 1: ééé", 20)
	f.Add("日本語", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || !utf8.ValidString(s) {
			t.Skip()
		}
		got := outbox.Cut(s, n)
		if len(got) > n && len(s) > n || !strings.HasPrefix(s, got) || !utf8.ValidString(got) {
			t.Fatalf("Cut(%q, %d) = %q; want a prefix of at most %d bytes, valid UTF-8", s, n, got, n)
		}
		// Longest: one more character would not fit.
		if len(got) < len(s) {
			_, size := utf8.DecodeRuneInString(s[len(got):])
			if len(got)+size <= n {
				t.Fatalf("Cut(%q, %d) = %q; a longer prefix fits", s, n, got)
			}
		}
	})
}

// TestEscalationNoticeZones: each notice shows its times in its own
// agreement's zone, however the zones before it were named (they are
// loaded once and kept), and in UTC when the name is not a zone.
func TestEscalationNoticeZones(t *testing.T) {
	d := outbox.Escalation{Clock: "accept", DueAt: time.Date(2026, 11, 23, 15, 10, 0, 0, time.UTC), Level: 1, Levels: 1}
	for _, c := range []struct{ zone, due string }{
		{"America/New_York", "Mon 23 Nov 10:10 EST"},
		{"Europe/Berlin", "Mon 23 Nov 16:10 CET"},
		{"America/New_York", "Mon 23 Nov 10:10 EST"},
		{"Nowhere/Atlantis", "Mon 23 Nov 15:10 UTC"},
		{"Nowhere/Atlantis", "Mon 23 Nov 15:10 UTC"},
		{"Asia/Tokyo", "Tue 24 Nov 00:10 JST"},
	} {
		d.TimeZone = c.zone
		want := "SLA breach on lead 42: accepting or rejecting the lead was due " + c.due
		if got := outbox.EscalationNotice(42, d).Subject; got != want {
			t.Errorf("EscalationNotice(42, zone %q).Subject = %q; want %q", c.zone, got, want)
		}
	}
}
