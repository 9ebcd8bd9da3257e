package sqldb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func open(t *testing.T, b sqldbtest.Backend) (*sqldb.DB, *clock.Fake) {
	return openB(t, b)
}

func openB(t testing.TB, b sqldbtest.Backend) (*sqldb.DB, *clock.Fake) {
	t.Helper()
	return openChannels(t, b, nil)
}

// openChannels opens the database with the outbox writing notifications
// for the channels chs besides the in-app inbox.
func openChannels(t testing.TB, b sqldbtest.Backend, chs []notify.Channel) (*sqldb.DB, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	db, err := sqldb.Open(context.Background(), b.DSN, sqldb.Options{Clock: clk, Channels: notify.Routes(chs)})
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

func input(kv ...string) tandem.LeadInput {
	in := tandem.LeadInput{Fields: map[string]string{}}
	for i := 0; i < len(kv); i += 2 {
		in.Fields[kv[i]] = kv[i+1]
	}
	return in
}

func statuses(rs []sqldb.IntakeResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Status
		if r.Err != nil {
			out[i] += ": " + r.Err.Error()
		}
	}
	return out
}

func TestIntakeIsIdempotent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		batch := []tandem.LeadInput{
			input("external_id", "a1", "email", "ana@example.com", "origin", "social", "score", "40"),
			input("external_id", "a2", "email", "bo@example.com", "origin", "email", "attributes.landing_page_id", "lp-7"),
			input("email", "cy@example.com"), // no external id: not idempotent, always created
		}
		opts := sqldb.IntakeOptions{DefaultSource: "web", Actor: "token:test"}
		first, err := db.IntakeLeads(ctx, batch, opts)
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if diff := cmp.Diff([]string{"created", "created", "created"}, statuses(first)); diff != "" {
			t.Errorf("first intake statuses (-want +got):\n%s", diff)
		}
		second, err := db.IntakeLeads(ctx, batch[:2], opts)
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if diff := cmp.Diff([]string{"unchanged", "unchanged"}, statuses(second)); diff != "" {
			t.Errorf("second intake statuses (-want +got):\n%s", diff)
		}
		for i := range second {
			if second[i].ID != first[i].ID {
				t.Errorf("second intake item %d: id %d; want %d", i, second[i].ID, first[i].ID)
			}
		}
		page, err := db.Leads(ctx, tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		if page.Total != 3 {
			t.Errorf("Leads().Total = %d; want 3", page.Total)
		}
		l, err := db.Lead(ctx, first[1].ID)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		want := tandem.Lead{ID: first[1].ID, Source: "web", ExternalID: "a2", Email: "bo@example.com", Origin: "email",
			Stage: "lead", Attributes: map[string]string{"landing_page_id": "lp-7"},
			CreatedAt: epoch, UpdatedAt: epoch, StageChangedAt: epoch, Version: 1}
		if diff := cmp.Diff(want, l); diff != "" {
			t.Errorf("Lead(%d) (-want +got):\n%s", first[1].ID, diff)
		}
	})
}

func TestIntakeRejectsBadItemsAndKeepsGoodOnes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{
			input("external_id", "ok1", "email", "ok@example.com"),
			input("external_id", "bad1", "email", "not-an-email", "score", "high"),
			input("external_id", "bad2", "colour", "blue"),
			input("external_id", "bad3", "stage", "won"),
			input("external_id", "bad4", "created_at", "yesterday"),
			input("external_id", "ok2", "company", "Acme"),
			input("external_id", "bad5", "origin", strings.Repeat("渠道", 500)), // over an index row on PostgreSQL
			input("external_id", "bad\x00", "email", "nul@example.com"),
		}, sqldb.IntakeOptions{Actor: "test"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		want := []string{
			"created",
			`rejected: email: "not-an-email" is not an email address; score: "high" is not a whole number`,
			"rejected: colour: no such lead field",
			`rejected: stage: no stage "won" in the agreement`,
			`rejected: created_at: "yesterday" is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)`,
			"created",
			"rejected: origin: longer than 255 bytes",
			"rejected: external_id: contains a NUL byte",
		}
		if diff := cmp.Diff(want, statuses(rs)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		page, err := db.Leads(ctx, tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		if page.Total != 2 {
			t.Errorf("Leads().Total = %d; want 2", page.Total)
		}
	})
}

func TestIntakeUpdatesAndRecordsChanges(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		opts := sqldb.IntakeOptions{DefaultSource: "crm", Actor: "import:leads.csv"}
		// Imported history keeps its own date.
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "x", "email", "old@example.com", "created_at", "2017-06-14")}, opts)
		if err != nil || rs[0].Err != nil {
			t.Fatal(err, rs)
		}
		id := rs[0].ID
		clk.Advance(time.Hour)
		// The same key twice in one batch: the second sees the first.
		rs, err = db.IntakeLeads(ctx, []tandem.LeadInput{
			input("external_id", "x", "email", "new@example.com"),
			input("external_id", "x", "company", "Acme", "email", "new@example.com"),
		}, opts)
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if diff := cmp.Diff([]string{"updated", "updated"}, statuses(rs)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		events, err := db.LeadEvents(ctx, id)
		if err != nil {
			t.Fatalf("LeadEvents: %v", err)
		}
		type ev struct {
			Type       string
			OccurredAt time.Time
			Changes    []tandem.FieldChange
		}
		var got []ev
		for _, e := range events {
			got = append(got, ev{e.Type, e.OccurredAt, e.Changes})
			if e.RecordedAt.IsZero() || e.Actor != "import:leads.csv" {
				t.Errorf("event %d: recorded %v by %q", e.ID, e.RecordedAt, e.Actor)
			}
		}
		// The date is its day in the default agreement's zone: midnight
		// in New York.
		hist := time.Date(2017, 6, 14, 4, 0, 0, 0, time.UTC)
		want := []ev{
			{"created", hist, []tandem.FieldChange{
				{Field: "source", To: "crm"}, {Field: "external_id", To: "x"}, {Field: "email", To: "old@example.com"},
				{Field: "stage", To: "lead"}, {Field: "created_at", To: "2017-06-14T04:00:00Z"}}},
			{"updated", epoch.Add(time.Hour), []tandem.FieldChange{{Field: "email", From: "old@example.com", To: "new@example.com"}}},
			{"updated", epoch.Add(time.Hour), []tandem.FieldChange{{Field: "company", To: "Acme"}}},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		l, err := db.Lead(ctx, id)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		replayed, err := tandem.Replay(events)
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if diff := cmp.Diff(l, replayed); diff != "" {
			t.Errorf("Replay(events) differs from the stored lead (-stored +replayed):\n%s", diff)
		}
		if old, ok, _ := tandem.AsOf(events, epoch); !ok || old.Email != "old@example.com" || old.Company != "" {
			t.Errorf("AsOf(events, %v) = %+v, %v; want the lead before the update", epoch, old, ok)
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "d1")}, sqldb.IntakeOptions{DryRun: true})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if rs[0].Status != "created" || rs[0].ID != 0 {
			t.Errorf("dry run result = %+v; want created with no id", rs[0])
		}
		if page, _ := db.Leads(ctx, tandem.LeadFilter{}); page.Total != 0 {
			t.Errorf("after a dry run Leads().Total = %d; want 0", page.Total)
		}
	})
}

func TestLeadsFilterAndPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		var batch []tandem.LeadInput
		origins := []string{"social", "email", "paid_search"}
		for i := range 25 {
			batch = append(batch, input("external_id", fmt.Sprint(i), "origin", origins[i%3],
				"score", fmt.Sprint(i*4), "attributes.lp", fmt.Sprint("lp", i%2), "created_at", epoch.AddDate(0, 0, -i).Format("2006-01-02")))
		}
		if _, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		min := 40
		tests := []struct {
			f    tandem.LeadFilter
			want int
		}{
			{tandem.LeadFilter{Equal: map[string]string{"origin": "social"}}, 9},
			{tandem.LeadFilter{Equal: map[string]string{"origin": "social", "stage": "lead"}}, 9},
			{tandem.LeadFilter{Equal: map[string]string{"origin": "social", "stage": "mql"}}, 0},
			{tandem.LeadFilter{Equal: map[string]string{"attributes.lp": "lp1"}}, 12},
			{tandem.LeadFilter{Equal: map[string]string{"score": "8"}}, 1},
			{tandem.LeadFilter{ScoreMin: &min}, 15},
			{tandem.LeadFilter{CreatedFrom: epoch.AddDate(0, 0, -4)}, 4}, // epoch is 09:00; the dates are midnights
		}
		for _, tt := range tests {
			page, err := db.Leads(ctx, tt.f)
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			if page.Total != tt.want || len(page.Leads) != tt.want {
				t.Errorf("Leads(%+v) = %d leads, total %d; want %d", tt.f, len(page.Leads), page.Total, tt.want)
			}
		}
		// Walk the pages with the cursor.
		var ids []int64
		f := tandem.LeadFilter{Limit: 10}
		for {
			page, err := db.Leads(ctx, f)
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			if page.Total != 25 {
				t.Errorf("page total = %d; want 25", page.Total)
			}
			for _, l := range page.Leads {
				ids = append(ids, l.ID)
			}
			if page.Next == 0 {
				break
			}
			f.After = page.Next
		}
		if len(ids) != 25 {
			t.Errorf("paging returned %d leads; want 25", len(ids))
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("paging returned ids out of order: %v", ids)
			}
		}
		_, err := db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"colour": "x", "score": "many"}})
		if got, want := tandem.ErrorMessage(err), `colour: no such lead field; score: "many" is not a whole number`; got != want {
			t.Errorf("Leads(bad filter) error = %q; want %q", got, want)
		}
	})
}

func signDefault(t testing.TB, db *sqldb.DB, body string) tandem.AgreementVersion {
	t.Helper()
	ctx := context.Background()
	// Signing needs someone in every role the escalation notifies.
	var boss int64
	for _, u := range []tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead}, {Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "manu@example.com", Role: tandem.RoleSalesManager}, {Email: "rex@example.com", Role: tandem.RoleSalesRep}} {
		if got, err := db.UserByEmail(ctx, u.Email); err == nil {
			boss = got.ID
			continue
		}
		if u.Role == tandem.RoleSalesManager || u.Role == tandem.RoleSalesRep {
			u.ManagerID = boss
		}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		boss = u.ID
	}
	return tandemtest.Sign(t, db, body, "mia@example.com", "sam@example.com")
}

func TestAgreementSigningPutsRulesInForce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		if err := db.CreateUser(ctx, &tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		v, created, err := db.ProposeAgreement(ctx, "agreement.yaml", string(agreement.Default()), "admin")
		if err != nil || !created {
			t.Fatalf("ProposeAgreement(default) = %v, %v; want a new version", created, err)
		}
		if _, err := db.SignAgreement(ctx, v.Version, "rex@example.com"); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("a rep signing: error %v; want forbidden", err)
		}
		if _, err := db.AgreementInForce(ctx, clk.Now()); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("AgreementInForce before signatures: %v; want not_found", err)
		}
		hot := input("external_id", "h1", "email", "hot@example.com", "score", "95")
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{hot}, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if l, _ := db.Lead(ctx, rs[0].ID); l.Stage != "lead" {
			t.Errorf("before signing, a high-score lead is %s; want lead (no rules in force)", l.Stage)
		}
		clk.Advance(time.Minute)
		v = signDefault(t, db, string(agreement.Default()))
		if v.InForceFrom.IsZero() || len(v.Signatures) != 2 {
			t.Fatalf("after two signatures: %+v; want in force", v)
		}
		clk.Advance(time.Minute)
		rs, err = db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "h2", "email", "h2@example.com", "score", "95")}, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatal(err, rs)
		}
		l, err := db.Lead(ctx, rs[0].ID)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		if l.Stage != "mql" {
			t.Errorf("under the signed default a score-95 lead is %s; want mql", l.Stage)
		}
		events, _ := db.LeadEvents(ctx, l.ID)
		// Entering mql hands the lead to sales: routed to the only rep.
		if a := events[len(events)-1]; a.Type != tandem.EventAssigned || l.OwnerID != 1 || a.Actor != "system" {
			t.Errorf("last event = %+v, owner %d; want the lead assigned to rex (1) by routing", a, l.OwnerID)
		}
		last := events[len(events)-2]
		if last.Type != tandem.EventStageChanged || last.Actor != "rule" || !strings.HasPrefix(last.Rule, "mql:") || last.AgreementVersion != v.Version {
			t.Errorf("last event = %+v; want a stage change to mql by the mql rule of version %d", last, v.Version)
		}
		// A change to the earlier lead applies the rules too.
		if _, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "h1", "company", "Hot Co")}, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if l, _ := db.Lead(ctx, rs[0].ID-1); l.Stage != "mql" {
			t.Errorf("after an update under the agreement, lead h1 is %s; want mql", l.Stage)
		}
		// Manual moves.
		if _, err := db.MoveLead(ctx, l.ID, "customer", "", "user:sam@example.com"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("move without a reason: %v; want invalid", err)
		}
		if _, err := db.MoveLead(ctx, l.ID, "customer", "signed the contract", "user:sam@example.com"); err != nil {
			t.Fatalf("MoveLead: %v", err)
		}
		_, err = db.MoveLead(ctx, l.ID, "mql", "re-qualify", "user:sam@example.com")
		if tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(tandem.ErrorMessage(err), "customer") {
			t.Errorf("customer → mql: %v; want a conflict that says why", err)
		}
		if _, err := db.MoveLead(ctx, 999999, "mql", "x", "u"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("move of a missing lead: %v; want not_found", err)
		}
		// A later, identical proposal is the same version; an older version cannot be signed.
		again, created, err := db.ProposeAgreement(ctx, "agreement.yaml", string(agreement.Default()), "admin")
		if err != nil || again.Version != v.Version || created {
			t.Errorf("re-proposing the same body = version %d, created %v, %v; want version %d, not created", again.Version, created, err, v.Version)
		}
		if _, _, err := db.ProposeAgreement(ctx, "broken.yaml", "format: 1\nstages: nope\n", "admin"); tandem.ErrorCode(err) != tandem.EINVALID ||
			!strings.Contains(tandem.ErrorMessage(err), "broken.yaml:") {
			t.Errorf("proposing a broken file: %v; want invalid with positions", err)
		}
	})
}

func TestLedgerIsAppendOnly(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		if _, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "1")}, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		for _, q := range []string{`UPDATE events SET actor = 'someone else'`, `DELETE FROM events`} {
			if err := db.ExecForTest(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: error %v; want the ledger to refuse", q, err)
			}
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		u := tandem.User{Email: " Ana@Example.com ", Role: tandem.RoleAdmin}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if err := db.CreateUser(ctx, &tandem.User{Email: "ana@example.com", Role: tandem.RoleAdmin}); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("duplicate user: %v; want conflict", err)
		}
		err := db.CreateUser(ctx, &tandem.User{Email: "nope", Role: "boss"})
		if got := tandem.ErrorMessage(err); !strings.Contains(got, `email: "nope" is not an email address`) || !strings.Contains(got, `role: "boss" is not a role`) {
			t.Errorf("bad user: %q", got)
		}
		got, err := db.UserByEmail(ctx, "ANA@example.com")
		if err != nil || got.ID != u.ID {
			t.Errorf("UserByEmail = %+v, %v; want %+v", got, err, u)
		}
		tok, secret, err := db.CreateToken(ctx, "zapier", tandem.RoleMarketing)
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if !strings.HasPrefix(secret, "tdm_") || len(secret) < 30 {
			t.Errorf("secret %q looks weak", secret)
		}
		back, err := db.Authenticate(ctx, secret)
		if err != nil || back.ID != tok.ID || back.Role != tandem.RoleMarketing {
			t.Errorf("Authenticate = %+v, %v; want %+v", back, err, tok)
		}
		if _, err := db.Authenticate(ctx, secret+"x"); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("Authenticate(wrong) = %v; want unauthorized", err)
		}
		if _, _, err := db.CreateToken(ctx, "zapier", tandem.RoleAdmin); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("duplicate token name: %v; want conflict", err)
		}
	})
}

// TestReplayGivesStoredState is a property test: over random histories of
// intake, updates and moves, replaying each lead's ledger gives exactly the
// stored lead, and so does rebuilding it as of now.
func TestReplayGivesStoredState(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		signDefault(t, db, string(agreement.Default()))
		for seed := range uint64(4) {
			r := rand.New(rand.NewPCG(seed, 7))
			fields := []string{"email", "company", "country", "segment", "origin", "campaign", "score", "utm_source", "attributes.tier", "attributes.size", "stage"}
			values := map[string][]string{
				"email":   {"a@x.io", "b@y.io", ""},
				"score":   {"0", "10", "59", "60", "61", "95", "-3"},
				"stage":   {"lead", "mql", "sal", "sql", "opportunity", "customer", "recycled", "disqualified", ""},
				"country": {"US", "BR", "DE"},
			}
			for range 40 {
				var batch []tandem.LeadInput
				for range 1 + r.IntN(20) {
					in := input("external_id", fmt.Sprint(seed, "-", r.IntN(30)))
					for range r.IntN(5) {
						f := fields[r.IntN(len(fields))]
						vs := values[f]
						if vs == nil {
							vs = []string{"v1", "v2", "v3", ""}
						}
						in.Fields[f] = vs[r.IntN(len(vs))]
					}
					if r.IntN(4) == 0 {
						in.Fields["created_at"] = epoch.AddDate(-1, 0, -r.IntN(300)).Format(time.RFC3339)
					}
					batch = append(batch, in)
				}
				if _, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{Actor: "prop"}); err != nil {
					t.Fatalf("IntakeLeads: %v", err)
				}
				if r.IntN(3) == 0 {
					page, _ := db.Leads(ctx, tandem.LeadFilter{Limit: 1000})
					if len(page.Leads) > 0 {
						l := page.Leads[r.IntN(len(page.Leads))]
						stages := values["stage"]
						db.MoveLead(ctx, l.ID, stages[r.IntN(len(stages)-1)], "random move", "prop") // refusals are fine
					}
				}
				clk.Advance(time.Duration(r.IntN(90)) * time.Minute)
			}
		}
		page, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1000})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		if len(page.Leads) < 50 {
			t.Fatalf("only %d leads: the history is too thin to test", len(page.Leads))
		}
		moved := 0
		for _, l := range page.Leads {
			events, err := db.LeadEvents(ctx, l.ID)
			if err != nil {
				t.Fatalf("LeadEvents: %v", err)
			}
			if len(events) > 1 {
				moved++
			}
			got, err := tandem.Replay(events)
			if err != nil {
				t.Fatalf("Replay(lead %d): %v", l.ID, err)
			}
			if diff := cmp.Diff(l, got); diff != "" {
				t.Fatalf("Replay(lead %d) differs from the stored row (-stored +replayed):\n%s", l.ID, diff)
			}
			asOf, ok, err := tandem.AsOf(events, clk.Now())
			if err != nil || !ok {
				t.Fatalf("AsOf(lead %d, now) = %v, %v", l.ID, ok, err)
			}
			if diff := cmp.Diff(l, asOf); diff != "" {
				t.Fatalf("AsOf(lead %d, now) differs from the stored row (-stored +rebuilt):\n%s", l.ID, diff)
			}
		}
		if moved < 20 {
			t.Errorf("only %d leads have more than one event: the history is too thin", moved)
		}
	})
}

// TestIntakeSameNewLeadTwiceInABatch checks that a batch naming a new lead
// twice creates it once, applies the second input to it, and reports the
// same id for both; a dry run reports no id for either.
func TestIntakeSameNewLeadTwiceInABatch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		batch := []tandem.LeadInput{
			input("external_id", "n1", "email", "n1@example.com"),
			input("external_id", "n1", "company", "Acme"),
			input("external_id", "n1", "company", "Acme"),
			input("external_id", "n2"),
		}
		dry, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{DryRun: true})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		for i, r := range dry {
			if r.ID != 0 {
				t.Errorf("dry run result %d = %+v; want no id", i, r)
			}
		}
		rs, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		if diff := cmp.Diff([]string{"created", "updated", "unchanged", "created"}, statuses(rs)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if rs[0].ID == 0 || rs[1].ID != rs[0].ID || rs[2].ID != rs[0].ID || rs[3].ID == rs[0].ID {
			t.Errorf("ids = %d, %d, %d, %d; want the first three equal and the fourth another", rs[0].ID, rs[1].ID, rs[2].ID, rs[3].ID)
		}
		events, err := db.LeadEvents(ctx, rs[0].ID)
		if err != nil {
			t.Fatalf("LeadEvents: %v", err)
		}
		var types []string
		for _, e := range events {
			types = append(types, e.Type)
		}
		if diff := cmp.Diff([]string{"created", "updated"}, types); diff != "" {
			t.Errorf("events of lead n1 (-want +got):\n%s", diff)
		}
		if page, _ := db.Leads(ctx, tandem.LeadFilter{}); page.Total != 2 {
			t.Errorf("Leads().Total = %d; want 2", page.Total)
		}
	})
}
