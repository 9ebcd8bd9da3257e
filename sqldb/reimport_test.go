package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestReimportKeepsStages imports a file of MQLs the way the command does
// (the stage is an Initial value, a constant of the mapping), moves one lead
// on to customer, and imports the same rows again: every row is unchanged
// and the customer is still a customer, with no new event.
func TestReimportKeepsStages(t *testing.T) {
	for _, signed := range []bool{false, true} {
		name := "default lifecycle"
		if signed {
			name = "signed agreement"
		}
		t.Run(name, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
				t.Parallel()
				ctx := context.Background()
				db, clk := open(t, b)
				if signed {
					signDefault(t, db, string(agreement.Default()))
				}
				row := func(id, date, origin string) tandem.LeadInput {
					in := input("external_id", id, "created_at", date, "origin", origin, "attributes.landing_page_id", "lp-"+id)
					in.Initial = map[string]string{"stage": "mql"}
					in.Reason = "import of olist.csv"
					return in
				}
				rows := []tandem.LeadInput{
					row("m1", "2018-02-01", "social"),
					row("m2", "2017-10-20", "paid_search"),
					row("m3", "2018-03-22", ""),
				}
				opts := sqldb.IntakeOptions{DefaultSource: "olist", Actor: "import:olist.csv"}
				rs, err := db.IntakeLeads(ctx, rows, opts)
				if err != nil {
					t.Fatalf("IntakeLeads: %v", err)
				}
				if diff := cmp.Diff([]string{"created", "created", "created"}, statuses(rs)); diff != "" {
					t.Fatalf("first import statuses (-want +got):\n%s", diff)
				}
				for _, r := range rs {
					if l, err := db.Lead(ctx, r.ID); err != nil || l.Stage != "mql" {
						t.Errorf("Lead(%d) = stage %q, %v; want an mql", r.ID, l.Stage, err)
					}
				}
				clk.Advance(time.Hour)
				won := rs[1].ID
				if l, err := db.MoveLead(ctx, won, "customer", "signed the contract", "user:sam@example.com"); err != nil || l.Stage != "customer" {
					t.Fatalf("MoveLead(%d, customer) = %q, %v; want customer", won, l.Stage, err)
				}
				before := allLeads(t, db)
				eventsBefore, err := db.LeadEvents(ctx, won)
				if err != nil {
					t.Fatalf("LeadEvents: %v", err)
				}

				clk.Advance(time.Hour)
				again, err := db.IntakeLeads(ctx, rows, opts)
				if err != nil {
					t.Fatalf("IntakeLeads: %v", err)
				}
				if diff := cmp.Diff([]string{"unchanged", "unchanged", "unchanged"}, statuses(again)); diff != "" {
					t.Errorf("second import statuses (-want +got):\n%s", diff)
				}
				for i := range again {
					if again[i].ID != rs[i].ID {
						t.Errorf("second import row %d: lead %d; want %d", i, again[i].ID, rs[i].ID)
					}
				}
				if diff := cmp.Diff(before, allLeads(t, db)); diff != "" {
					t.Errorf("the second import changed leads (-before +after):\n%s", diff)
				}
				l, err := db.Lead(ctx, won)
				if err != nil || l.Stage != "customer" {
					t.Errorf("after re-import Lead(%d) = stage %q, %v; want customer", won, l.Stage, err)
				}
				eventsAfter, err := db.LeadEvents(ctx, won)
				if err != nil {
					t.Fatalf("LeadEvents: %v", err)
				}
				if diff := cmp.Diff(eventsBefore, eventsAfter); diff != "" {
					t.Errorf("the second import added events to lead %d (-before +after):\n%s", won, diff)
				}
			})
		})
	}
}

func allLeads(t *testing.T, db *sqldb.DB) []tandem.Lead {
	t.Helper()
	page, err := db.Leads(context.Background(), tandem.LeadFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("Leads: %v", err)
	}
	return page.Leads
}
