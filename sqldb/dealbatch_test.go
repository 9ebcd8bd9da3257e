package sqldb_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestImportDealsBatchMatchesRowByRow imports the same opportunities
// twice, into two databases alike: once by batch (what the rows read once
// per batch, their writes kept and written together) and once row by row,
// statement by statement, as before batches. Every deal, lead, ledger
// event, stage entry, hand-off, account and product must come out the
// same. The file mixes what the batch holds and what it does not: leads
// the import creates, leads imported before it with an open hand-off (mql)
// or without one, a deal named twice in a batch (engaged, then won), a
// deal lost after its lead's hand-off, rows rejected half-way, and rows
// across batches of 40.
func TestImportDealsBatchMatchesRowByRow(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		file := crmExport(3, 150)
		// A second file closes half of the engaged deals of the first 60
		// rows, and has a row with a bad amount and one with a name too
		// long for an account, rejected.
		second := bytes.NewBufferString("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n")
		for i, line := range strings.Split(string(file), "\n")[1:61] {
			f := strings.Split(line, ",")
			if len(f) == 8 && f[4] == "Engaging" && i%2 == 0 {
				fmt.Fprintf(second, "%s,%s,%s,%s,Won,%s,2019-01-15,%d\n", f[0], f[1], f[2], f[3], f[5], 1000+i)
			}
		}
		second.WriteString("S9000001,Agent 1,Product 1,Account 1,Won,2017-01-02,2017-02-03,abc\n")
		second.WriteString("S9000002,Agent 1,Product 1," + strings.Repeat("x", 600) + ",Won,2017-01-02,2017-02-03,10\n")
		// A last batch names leads twice: a handed-off lead's deal lost,
		// then a new open deal of that lead; a lead without a hand-off
		// likewise; and a deal of the first file moved on, then won.
		deal := func(kv ...string) tandem.DealInput {
			in := tandem.DealInput{Fields: map[string]string{}}
			for i := 0; i < len(kv); i += 2 {
				in.Fields[kv[i]] = kv[i+1]
			}
			return in
		}
		last := []tandem.DealInput{
			deal("lead_external_id", "S0000006", "external_id", "X1", "stage", "lost", "closed_at", "2019-02-01", "lost_reason", "price"),
			deal("lead_external_id", "S0000006", "external_id", "X2", "stage", "open"),
			deal("lead_external_id", "S0000003", "external_id", "X3", "stage", "lost", "closed_at", "2019-02-01", "lost_reason", "price"),
			deal("lead_external_id", "S0000003", "external_id", "X4", "stage", "open"),
			deal("lead_external_id", "S0000009", "external_id", "X5", "stage", "won", "closed_at", "2019-02-02", "amount", "12"),
			deal("lead_external_id", "S0000009", "external_id", "X5", "stage", "lost", "closed_at", "2019-02-03"),
		}

		dump := map[string][]string{}
		var results map[string][]string
		for _, alone := range []bool{false, true} {
			db, clk := open(t, sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)})
			signDefault(t, db, string(agreement.Default()))
			clk.Advance(time.Hour)
			// A third of the deals' leads exist: two in three of them in
			// mql (handed off), the others in lead.
			var leads []tandem.LeadInput
			for i := 0; i < 150; i += 3 {
				stage := "lead"
				if i%2 == 0 {
					stage = "mql"
				}
				in := input("source", csvimport.DefaultSource, "external_id", fmt.Sprintf("S%07d", i), "email", fmt.Sprintf("s%d@example.com", i),
					"score", "80")
				in.Initial = map[string]string{"stage": stage}
				leads = append(leads, in)
			}
			if _, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{Actor: "import:leads.csv"}); err != nil {
				t.Fatalf("IntakeLeads: %v", err)
			}
			if alone {
				db.ImportDealRowsAloneForTest()
			}
			m, err := csvimport.PresetFor("deals", "crm")
			if err != nil {
				t.Fatalf("csvimport.PresetFor: %v", err)
			}
			var got []string
			for _, f := range [][]byte{file, second.Bytes()} {
				r, err := csvimport.NewReader(bytes.NewReader(f), m)
				if err != nil {
					t.Fatalf("csvimport.NewReader: %v", err)
				}
				im := csvimport.Import{Batch: 40, Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
					rs, err := db.Import(ctx, "deals", rows, sqldb.ImportOptions{File: "opportunities.csv"})
					for _, r := range rs {
						got = append(got, statuses([]sqldb.IntakeResult{{Status: r.Status, Err: r.Err}})...)
					}
					return rs, err
				}}
				if _, err := im.Run(ctx, r); err != nil {
					t.Fatalf("Run: %v", err)
				}
			}
			rs, err := db.ImportDeals(ctx, last, sqldb.DealImportOptions{DefaultSource: csvimport.DefaultSource, Actor: "import:last.csv"})
			if err != nil {
				t.Fatalf("ImportDeals: %v", err)
			}
			got = append(got, statuses(rs)...)
			if results == nil {
				results = map[string][]string{}
			}
			// PostgreSQL's sequences skip the ids a batch reserved and did
			// not use: the messages are compared without them.
			for i := range got {
				got[i] = dealID.ReplaceAllString(got[i], "deal N")
			}
			results[fmt.Sprint(alone)] = got
			for name, q := range batchDumpQueries(b.Name) {
				var n int
				var s string
				if err := db.QueryRowForTest(ctx, q, &n, &s); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if n == 0 {
					t.Errorf("%s: no row; want some", name)
				}
				s = dealID.ReplaceAllString(s, "deal N") // in the reasons of moves
				if !alone {
					dump[name] = strings.Split(s, ";")
				} else if diff := cmp.Diff(strings.Split(s, ";"), dump[name]); diff != "" {
					t.Errorf("%s by batch differ from row by row (-row by row +batch):\n%s", name, diff)
				}
			}
			if !alone {
				verifyLedger(t, db)
			}
		}
		if diff := cmp.Diff(results["true"], results["false"]); diff != "" {
			t.Errorf("results by batch differ from row by row (-row by row +batch):\n%s", diff)
		}
		var rejected, updated int
		for _, s := range results["false"] {
			rejected += strings.Count(s, "rejected")
			updated += strings.Count(s, "updated")
		}
		if rejected < 2 || updated < 5 {
			t.Errorf("the import rejected %d rows and updated %d; want at least 2 rejected and 5 updated: %q", rejected, updated, results["false"])
		}
	})
}

var dealID = regexp.MustCompile(`deal [0-9]+`)

// batchDumpQueries return, by table, the count of its rows and their
// values that do not depend on ids, sorted and joined by ";".
func batchDumpQueries(backend string) map[string]string {
	agg := func(expr, from string) string {
		if backend == "postgres" {
			return `SELECT count(*), coalesce(string_agg(x, ';' ORDER BY x), '') FROM (SELECT ` + expr + ` AS x FROM ` + from + `) q`
		}
		return `SELECT count(*), coalesce(group_concat(x, ';' ORDER BY x), '') FROM (SELECT ` + expr + ` AS x FROM ` + from + `) q`
	}
	txt := func(cols ...string) string {
		for i, c := range cols {
			cols[i] = "coalesce(CAST(" + c + " AS TEXT), '-')"
		}
		return strings.Join(cols, " || '|' || ")
	}
	return map[string]string{
		"deals": agg(txt("d.source", "d.external_id", "l.external_id", "d.owner_id", "d.stage", "d.amount_cents", "d.created_at",
			"d.engaged_at", "d.closed_at", "d.lost_reason", "d.account", "d.product", "d.attributes", "d.updated_at", "d.pipeline_stage",
			"d.stage_changed_at", "a.name", "p.name"),
			"deals d JOIN leads l ON l.id = d.lead_id LEFT JOIN accounts a ON a.id = d.account_id LEFT JOIN products p ON p.id = d.product_id"),
		"leads": agg(txt("l.source", "l.external_id", "l.company", "l.origin", "l.owner_id", "l.stage", "l.attributes", "l.created_at",
			"l.updated_at", "l.stage_changed_at", "l.version", "a.name"), "leads l LEFT JOIN accounts a ON a.id = l.account_id"),
		"events": agg(txt("l.external_id", "e.type", "e.occurred_at", "e.recorded_at", "e.actor", "e.reason", "e.agreement_version"),
			"events e JOIN leads l ON l.id = e.lead_id"),
		"stage entries":      agg(txt("l.external_id", "s.stage", "s.entered_at"), "stage_entries s JOIN leads l ON l.id = s.lead_id"),
		"deal stage entries": agg(txt("d.external_id", "s.stage", "s.entered_at"), "deal_stage_entries s JOIN deals d ON d.id = s.deal_id"),
		"hand-offs":          agg(txt("l.external_id", "h.started_at", "h.ended_at", "h.end_reason"), "handoffs h JOIN leads l ON l.id = h.lead_id"),
		"outbox":             agg(txt("l.external_id", "o.type", "o.occurred_at"), "outbox_events o JOIN leads l ON l.id = o.lead_id"),
		"catalogue":          agg(txt("name"), "(SELECT name FROM accounts UNION ALL SELECT name FROM products) c"),
	}
}
