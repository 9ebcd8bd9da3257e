package sqldb_test

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// checkDealLeadCopies fails the test unless every deal's copy of its
// lead's owner, source, origin, segment and campaign (migration 00030)
// equals the lead's row, and returns how many deals there are.
func checkDealLeadCopies(t *testing.T, db *sqldb.DB, step string) int {
	t.Helper()
	var deals, differ int
	err := db.QueryRowForTest(context.Background(), `SELECT count(*),
		coalesce(sum(CASE WHEN d.lead_owner_id IS NULL OR d.lead_owner_id <> l.owner_id
			OR d.lead_source IS NULL OR d.lead_source <> l.source OR d.lead_origin IS NULL OR d.lead_origin <> l.origin
			OR d.lead_segment IS NULL OR d.lead_segment <> l.segment OR d.lead_campaign IS NULL OR d.lead_campaign <> l.campaign
			THEN 1 ELSE 0 END), 0)
		FROM deals d JOIN leads l ON l.id = d.lead_id`, &deals, &differ)
	if err != nil {
		t.Fatalf("%s: read the deals' copies: %v", step, err)
	}
	if differ != 0 {
		t.Errorf("%s: %d of %d deals differ from their leads' owner, source, origin, segment or campaign; want 0", step, differ, deals)
	}
	return deals
}

// TestDealLeadCopy walks every path that writes a lead's owner or the
// fields a deal copies (a lead created in opportunity, whose deal is written
// before it; a lead updated by intake; a hand assignment; a move into
// opportunity; an opportunities export that creates its leads and updates
// them by batch; a re-import that changes many owners; a dump loaded into
// another database) and checks after each that the deals' copies equal
// their leads' rows, and that a rep's board counts the deals of their leads.
func TestDealLeadCopy(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		c := tandemtest.People(t, db)
		c.Sign(t, db, string(agreement.Default()))
		rex, ria := strconv.FormatInt(c.Rex.ID, 10), strconv.FormatInt(c.Ria.ID, 10)

		// Created in opportunity: its deal is written before the lead's row.
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{
			input("external_id", "o1", "stage", "opportunity", "owner_id", rex, "origin", "ads", "segment", "smb", "campaign", "spring"),
			input("external_id", "m1", "stage", "mql", "origin", "events"),
			// A lead without a deal, so that lead and deal ids differ.
			input("external_id", "x1", "stage", "mql", "origin", "web", "campaign", "none"),
		}, sqldb.IntakeOptions{DefaultSource: "web"})
		if err != nil || rs[0].Err != nil || rs[1].Err != nil || rs[2].Err != nil {
			t.Fatalf("IntakeLeads = %v, %v", statuses(rs), err)
		}
		o1, m1 := rs[0].ID, rs[1].ID
		if n := checkDealLeadCopies(t, db, "lead created in opportunity"); n != 1 {
			t.Fatalf("deals after a lead created in opportunity = %d; want 1", n)
		}
		// Intake changes the copied fields of a lead that has a deal.
		if rs, err = db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "o1", "campaign", "autumn", "segment", "enterprise")},
			sqldb.IntakeOptions{DefaultSource: "web"}); err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads(update) = %v, %v", statuses(rs), err)
		}
		checkDealLeadCopies(t, db, "lead updated by intake")
		// By hand, to another rep: Rex no longer reads the deal, Ria does.
		if _, err := db.Assign(ctx, o1, c.Ria.Email, "covering the account", tandemtest.Token(c.Admin)); err != nil {
			t.Fatalf("Assign: %v", err)
		}
		checkDealLeadCopies(t, db, "lead assigned")
		// Into opportunity by a move: the deal of an existing lead.
		if _, err := db.MoveLead(ctx, m1, "opportunity", "demo booked", "test"); err != nil {
			t.Fatalf("MoveLead: %v", err)
		}
		if n := checkDealLeadCopies(t, db, "lead moved into opportunity"); n != 2 {
			t.Fatalf("deals after a move into opportunity = %d; want 2", n)
		}
		// An opportunities export whose leads are not there: the batch
		// creates them and updates them as their deals settle.
		if tally, rejects := importCRM(t, db, filepath.Join("testdata", "crm_opportunities.csv")); tally.Created == 0 {
			t.Fatalf("importCRM = %+v, %v; want rows imported", tally, rejects)
		}
		n := checkDealLeadCopies(t, db, "opportunities imported")
		// A re-import that gives every lead of the export one owner and a
		// campaign (PostgreSQL updates them from a copied table).
		var again []tandem.LeadInput
		page, err := db.Leads(ctx, tandem.LeadFilter{Limit: 500})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		for _, l := range page.Leads {
			if l.Source == "web" {
				continue
			}
			again = append(again, input("source", l.Source, "external_id", l.ExternalID, "owner_id", ria, "campaign", "winback"))
		}
		if len(again) < 10 {
			t.Fatalf("the export's leads = %d; want 10 or more", len(again))
		}
		if rs, err = db.IntakeLeads(ctx, again, sqldb.IntakeOptions{}); err != nil || slices.ContainsFunc(rs, func(r sqldb.IntakeResult) bool { return r.Err != nil }) {
			t.Fatalf("IntakeLeads(re-import) = %v, %v", statuses(rs), err)
		}
		checkDealLeadCopies(t, db, "leads re-imported")

		// The board as each rep reads it counts the open deals of the leads
		// they own, as the leads' rows say.
		for _, u := range []tandem.User{c.Rex, c.Ria} {
			var want int
			if err := db.QueryRowForTest(ctx, `SELECT count(*) FROM deals d JOIN leads l ON l.id = d.lead_id
				WHERE d.stage = 'open' AND (d.owner_id = `+strconv.FormatInt(u.ID, 10)+` OR l.owner_id IN (0, `+strconv.FormatInt(u.ID, 10)+`)
				OR d.lead_id IN (SELECT lead_id FROM handoffs WHERE owner_id = `+strconv.FormatInt(u.ID, 10)+`))`, &want); err != nil {
				t.Fatal(err)
			}
			got, err := db.DealBoard(ctx, tandemtest.Token(u), sqldb.BoardFilter{})
			if err != nil || got.OpenDeals != want {
				t.Errorf("DealBoard(%s).OpenDeals = %d, %v; want %d", u.Email, got.OpenDeals, err, want)
			}
		}

		// A dump loaded elsewhere: the copies are made as the deals load.
		dir := filepath.Join(t.TempDir(), "dump")
		if _, err := db.Dump(ctx, dir); err != nil {
			t.Fatalf("Dump: %v", err)
		}
		copyDB, _ := openB(t, sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)})
		if _, err := copyDB.Load(ctx, dir, nil); err != nil {
			t.Fatalf("Load: %v", err)
		}
		if got := checkDealLeadCopies(t, copyDB, "dump loaded"); got != n {
			t.Errorf("deals loaded = %d; want %d", got, n)
		}
		verifyLedger(t, db)
	})
}
