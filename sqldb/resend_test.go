package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestResendWithExplicitSource: a lead and a deal sent again under a source
// that is not the batch's default (a CRM's name) are found by their keys and
// left unchanged rather than inserted twice.
func TestResendWithExplicitSource(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		// The source as a field, or as an import mapping's constant (Initial).
		lead := []tandem.LeadInput{input("source", "hubspot", "external_id", "c-1", "email", "ana@example.com"),
			{Fields: map[string]string{"external_id": "c-2", "email": "bo@example.com"}, Initial: map[string]string{"source": "hubspot"}}}
		deal := []tandem.DealInput{{Fields: map[string]string{"source": "hubspot", "external_id": "d-1",
			"lead_source": "hubspot", "lead_external_id": "c-1", "amount": "100"}}}
		for i, want := range []string{tandem.StatusCreated, tandem.StatusUnchanged} {
			rs, err := db.IntakeLeads(ctx, lead, sqldb.IntakeOptions{DefaultSource: "api", Actor: "test"})
			if err != nil || len(rs) != 2 || rs[0].Status != want || rs[1].Status != want {
				t.Fatalf("IntakeLeads(send %d) = %v, %v; want %s", i+1, statuses(rs), err, want)
			}
			ds, err := db.ImportDeals(ctx, deal, sqldb.DealImportOptions{DefaultSource: "import", Actor: "test"})
			if err != nil || len(ds) != 1 || ds[0].Status != want {
				t.Fatalf("ImportDeals(send %d) = %+v, %v; want %s", i+1, ds, err, want)
			}
		}
	})
}
