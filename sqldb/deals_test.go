package sqldb_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// moveTo moves a lead along stages by hand, failing the test on error.
func moveTo(t *testing.T, db *sqldb.DB, id int64, stages ...string) tandem.Lead {
	t.Helper()
	var l tandem.Lead
	for _, s := range stages {
		var err error
		if l, err = db.MoveLead(context.Background(), id, s, "qualified on a call", "user:rex@example.com"); err != nil {
			t.Fatalf("MoveLead(%d, %s) = %v", id, s, err)
		}
	}
	return l
}

// onlyDeal returns the lead's one deal.
func onlyDeal(t *testing.T, db *sqldb.DB, leadID int64) tandem.Deal {
	t.Helper()
	page, err := db.Deals(context.Background(), tandem.DealFilter{LeadID: leadID})
	if err != nil || len(page.Deals) != 1 {
		t.Fatalf("Deals(lead %d) = %+v, %v; want one deal", leadID, page, err)
	}
	return page.Deals[0]
}

// lastEvents returns the lead's last n events.
func lastEvents(t *testing.T, db *sqldb.DB, leadID int64, n int) []tandem.Event {
	t.Helper()
	evs, err := db.LeadEvents(context.Background(), leadID)
	if err != nil || len(evs) < n {
		t.Fatalf("LeadEvents(%d) = %d events, %v; want %d or more", leadID, len(evs), err, n)
	}
	return evs[len(evs)-n:]
}

// eventSummary keeps what the tests compare of an event.
type eventSummary struct {
	Type       string
	OccurredAt time.Time
	Actor      string
	Reason     string
	Changes    []tandem.FieldChange
	Detail     map[string]string
}

func summarize(evs []tandem.Event) []eventSummary {
	out := make([]eventSummary, len(evs))
	for i, e := range evs {
		out[i] = eventSummary{e.Type, e.OccurredAt, e.Actor, e.Reason, e.Changes, e.Detail}
	}
	return out
}

func verifyLedger(t *testing.T, db *sqldb.DB) {
	t.Helper()
	_, differ, err := db.VerifyLedger(context.Background(), func(id int64, diff string) { t.Errorf("lead %d: %s", id, diff) })
	if err != nil || differ != 0 {
		t.Errorf("VerifyLedger() = %d differ, %v; want 0", differ, err)
	}
	differ, err = db.VerifyStageCounts(context.Background(), func(diff string) { t.Error(diff) })
	if err != nil || differ != 0 {
		t.Errorf("VerifyStageCounts() = %d differ, %v; want 0", differ, err)
	}
}

// TestDealWon follows a lead from its hand-off to a won deal: entering
// opportunity opens the deal, winning it makes the lead a customer through
// a manual move that ends the hand-off, and a closed deal stays closed.
func TestDealWon(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a := w.mql(t, "a")
		w.clk.Set(ny(23, 11, 0))
		l := moveTo(t, w.db, a.ID, "sal", "sql", "opportunity")

		d := onlyDeal(t, w.db, a.ID)
		want := tandem.Deal{ID: d.ID, LeadID: a.ID, OwnerID: w.rex.ID, Stage: tandem.DealOpen, CreatedAt: ny(23, 11, 0),
			EngagedAt: a.CreatedAt, UpdatedAt: ny(23, 11, 0), PipelineStage: "qualification", StageChangedAt: ny(23, 11, 0)}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("the deal opened at opportunity (-want +got):\n%s", diff)
		}
		dealID := strconv.FormatInt(d.ID, 10)
		wantOpened := []eventSummary{
			{Type: tandem.EventStageChanged, OccurredAt: ny(23, 11, 0), Actor: "user:rex@example.com", Reason: "qualified on a call",
				Changes: []tandem.FieldChange{{Field: "stage", From: "sql", To: "opportunity"}}},
			{Type: tandem.EventDealOpened, OccurredAt: ny(23, 11, 0), Actor: "system", Reason: "entered opportunity", Detail: map[string]string{"deal": dealID, "stage": "qualification"}},
		}
		if diff := cmp.Diff(wantOpened, summarize(lastEvents(t, w.db, a.ID, 2)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("events of entering opportunity (-want +got):\n%s", diff)
		}
		if l.Stage != "opportunity" {
			t.Errorf("lead stage %q; want opportunity", l.Stage)
		}

		// Bad wins change nothing.
		for _, tt := range []struct {
			id, amount int64
			at         time.Time
			code       string
		}{
			{d.ID, -5, time.Time{}, tandem.EINVALID},
			{d.ID, 5, ny(30, 9, 0), tandem.EINVALID},
			{d.ID + 100, 5, time.Time{}, tandem.ENOTFOUND},
		} {
			if _, err := w.db.WinDeal(ctx, tt.id, tt.amount, tt.at, "user:rex@example.com"); tandem.ErrorCode(err) != tt.code {
				t.Errorf("WinDeal(%d, %d, %v) = %v; want %s", tt.id, tt.amount, tt.at, err, tt.code)
			}
		}

		// Only the lead's owner, a manager above, or an admin closes the
		// deal of a lead handed off to sales.
		if _, err := w.db.WinDealAs(ctx, d.ID, 5, time.Time{}, tokenOf(w.ria)); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("WinDealAs(ria, rex's lead) = %v; want forbidden", err)
		}
		if _, err := w.db.LoseDealAs(ctx, d.ID, "price", tokenOf(w.ria)); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("LoseDealAs(ria, rex's lead) = %v; want forbidden", err)
		}

		w.clk.Set(ny(24, 15, 0))
		won, err := w.db.WinDealAs(ctx, d.ID, 1250000, ny(24, 14, 0), tokenOf(w.rex))
		if err != nil {
			t.Fatalf("WinDealAs: %v", err)
		}
		if won.Stage != tandem.DealWon || won.AmountCents != 1250000 || !won.ClosedAt.Equal(ny(24, 14, 0)) {
			t.Errorf("WinDeal = %+v; want won for 1250000 at %v", won, ny(24, 14, 0))
		}
		if got, err := w.db.Deal(ctx, d.ID); err != nil || !cmp.Equal(got, won) {
			t.Errorf("Deal(%d) = %+v, %v; want %+v", d.ID, got, err, won)
		}
		wantWon := []eventSummary{
			{Type: tandem.EventDealWon, OccurredAt: ny(24, 14, 0), Actor: "user:rex@example.com",
				Detail: map[string]string{"deal": dealID, "amount_cents": "1250000", "closed_at": tandem.FormatTime(ny(24, 14, 0))}},
			{Type: tandem.EventStageChanged, OccurredAt: ny(24, 14, 0), Actor: "user:rex@example.com", Reason: "deal " + dealID + " won",
				Changes: []tandem.FieldChange{{Field: "stage", From: "opportunity", To: "customer"}}},
		}
		if diff := cmp.Diff(wantWon, summarize(lastEvents(t, w.db, a.ID, 2)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("events of the win (-want +got):\n%s", diff)
		}
		if l, _ := w.db.Lead(ctx, a.ID); l.Stage != "customer" {
			t.Errorf("lead after the win is %s; want customer", l.Stage)
		}
		hs, err := w.db.Handoffs(ctx, a.ID)
		if err != nil || len(hs) != 1 || hs[0].Open() || hs[0].EndReason != "moved to customer" {
			t.Errorf("Handoffs(%d) = %+v, %v; want the hand-off ended, moved to customer", a.ID, hs, err)
		}

		// A closed deal stays closed.
		if _, err := w.db.WinDeal(ctx, d.ID, 1, time.Time{}, "user:rex@example.com"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("WinDeal(won deal) = %v; want conflict", err)
		}
		if _, err := w.db.LoseDeal(ctx, d.ID, "price", "user:rex@example.com"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("LoseDeal(won deal) = %v; want conflict", err)
		}

		// A customer's lost upsell leaves it a customer.
		rs, err := w.db.ImportDeals(ctx, []tandem.DealInput{{Fields: map[string]string{"lead_source": "api", "lead_external_id": "a",
			"external_id": "upsell-1", "product": "add-on"}}}, sqldb.DealImportOptions{DefaultSource: "crm", Actor: "import:upsell.csv"})
		if err != nil || rs[0].Status != tandem.StatusCreated {
			t.Fatalf("ImportDeals(upsell) = %v, %v", statuses(rs), err)
		}
		lost, err := w.db.LoseDeal(ctx, rs[0].ID, "no_budget", "user:rex@example.com")
		if err != nil || lost.Stage != tandem.DealLost || lost.LostReason != "no_budget" || !lost.ClosedAt.Equal(ny(24, 15, 0)) {
			t.Errorf("LoseDeal(upsell) = %+v, %v; want lost now for no_budget", lost, err)
		}
		if l, _ := w.db.Lead(ctx, a.ID); l.Stage != "customer" {
			t.Errorf("lead after its upsell was lost is %s; want customer still", l.Stage)
		}
		verifyLedger(t, w.db)
	})
}

// TestDealLost loses a deal: the lead goes back to marketing through the
// agreement's rules for recycling, which ask for touches first.
func TestDealLost(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a := w.mql(t, "a")
		moveTo(t, w.db, a.ID, "sal", "sql", "opportunity")
		d := onlyDeal(t, w.db, a.ID)

		_, err := w.db.LoseDeal(ctx, d.ID, "Too expensive", "user:rex@example.com")
		if diff := cmp.Diff([]tandem.FieldError{{Field: "lost_reason", Message: `"Too expensive" is not a reason code: use lower-case letters, digits and _ (like no_budget), at most 64`}},
			tandem.ErrorFields(err)); diff != "" {
			t.Errorf("LoseDeal(a sentence) = %v; field errors (-want +got):\n%s", err, diff)
		}
		_, err = w.db.LoseDeal(ctx, d.ID, "price", "user:rex@example.com")
		if tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(tandem.ErrorMessage(err), "cannot follow it to recycled") ||
			!strings.Contains(tandem.ErrorMessage(err), "log 6 more") {
			t.Errorf("LoseDeal before six touches = %v; want a conflict asking for 6 more touches", err)
		}
		if got, _ := w.db.Deal(ctx, d.ID); got.Stage != tandem.DealOpen {
			t.Errorf("a refused loss left the deal %s; want open", got.Stage)
		}
		for i := range 6 {
			w.clk.Set(ny(23, 11, i))
			if _, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "email", Outcome: "sent"}, tokenOf(w.rex)); err != nil {
				t.Fatalf("LogTouch: %v", err)
			}
		}
		w.clk.Set(ny(23, 12, 0))
		lost, err := w.db.LoseDealAs(ctx, d.ID, "price", tokenOf(w.manu))
		if err != nil {
			t.Fatalf("LoseDealAs: %v", err)
		}
		if lost.Stage != tandem.DealLost || lost.LostReason != "price" || !lost.ClosedAt.Equal(ny(23, 12, 0)) {
			t.Errorf("LoseDeal = %+v; want lost for price now", lost)
		}
		evs := summarize(lastEvents(t, w.db, a.ID, 2))
		if evs[0].Type != tandem.EventDealLost || evs[0].Detail["reason"] != "price" ||
			evs[1].Reason != "deal "+strconv.FormatInt(d.ID, 10)+" lost: price" ||
			!cmp.Equal(evs[1].Changes, []tandem.FieldChange{{Field: "stage", From: "opportunity", To: "recycled"}}) {
			t.Errorf("events of the loss = %+v; want deal_lost, then a move to recycled for the reason", evs)
		}
		verifyLedger(t, w.db)
	})
}

// TestIntakeIntoOpportunity opens a deal for a lead that arrives in
// opportunity, once, before the lead's own row is written.
func TestIntakeIntoOpportunity(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		batch := []tandem.LeadInput{
			input("external_id", "o1", "company", "Acme", "stage", "opportunity", "created_at", "2026-10-01"),
			input("external_id", "o1", "title", "CFO"),
		}
		rs, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{DryRun: true})
		if err != nil || rs[0].Status != tandem.StatusCreated {
			t.Fatalf("IntakeLeads(dry run) = %v, %v", statuses(rs), err)
		}
		if page, err := db.Deals(ctx, tandem.DealFilter{}); err != nil || page.Total != 0 {
			t.Errorf("after a dry run Deals().Total = %d, %v; want 0", page.Total, err)
		}
		rs, err = db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil || rs[1].Err != nil {
			t.Fatalf("IntakeLeads = %v, %v", statuses(rs), err)
		}
		d := onlyDeal(t, db, rs[0].ID)
		created := time.Date(2026, 10, 1, 4, 0, 0, 0, time.UTC) // the day in the default agreement's zone, New York
		if d.Stage != tandem.DealOpen || !d.CreatedAt.Equal(created) || !d.EngagedAt.Equal(created) {
			t.Errorf("deal of a lead created in opportunity = %+v; want open, opened and engaged %v", d, created)
		}
		if _, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		onlyDeal(t, db, rs[0].ID)
		verifyLedger(t, db)
	})
}

// TestImportDeals imports closed and open deals of historic leads under a
// signed agreement: the leads follow their deals, dated by the deals' own
// dates, no clock starts, bad rows are rejected one by one, and a second
// import changes nothing.
func TestImportDeals(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		signDefault(t, db, string(agreement.Default()))
		clk.Advance(time.Hour)
		var leads []tandem.LeadInput
		for _, ext := range []string{"l1", "l2", "l3", "l4", "l5", "l6"} {
			in := input("external_id", ext, "email", ext+"@example.com", "score", "80", "created_at", "2018-03-08T00:00:00Z")
			in.Initial = map[string]string{"stage": "mql"}
			leads = append(leads, in)
		}
		rs, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{DefaultSource: "crm", Actor: "import:leads.csv"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		id := map[string]int64{}
		for i, r := range rs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			id[leads[i].Fields["external_id"]] = r.ID
		}
		// A lead Tandem took to opportunity has an open deal the import
		// takes over.
		moveTo(t, db, id["l6"], "opportunity")
		adopted := onlyDeal(t, db, id["l6"])

		deal := func(kv ...string) tandem.DealInput {
			in := tandem.DealInput{Fields: map[string]string{}, Initial: map[string]string{"stage": "won"}}
			for i := 0; i < len(kv); i += 2 {
				in.Fields[kv[i]] = kv[i+1]
			}
			return in
		}
		batch := []tandem.DealInput{
			deal("lead_external_id", "l1", "closed_at", "2018-03-06T11:41:36Z", "amount", "0.0", "attributes.lead_type", "online_medium"),
			deal("lead_external_id", "l2", "closed_at", "2018-04-10T10:00:00Z", "amount", "1234.5", "owner", "REX@example.com"),
			deal("lead_external_id", "l3", "stage", "lost", "closed_at", "2018-04-11T00:00:00Z", "lost_reason", "price"),
			deal("lead_external_id", "l4", "stage", "open", "engaged_at", "2018-03-09T00:00:00Z", "created_at", "2018-03-20T00:00:00Z"),
			deal("lead_external_id", "nope", "closed_at", "2018-04-10T10:00:00Z"),
			deal("lead_external_id", "l5", "closed_at", "2018-04-10T10:00:00Z", "owner", "ghost@example.com"),
			deal("lead_external_id", "l5", "amount", "12"),
			deal("lead_external_id", "l1", "stage", "lost", "lost_reason", "price", "closed_at", "2018-04-01T00:00:00Z"),
			deal("lead_external_id", "l6", "closed_at", "2018-05-01T00:00:00Z", "amount", "500"),
		}
		opts := sqldb.DealImportOptions{DefaultSource: "crm", Actor: "import:deals.csv"}
		first, err := db.ImportDeals(ctx, batch, opts)
		if err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}
		// The deal of a lead not found creates its lead (docs/deals.md).
		wantRejects := []string{
			`rejected: owner: no user with email "ghost@example.com": add the user first (tandem user add, or tandem import users)`,
			`rejected: closed_at: a won deal needs the date it was won`,
		}
		want := append([]string{"created", "created", "created", "created", "created"}, wantRejects...)
		want = append(want, "rejected: deal "+strconv.FormatInt(first[0].ID, 10)+
			" is won already (closed 2018-03-06T11:41:36Z): a closed deal does not reopen or change outcome", "updated")
		if diff := cmp.Diff(want, statuses(first)); diff != "" {
			t.Errorf("first import (-want +got):\n%s", diff)
		}
		for i, field := range map[int]string{5: "owner", 6: "closed_at"} {
			if fe := tandem.ErrorFields(first[i].Err); len(fe) != 1 || fe[0].Field != field {
				t.Errorf("row %d: field errors %v; want one on %s", i, fe, field)
			}
		}

		// The leads follow their deals, at the deals' dates; the deal won
		// before its lead's first contact moves the lead at its creation.
		stages := map[string]string{"l1": "customer", "l2": "customer", "l3": "recycled", "l4": "mql", "l5": "mql", "l6": "customer"}
		changedAt := map[string]time.Time{"l1": time.Date(2018, 3, 8, 0, 0, 0, 0, time.UTC), "l2": time.Date(2018, 4, 10, 10, 0, 0, 0, time.UTC),
			"l3": time.Date(2018, 4, 11, 0, 0, 0, 0, time.UTC), "l6": time.Date(2018, 5, 1, 0, 0, 0, 0, time.UTC)}
		for ext, stage := range stages {
			l, err := db.Lead(ctx, id[ext])
			if err != nil || l.Stage != stage {
				t.Errorf("lead %s = %s, %v; want %s", ext, l.Stage, err, stage)
			}
			if at, ok := changedAt[ext]; ok && ext != "l6" && !l.StageChangedAt.Equal(at) {
				t.Errorf("lead %s entered %s at %v; want %v", ext, stage, l.StageChangedAt, at)
			}
			// Historic leads start no clocks: none was handed off.
			if hs, err := db.Handoffs(ctx, id[ext]); err != nil || len(hs) != 0 {
				t.Errorf("Handoffs(%s) = %+v, %v; want none", ext, hs, err)
			}
		}
		d1 := onlyDeal(t, db, id["l1"])
		if !d1.ClosedBeforeEngaged() || !d1.ClosedAt.Equal(time.Date(2018, 3, 6, 11, 41, 36, 0, time.UTC)) || d1.Source != "crm" ||
			d1.ExternalID != "l1" || d1.Attributes["lead_type"] != "online_medium" {
			t.Errorf("deal of l1 = %+v; want the export's close date kept, flagged closed before engaged", d1)
		}
		d1ID := strconv.FormatInt(d1.ID, 10)
		wantL1 := []eventSummary{
			{Type: tandem.EventDealOpened, OccurredAt: changedAt["l1"], Actor: "import:deals.csv",
				Detail: map[string]string{"deal": d1ID, "source": "crm", "external_id": "l1"}},
			{Type: tandem.EventDealWon, OccurredAt: changedAt["l1"], Actor: "import:deals.csv",
				Detail: map[string]string{"deal": d1ID, "amount_cents": "0", "closed_at": "2018-03-06T11:41:36Z"}},
			{Type: tandem.EventStageChanged, OccurredAt: changedAt["l1"], Actor: "import:deals.csv", Reason: "deal " + d1ID + " won",
				Changes: []tandem.FieldChange{{Field: "stage", From: "mql", To: "customer"}}},
		}
		if diff := cmp.Diff(wantL1, summarize(lastEvents(t, db, id["l1"], 3)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("events of l1's deal (-want +got):\n%s", diff)
		}
		if d2 := onlyDeal(t, db, id["l2"]); d2.AmountCents != 123450 || d2.OwnerID == 0 {
			t.Errorf("deal of l2 = %+v; want 123450 cents, owned by rex", d2)
		}
		d4 := onlyDeal(t, db, id["l4"])
		if d4.Stage != tandem.DealOpen || !d4.EngagedAt.Equal(time.Date(2018, 3, 9, 0, 0, 0, 0, time.UTC)) ||
			!d4.CreatedAt.Equal(time.Date(2018, 3, 20, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("deal of l4 = %+v; want open, engaged and opened as imported", d4)
		}
		if d6 := onlyDeal(t, db, id["l6"]); d6.ID != adopted.ID || d6.Stage != tandem.DealWon || d6.ExternalID != "l6" || d6.AmountCents != 50000 {
			t.Errorf("deal of l6 = %+v; want Tandem's deal %d taken over and won", d6, adopted.ID)
		}

		// Again: nothing changes, the same rows are rejected.
		again, err := db.ImportDeals(ctx, batch, opts)
		if err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}
		want = append([]string{"unchanged", "unchanged", "unchanged", "unchanged", "unchanged"}, wantRejects...)
		want = append(want, statuses(first)[7], "unchanged")
		if diff := cmp.Diff(want, statuses(again)); diff != "" {
			t.Errorf("second import (-want +got):\n%s", diff)
		}
		for i := range again {
			if again[i].ID != first[i].ID {
				t.Errorf("row %d: deal %d, then %d; want the same", i, first[i].ID, again[i].ID)
			}
		}

		// A later export closes the open deal and corrects an amount.
		later := []tandem.DealInput{
			deal("lead_external_id", "l4", "stage", "won", "closed_at", "2018-06-01T00:00:00Z", "amount", "70"),
			deal("lead_external_id", "l2", "closed_at", "2018-04-10T10:00:00Z", "amount", "1300", "account", "seller-2"),
		}
		rs, err = db.ImportDeals(ctx, later, opts)
		if diff := cmp.Diff([]string{"updated", "updated"}, statuses(rs)); err != nil || diff != "" {
			t.Errorf("later import = %v (-want +got):\n%s", err, diff)
		}
		if l, _ := db.Lead(ctx, id["l4"]); l.Stage != "customer" {
			t.Errorf("lead l4 after its deal was won is %s; want customer", l.Stage)
		}
		evs := lastEvents(t, db, id["l2"], 1)
		if diff := cmp.Diff(map[string]string{"deal": strconv.FormatInt(rs[1].ID, 10), "amount": "1300.00", "account": "seller-2"},
			evs[0].Detail); evs[0].Type != tandem.EventDealUpdated || diff != "" {
			t.Errorf("event of the correction = %+v; detail (-want +got):\n%s", evs[0], diff)
		}

		// A dry run reports and writes nothing.
		dry, err := db.ImportDeals(ctx, []tandem.DealInput{deal("lead_external_id", "l5", "closed_at", "2018-04-10T10:00:00Z")},
			sqldb.DealImportOptions{DefaultSource: "crm", DryRun: true})
		if err != nil || dry[0].Status != tandem.StatusCreated || dry[0].ID != 0 {
			t.Errorf("dry run = %v, %+v; want created, no id", err, dry)
		}
		if page, _ := db.Deals(ctx, tandem.DealFilter{LeadID: id["l5"]}); page.Total != 0 {
			t.Errorf("after a dry run lead l5 has %d deals; want 0", page.Total)
		}
		verifyLedger(t, db)
	})
}

func TestDealsFilterAndPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		var leads []tandem.LeadInput
		var deals []tandem.DealInput
		for i, closed := range []string{"2018-01-31T23:59:59Z", "2018-02-01T00:00:00Z", "2018-02-15T00:00:00Z", "2018-03-01T00:00:00Z", ""} {
			ext := string(rune('a' + i))
			leads = append(leads, input("external_id", ext, "company", "Co "+ext, "created_at", "2018-01-01"))
			in := tandem.DealInput{Fields: map[string]string{"lead_external_id": ext, "closed_at": closed, "stage": "won"}}
			if closed == "" {
				in.Fields["stage"] = "open"
			}
			deals = append(deals, in)
		}
		lrs, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{DefaultSource: "crm"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		rs, err := db.ImportDeals(ctx, deals, sqldb.DealImportOptions{DefaultSource: "crm"})
		if err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}
		ids := make([]int64, len(rs))
		for i, r := range rs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			ids[i] = r.ID
		}
		feb := func(f tandem.DealFilter) tandem.DealFilter {
			f.ClosedFrom, f.ClosedTo = time.Date(2018, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)
			return f
		}
		for _, tt := range []struct {
			name string
			f    tandem.DealFilter
			want []int64
		}{
			{"all", tandem.DealFilter{}, ids},
			{"won", tandem.DealFilter{Stage: tandem.DealWon}, ids[:4]},
			{"open", tandem.DealFilter{Stage: tandem.DealOpen}, ids[4:]},
			{"closed in February", feb(tandem.DealFilter{}), ids[1:3]},
			{"won in February", feb(tandem.DealFilter{Stage: tandem.DealWon}), ids[1:3]},
			{"closed from March", tandem.DealFilter{ClosedFrom: time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)}, ids[3:4]},
			{"of one lead", tandem.DealFilter{LeadID: lrs[2].ID}, ids[2:3]},
		} {
			page, err := db.Deals(ctx, tt.f)
			var got []int64
			for _, d := range page.Deals {
				got = append(got, d.ID)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); err != nil || diff != "" || page.Total != len(tt.want) {
				t.Errorf("Deals(%s) = total %d, %v (-want +got):\n%s", tt.name, page.Total, err, diff)
			}
		}
		// Paging: two at a time, with the total on every page.
		var got []int64
		f := tandem.DealFilter{Limit: 2}
		for pages := 0; ; pages++ {
			page, err := db.Deals(ctx, f)
			if err != nil || page.Total != len(ids) || pages > len(ids) {
				t.Fatalf("Deals(page %d) = total %d, %v", pages, page.Total, err)
			}
			for _, d := range page.Deals {
				got = append(got, d.ID)
			}
			if page.Next == 0 {
				break
			}
			f.After = page.Next
		}
		if diff := cmp.Diff(ids, got); diff != "" {
			t.Errorf("paged deals (-want +got):\n%s", diff)
		}
		for _, bad := range []tandem.DealFilter{{Stage: "closed"}, {Limit: 1001}, {LeadID: -1},
			{ClosedFrom: time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC), ClosedTo: time.Date(2018, 2, 1, 0, 0, 0, 0, time.UTC)}} {
			if _, err := db.Deals(ctx, bad); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("Deals(%+v) = %v; want invalid", bad, err)
			}
		}
		if _, err := db.Deal(ctx, 9999); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("Deal(9999) = %v; want not found", err)
		}
	})
}
