package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestReportDeals takes in two leads whose deals are won and lost, and
// reads the deals report in every format: the JSON is the report the API
// serves, computed by report.Deals.
func TestReportDeals(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC))
		run := func(want int, args ...string) result {
			t.Helper()
			r := tandemCmd(t, clk, be.DSN, args...)
			if r.code != want {
				t.Fatalf("tandem %s: exit %d; want %d\n%s%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
			}
			return r
		}
		run(0, "report", "deals", "--period", "2026-03") // a database with no deal

		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		defer db.Close()
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{
			{Fields: map[string]string{"external_id": "1", "origin": "email", "created_at": "2026-03-03T12:00:00Z"}},
			{Fields: map[string]string{"external_id": "2", "origin": "ads", "created_at": "2026-03-04T12:00:00Z"}},
		}, sqldb.IntakeOptions{DefaultSource: "web"})
		if err != nil || rs[0].Err != nil || rs[1].Err != nil {
			t.Fatal(err, rs)
		}
		if _, err := db.ImportDeals(ctx, []tandem.DealInput{
			{Fields: map[string]string{"lead_external_id": "1", "stage": "won", "amount": "482", "created_at": "2026-03-10T12:00:00Z",
				"engaged_at": "2026-03-03T12:00:00Z", "closed_at": "2026-03-20T12:00:00Z"}},
			{Fields: map[string]string{"lead_external_id": "2", "stage": "lost", "lost_reason": "price", "created_at": "2026-03-11T12:00:00Z",
				"engaged_at": "2026-03-04T12:00:00Z", "closed_at": "2026-03-25T12:00:00Z"}},
		}, sqldb.DealImportOptions{DefaultSource: "web"}); err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}

		var got dealreport.Report
		if err := json.Unmarshal([]byte(run(0, "report", "deals", "--period", "2026-03", "--by", "origin", "--format", "json").stdout), &got); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		want, err := report.Deals(ctx, db, clk.Now(), "2026-03", []string{"origin"})
		if err != nil {
			t.Fatalf("Deals: %v", err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("tandem report deals --format json differs from report.Deals (-want +got):\n%s", diff)
		}
		if len(got.Groups) != 2 || got.Total.Won != 1 || got.Total.Lost != 1 || got.Total.WinRate == nil || *got.Total.WinRate != 0.5 {
			t.Errorf("tandem report deals: %+v; want ads and email, one won and one lost, win rate 0.5", got)
		}

		csv := run(0, "report", "deals", "--period", "2026-03", "--by", "origin", "--format", "csv").stdout
		lines := strings.Split(strings.TrimSpace(csv), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "origin,opened,open_qualification,") || !strings.HasPrefix(lines[3], "TOTAL,2,0,0,0,1,1,0.5000,2,true,482.00,") {
			t.Errorf("tandem report deals --format csv:\n%s\nwant a header, ads, email and the total", csv)
		}
		table := run(0, "report", "deals", "--period", "2026-03", "--by", "origin").stdout
		if !strings.Contains(table, "WIN RATE") || !strings.Contains(table, "50.0%") || !strings.Contains(table, "too few closed deals (n=2, need 30)") {
			t.Errorf("tandem report deals:\n%s\nwant the win rate 50.0%% on too few closed deals", table)
		}

		if r := run(exitError, "report", "deals", "--by", "rep"); !strings.Contains(r.stderr, "by:") || !strings.Contains(r.stderr, strings.Join(dealreport.Dims, ", ")) {
			t.Errorf("tandem report deals --by rep: %s; want by named and the dimensions listed", r.stderr)
		}
		if r := run(exitError, "report", "deals", "--period", "March"); !strings.Contains(r.stderr, "period:") {
			t.Errorf("tandem report deals --period March: %s; want period named", r.stderr)
		}
		run(exitUsage, "report", "deals", "--format", "xml")
	})
}
