package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestCampaignCommands registers a campaign and its spend, takes in a lead
// of the campaign that wins a deal, and reads the report in every format.
func TestCampaignCommands(t *testing.T) {
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
		run(0, "campaign", "add", "spring", "--name", "Spring webinars", "--channel", "email")
		run(0, "campaign", "spend", "spring", "--month", "2026-03", "--amount", "99")
		run(0, "campaign", "spend", "spring", "--month", "2026-03", "--amount", "120.50") // replaces
		if r := run(0, "campaign", "list"); !strings.Contains(r.stdout, "spring") || !strings.Contains(r.stdout, "120.50") {
			t.Errorf("tandem campaign list:\n%s\nwant spring at 120.50", r.stdout)
		}
		if r := run(exitError, "campaign", "spend", "spring", "--month", "March", "--amount", "-5"); !strings.Contains(r.stderr, "month:") || !strings.Contains(r.stderr, "amount:") {
			t.Errorf("tandem campaign spend with a bad month and amount: %s; want both named", r.stderr)
		}
		run(exitError, "campaign", "spend", "autumn", "--month", "2026-03", "--amount", "5")

		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "1", "email": "a@example.com",
			"campaign": "spring", "origin": "email", "created_at": "2026-03-03T12:00:00Z"}}}, sqldb.IntakeOptions{DefaultSource: "web"})
		if err != nil || rs[0].Err != nil {
			t.Fatal(err, rs)
		}
		if _, err := db.ImportDeals(ctx, []tandem.DealInput{{Fields: map[string]string{"lead_external_id": "1", "stage": "won",
			"amount": "482", "created_at": "2026-03-10T12:00:00Z", "closed_at": "2026-03-20T12:00:00Z"}}}, sqldb.DealImportOptions{DefaultSource: "web"}); err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}
		db.Close()

		var rep attribution.Report
		r := run(0, "report", "campaigns", "--period", "2026-03", "--format", "json")
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("tandem report campaigns --format json: %v\n%s", err, r.stdout)
		}
		if len(rep.Campaigns) != 1 || rep.Campaigns[0].Customers != 1 || rep.Campaigns[0].RevenueCents[attribution.UShaped] != 48200 ||
			rep.Campaigns[0].ROI == nil || *rep.Campaigns[0].ROI != 3 {
			t.Errorf("report = %+v; want spring: one customer, 482.00 won, ROI 3", rep.Campaigns)
		}
		if r := run(0, "report", "campaigns", "--period", "2026-03"); !strings.Contains(r.stdout, "300.0%") || !strings.Contains(r.stdout, "–") {
			t.Errorf("tandem report campaigns:\n%s\nwant ROI 300.0%% and – for the MQL cost", r.stdout)
		}
		if r := run(0, "report", "campaigns", "--period", "2026-03", "--format", "csv"); !strings.HasPrefix(r.stdout, "campaign,name,") ||
			!strings.Contains(r.stdout, "spring,Spring webinars,email,true,120.50,1,") {
			t.Errorf("tandem report campaigns --format csv:\n%s", r.stdout)
		}
		if r := run(exitError, "report", "campaigns", "--model", "w_shaped"); !strings.Contains(r.stderr, "model:") {
			t.Errorf("tandem report campaigns --model w_shaped: %s; want the model named", r.stderr)
		}
		run(exitUsage, "report", "campaigns", "--format", "xml")
	})
}

// TestImportSpend imports spend from CSV: a campaign the file brings is
// registered, a month set again is replaced, a bad row is rejected alone,
// and the same file again changes nothing.
func TestImportSpend(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		clk := clock.NewFake(time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC))
		dir := t.TempDir()
		csvPath, mapPath := filepath.Join(dir, "spend.csv"), filepath.Join(dir, "spend.yaml")
		write := func(path, body string) {
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
		}
		write(csvPath, "Campaign,Month,Cost,Channel\nspring,2026-02,100.00,email\nspring,2026-03-01,250.5,email\nads,2026-13,5,paid_search\nads,2026-03,-5,paid_search\nads,2026-03,70,paid_search\n")
		write(mapPath, "kind: spend\nfields:\n  campaign: Campaign\n  month: Month\n  amount: Cost\n  channel: {column: Channel, optional: true}\n")
		r := tandemCmd(t, clk, be.DSN, "import", "spend", csvPath, "--mapping", mapPath, "--rejects", filepath.Join(dir, "rejects.csv"))
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "3 created") || !strings.Contains(r.stdout+r.stderr, "2 rejected") {
			t.Errorf("tandem import spend: exit %d\n%s%s\nwant 3 created, 2 rejected", r.code, r.stdout, r.stderr)
		}
		rejects, _ := os.ReadFile(filepath.Join(dir, "rejects.csv"))
		if !strings.Contains(string(rejects), "month:") || !strings.Contains(string(rejects), "amount:") {
			t.Errorf("rejects.csv:\n%s\nwant the month and the amount named", rejects)
		}
		r = tandemCmd(t, clk, be.DSN, "campaign", "list")
		if !strings.Contains(r.stdout, "spring") || !strings.Contains(r.stdout, "350.50") || !strings.Contains(r.stdout, "paid_search") {
			t.Errorf("tandem campaign list after the import:\n%s\nwant spring at 350.50 and ads registered as paid_search", r.stdout)
		}
		write(csvPath, "Campaign,Month,Cost,Channel\nspring,2026-02,100.00,email\nspring,2026-03,300,email\n")
		r = tandemCmd(t, clk, be.DSN, "import", "spend", csvPath, "--mapping", mapPath)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "1 updated") || !strings.Contains(r.stdout+r.stderr, "1 unchanged") {
			t.Errorf("tandem import spend again: exit %d\n%s%s\nwant 1 updated, 1 unchanged", r.code, r.stdout, r.stderr)
		}
	})
}
