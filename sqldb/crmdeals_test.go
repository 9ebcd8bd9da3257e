package sqldb_test

import (
	"context"
	"encoding/csv"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// crmRow is a row of testdata/crm_opportunities.csv as the test reads it
// itself.
type crmRow struct {
	line                                  int
	id, agent, product, account, stage    string
	engage, close, value                  string
	rejectColumn                          string // the column a good import rejects the row for, "" for none
	wantStage, wantPipeline, wantLeadStep string
}

// readCRM reads the fixture with plain code: which rows are good, and what
// each one should become, by the preset's documented rules.
func readCRM(t *testing.T, path string) []crmRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("os.Open: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	isDate := func(s string) bool {
		_, err := time.Parse("2006-01-02", s)
		return s == "" || err == nil
	}
	amount := regexp.MustCompile(`^[0-9]*(\.[0-9]{1,2})?$`)
	var rows []crmRow
	for i, r := range recs[1:] {
		row := crmRow{line: i + 2, id: r[0], agent: r[1], product: r[2], account: r[3], stage: r[4], engage: r[5], close: r[6], value: r[7]}
		switch row.stage {
		case "Prospecting", "prospecting":
			row.wantStage, row.wantPipeline, row.wantLeadStep = "open", "qualification", "opportunity"
		case "Engaging", "engaging":
			row.wantStage, row.wantPipeline, row.wantLeadStep = "open", "proposal", "opportunity"
		case "Won", "won":
			row.wantStage, row.wantLeadStep = "won", "customer"
		case "Lost", "lost":
			row.wantStage, row.wantLeadStep = "lost", "recycled"
		default:
			row.rejectColumn = "deal_stage"
		}
		switch {
		case row.rejectColumn != "":
		case !isDate(row.engage):
			row.rejectColumn = "engage_date"
		case !isDate(row.close):
			row.rejectColumn = "close_date"
		case !amount.MatchString(row.value):
			row.rejectColumn = "close_value"
		}
		rows = append(rows, row)
	}
	return rows
}

// importCRM imports the fixture through the crm preset as `tandem import
// deals FILE --preset crm` does, and returns the tally and the rejects.
func importCRM(t *testing.T, db *sqldb.DB, path string) (csvimport.Tally, []*csvimport.RowError) {
	t.Helper()
	ctx := context.Background()
	m, err := csvimport.PresetFor("deals", "crm")
	if err != nil {
		t.Fatalf("csvimport.PresetFor: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("os.Open: %v", err)
	}
	defer f.Close()
	r, err := csvimport.NewReader(f, m)
	if err != nil {
		t.Fatalf("csvimport.NewReader: %v", err)
	}
	var rejects []*csvimport.RowError
	im := csvimport.Import{
		Batch: 25,
		Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
			return db.Import(ctx, "deals", rows, sqldb.ImportOptions{File: "crm_opportunities.csv"})
		},
		Reject: func(e *csvimport.RowError) error { rejects = append(rejects, e); return nil },
	}
	tally, err := im.Run(ctx, r)
	if err != nil {
		t.Fatalf("import crm_opportunities.csv: %v", err)
	}
	return tally, rejects
}

// TestImportCRMOpportunities imports a CRM's opportunities export alone
// (no leads file): every good row creates its lead and its deal, in the
// pipeline stage its CRM stage maps to; lost rows without reasons are lost
// for "unspecified"; bad rows are rejected naming line and column. Every
// figure is checked against what the test computes from the CSV itself.
func TestImportCRMOpportunities(t *testing.T) {
	const path = "testdata/crm_opportunities.csv"
	rows := readCRM(t, path)
	// The file's dates are calendar dates: days in the zone of the
	// agreement in force, here the default's New York.
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		importedAt := clk.Now()

		tally, rejects := importCRM(t, db, path)
		var wantRejects []string
		good := map[string]crmRow{}
		for _, r := range rows {
			if r.rejectColumn != "" {
				wantRejects = append(wantRejects, strconv.Itoa(r.line)+" "+r.rejectColumn)
			} else {
				good[r.id] = r
			}
		}
		var gotRejects []string
		for _, e := range rejects {
			gotRejects = append(gotRejects, strconv.Itoa(e.Line)+" "+e.Column)
		}
		slices.Sort(gotRejects) // the reader's rejects come before the store's
		slices.Sort(wantRejects)
		if diff := cmp.Diff(wantRejects, gotRejects); diff != "" {
			t.Errorf("rejects (line column) (-want +got):\n%s\nrejects: %v", diff, rejects)
		}
		if tally.Rows != len(rows) || tally.Created != len(good) || tally.Rejected != len(wantRejects) {
			t.Errorf("tally = %+v; want %d rows, %d created, %d rejected", tally, len(rows), len(good), len(wantRejects))
		}

		// Every deal, by its opportunity id.
		deals := map[string]tandem.Deal{}
		var after int64
		for {
			page, err := db.Deals(ctx, tandem.DealFilter{After: after, Limit: 1000})
			if err != nil {
				t.Fatalf("Deals: %v", err)
			}
			for _, d := range page.Deals {
				deals[d.ExternalID] = d
			}
			if page.Next == 0 {
				break
			}
			after = page.Next
		}
		if len(deals) != len(good) {
			t.Errorf("%d deals; want %d, one per good row", len(deals), len(good))
		}
		wantByStage := map[string]int{}
		var wantWonCents, gotWonCents int64
		for id, r := range good {
			wantByStage[r.wantStage]++
			if r.wantStage == "open" {
				wantByStage[r.wantPipeline]++
			}
			d, ok := deals[id]
			if !ok {
				t.Errorf("opportunity %s (line %d) has no deal", id, r.line)
				continue
			}
			if d.Stage != r.wantStage || (r.wantStage == "open" && d.PipelineStage != r.wantPipeline) {
				t.Errorf("deal %s (line %d, %s) = %s/%s; want %s/%s", id, r.line, r.stage, d.Stage, d.PipelineStage, r.wantStage, r.wantPipeline)
			}
			if d.Account != r.account || d.Product != r.product || d.Attributes["sales_agent"] != r.agent {
				t.Errorf("deal %s = account %q, product %q, agent %q; want %q, %q, %q", id, d.Account, d.Product, d.Attributes["sales_agent"], r.account, r.product, r.agent)
			}
			if r.wantStage == "lost" && d.LostReason != tandem.LostReasonUnspecified {
				t.Errorf("lost deal %s has reason %q; want %q", id, d.LostReason, tandem.LostReasonUnspecified)
			}
			if r.wantStage == "won" {
				v, _ := strconv.ParseInt(r.value, 10, 64)
				wantWonCents += v * 100
				gotWonCents += d.AmountCents
				if close, _ := time.ParseInLocation("2006-01-02", r.close, newYork); !d.ClosedAt.Equal(close) {
					t.Errorf("won deal %s closed %v; want %v", id, d.ClosedAt, close)
				}
			}

			// Its lead: created by the import, sales-sourced, dated by the
			// engage date (or the import, for a row without one), in the
			// stage the deal puts it in.
			l, err := db.Lead(ctx, d.LeadID)
			if err != nil {
				t.Errorf("lead of deal %s: %v", id, err)
				continue
			}
			wantCreated := importedAt
			if r.engage != "" {
				wantCreated, _ = time.ParseInLocation("2006-01-02", r.engage, newYork)
			}
			if l.Source != "crm" || l.ExternalID != id || l.Origin != "prospecting" || l.Stage != r.wantLeadStep || !l.CreatedAt.Equal(wantCreated) {
				t.Errorf("lead of deal %s (line %d) = %s/%s origin %q stage %s created %v; want crm/%s prospecting %s %v",
					id, r.line, l.Source, l.ExternalID, l.Origin, l.Stage, l.CreatedAt, id, r.wantLeadStep, wantCreated)
			}
			if !d.EngagedAt.Equal(wantCreated) {
				t.Errorf("deal %s engaged %v; want %v", id, d.EngagedAt, wantCreated)
			}
		}
		if gotWonCents != wantWonCents {
			t.Errorf("won revenue = %d cents; want %d", gotWonCents, wantWonCents)
		}
		for _, stage := range []string{"open", "qualification", "proposal", "negotiation", "won", "lost"} {
			page, err := db.Deals(ctx, tandem.DealFilter{Stage: stage, Limit: 1})
			if err != nil || page.Total != wantByStage[stage] {
				t.Errorf("Deals(stage %s) total = %d, %v; want %d", stage, page.Total, err, wantByStage[stage])
			}
		}
		leads, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1})
		if err != nil || leads.Total != len(good) {
			t.Errorf("%d leads, %v; want %d: one per good row, no more", leads.Total, err, len(good))
		}

		// An open deal opens in the stage its row names, when engaged; a
		// closed one enters its outcome when it closes.
		for id, r := range good {
			d := deals[id]
			want := []tandem.DealStageEntry{{Stage: r.wantPipeline, EnteredAt: d.EngagedAt}}
			if d.Closed() {
				// Imported closed: it was never in an open stage.
				want = []tandem.DealStageEntry{{Stage: r.wantStage, EnteredAt: d.ClosedAt}}
			}
			entries, err := db.DealStageEntries(ctx, d.ID)
			if err != nil || !cmp.Equal(entries, want) {
				t.Errorf("DealStageEntries(%s, line %d) = %v, %v; want %v", id, r.line, entries, err, want)
			}
		}
		verifyLedger(t, db)

		// Again: nothing changes.
		again, rejects := importCRM(t, db, path)
		if again.Unchanged != len(good) || again.Rejected != len(wantRejects) {
			t.Errorf("second import = %+v; want %d unchanged, %d rejected", again, len(good), len(wantRejects))
		}
	})
}
