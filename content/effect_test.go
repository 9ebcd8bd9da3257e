package content

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem/attribution"
)

// nov returns a time on a day of November 2026 at hour h, UTC.
func nov(day, h int) time.Time { return time.Date(2026, 11, day, h, 0, 0, 0, time.UTC) }

// effectCase is a small, hand-computed world: the comments give each
// expected figure's arithmetic.
func effectCase(model attribution.Model) EffectInput {
	return EffectInput{
		From: nov(1, 0), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Model: model,
		Items: []Item{
			{Code: "a", Kind: KindEmail, Title: "A", Status: StatusLive, Version: 2},
			{Code: "b", Kind: KindLink, Title: "B", Status: StatusLive, Version: 1},
			{Code: "c", Kind: KindCallScript, Title: "C", Status: StatusLive, Version: 1},
			{Code: "d", Kind: KindCallScript, Title: "D", Status: StatusDraft, Version: 1},
			{Code: "e", Kind: KindCallScript, Title: "E", Status: StatusRetired, Version: 1},
		},
		UsesEver: map[string]int{"a": 5, "e": 1},
		Uses: []Use{
			{Code: "a", Version: 1, LeadID: 1, UserID: 10, User: "Rita", At: nov(2, 10)},
			{Code: "a", Version: 1, LeadID: 1, UserID: 10, User: "Rita", At: nov(3, 10)},
			{Code: "a", Version: 2, LeadID: 2, UserID: 11, User: "Sam", At: nov(5, 10)},
			{Code: "a", Version: 2, LeadID: 3, UserID: 10, User: "Rita", At: nov(6, 10)},
		},
		Clicks:  []Click{{Code: "b", Version: 1, LeadID: 2, At: nov(6, 12)}, {Code: "b", Version: 1, LeadID: 3, At: nov(7, 12)}},
		Ratings: []Rating{{Code: "a", Version: 2, Useful: true}, {Code: "a", Version: 1, Useful: false}, {Code: "a", Version: 2, Useful: true}},
		Touches: []SalesTouch{
			{LeadID: 1, At: nov(1, 9), Outcome: "connected"}, // before the first use: not after it
			{LeadID: 1, At: nov(4, 9), Outcome: "replied"},
			{LeadID: 2, At: nov(5, 10), Outcome: "connected"}, // at the use: counts
			{LeadID: 3, At: nov(8, 10), Outcome: "sent"},
		},
		Accepted: map[int64]bool{1: true, 2: true},
		Entered: map[int64]map[string]time.Time{
			1: {"sql": time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)}, // before: not after the use
			2: {"sql": nov(7, 0), "opportunity": nov(8, 0), "customer": nov(20, 0)},
		},
		Deals:     []WonDeal{{LeadID: 2, AmountCents: 100000, ClosedAt: nov(20, 0)}},
		Marketing: map[int64][]attribution.Touch{2: {{Campaign: "webinar", At: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}}},
		Content: map[int64][]ContentTouch{2: {{Code: "a", Version: 2, At: nov(5, 10)}, {Code: "b", Version: 1, At: nov(6, 12)},
			{Code: "a", Version: 2, At: nov(21, 0)}}}, // after the close: not counted
	}
}

func TestMeasure(t *testing.T) {
	e := Measure(effectCase(attribution.UShaped))
	byCode := map[string]Line{}
	for _, l := range e.Lines {
		byCode[l.Code] = l
	}
	a := byCode["a"]
	// a: 4 uses (Rita 3, Sam 1), leads 1, 2, 3. Lead 1 replied after its
	// first use (Nov 4 >= Nov 2) but connected before it; lead 2
	// connected at its use; lead 3 neither. Accepted: leads 1 and 2. SQL,
	// opportunity, customer after the use: lead 2 only. Revenue, u-shaped
	// over lead 2's counted touches (webinar, a v2, b v1): 40% 40000 to
	// the webinar, 20% 20000 to a v2, 40% 40000 to b v1. Ratings: 2
	// useful (v2), 1 not (v1).
	wantA := Figures{Uses: 4, Users: []UserCount{{10, "Rita", 3}, {11, "Sam", 1}}, Leads: 3, Connected: 1, Replied: 1,
		Accepted: 2, SQL: 1, Opportunity: 1, Customer: 1, ConnectRate: 1.0 / 3, ReplyRate: 1.0 / 3, AcceptRate: 2.0 / 3,
		SQLRate: 1.0 / 3, OpportunityRate: 1.0 / 3, CustomerRate: 1.0 / 3, RevenueCents: 20000, Useful: 2, NotUseful: 1}
	if d := cmp.Diff(wantA, a.Figures); d != "" {
		t.Errorf("Measure: item a (-want +got):\n%s", d)
	}
	// a v1: 2 uses by Rita on lead 1: replied after, accepted, nothing
	// else; 1 not useful. a v2: leads 2 and 3, Sam and Rita once each;
	// lead 2 connected, accepted, reached sql, opportunity and customer.
	wantV := []VersionLine{
		{1, Figures{Uses: 2, Users: []UserCount{{10, "Rita", 2}}, Leads: 1, Replied: 1, Accepted: 1, ReplyRate: 1, AcceptRate: 1, NotUseful: 1}},
		{2, Figures{Uses: 2, Users: []UserCount{{10, "Rita", 1}, {11, "Sam", 1}}, Leads: 2, Connected: 1, Accepted: 1, SQL: 1,
			Opportunity: 1, Customer: 1, ConnectRate: 0.5, AcceptRate: 0.5, SQLRate: 0.5, OpportunityRate: 0.5, CustomerRate: 0.5,
			RevenueCents: 20000, Useful: 2}},
	}
	if d := cmp.Diff(wantV, a.Versions); d != "" {
		t.Errorf("Measure: versions of a (-want +got):\n%s", d)
	}
	// b: no uses, 2 clicks, 40000 of revenue (the last counted touch).
	b := byCode["b"]
	if b.Uses != 0 || b.Clicks != 2 || b.RevenueCents != 40000 || b.Leads != 0 {
		t.Errorf("Measure: b = %+v; want 0 uses, 2 clicks, 40000 cents", b.Figures)
	}
	// Live items not used in the period: b and c. Never used (not drafts):
	// b, c (e was used once, d is a draft).
	if d := cmp.Diff([]string{"b", "c"}, e.Unused); d != "" {
		t.Errorf("Measure: unused (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"b", "c"}, e.NeverUsed); d != "" {
		t.Errorf("Measure: never used (-want +got):\n%s", d)
	}
	// Linear: 100000 over 3 counted touches is 33333 each, the cent left
	// over to the first (the webinar): a v2 33333, b 33333.
	lin := Measure(effectCase(attribution.Linear))
	for _, l := range lin.Lines {
		want := map[string]int64{"a": 33333, "b": 33333}[l.Code]
		if l.RevenueCents != want {
			t.Errorf("Measure(linear): %s revenue = %d; want %d", l.Code, l.RevenueCents, want)
		}
	}
	// Last touch: all to b.
	last := Measure(effectCase(attribution.LastTouch))
	for _, l := range last.Lines {
		want := map[string]int64{"b": 100000}[l.Code]
		if l.RevenueCents != want {
			t.Errorf("Measure(last touch): %s revenue = %d; want %d", l.Code, l.RevenueCents, want)
		}
	}
}

func TestMeasureEmpty(t *testing.T) {
	e := Measure(EffectInput{Items: []Item{{Code: "x", Status: StatusLive}}})
	if len(e.Lines) != 1 || e.Lines[0].Leads != 0 || e.Lines[0].ConnectRate != 0 || !e.Lines[0].NeverUsed {
		t.Errorf("Measure(no uses) = %+v", e)
	}
}
