package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestReportScorecardAndJeopardy signs the default agreement, takes in 12
// qualified leads in October 2026, and reads October's scorecard in every
// format on 12 November, then checks the quarter for jeopardy twice.
func TestReportScorecardAndJeopardy(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		ny := newYork(t)
		clk := clock.NewFake(time.Date(2026, 10, 5, 10, 0, 0, 0, ny))
		planSign(t, clk, be.DSN, string(agreement.Default()))
		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		var in []tandem.LeadInput
		for i := range 12 {
			in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": strconv.Itoa(i), "email": "x@example.com", "score": "75"}})
		}
		if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		db.Close()
		clk.Set(time.Date(2026, 11, 12, 10, 0, 0, 0, ny))

		r := tandemCmd(t, clk, be.DSN, "report", "scorecard", "--period", "2026-10", "--format", "json")
		if r.code != 0 {
			t.Fatalf("tandem report scorecard: exit %d: %s", r.code, r.stderr)
		}
		var sc scorecard.Scorecard
		if err := json.Unmarshal([]byte(r.stdout), &sc); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		if sc.Period != "2026-10" || !sc.Complete || sc.FrozenAt.IsZero() || len(sc.Funnel) != 6 || sc.Funnel[1].Entered != 12 {
			t.Errorf("scorecard %s: complete %v, frozen %v, funnel %+v; want October complete and frozen, 12 mqls", sc.Period, sc.Complete, sc.FrozenAt, sc.Funnel)
		}
		r = tandemCmd(t, clk, be.DSN, "report", "scorecard", "--period", "2026-10", "--format", "csv")
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if r.code != 0 || err != nil || len(rows) < 10 || rows[0][0] != "section" {
			t.Errorf("tandem report scorecard --format csv: exit %d, %v, %d rows (%s)", r.code, err, len(rows), r.stderr)
		}
		out := filepath.Join(t.TempDir(), "scorecard.html")
		if r = tandemCmd(t, clk, be.DSN, "report", "scorecard", "--period", "2026-10", "-o", out); r.code != 0 || r.stdout != "" {
			t.Fatalf("tandem report scorecard -o: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}
		page, err := os.ReadFile(out)
		if err != nil || !strings.HasPrefix(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), "2026-10") {
			t.Errorf("the HTML file: %v, %.80q", err, page)
		}
		if r = tandemCmd(t, clk, be.DSN, "report", "scorecard", "--period", "October"); r.code != exitUsage || !strings.Contains(r.stderr, "--period") {
			t.Errorf("tandem report scorecard --period October: exit %d, %s; want a usage error naming --period", r.code, r.stderr)
		}
		if r = tandemCmd(t, clk, be.DSN, "report", "scorecard", "--format", "pdf"); r.code != exitUsage {
			t.Errorf("tandem report scorecard --format pdf: exit %d; want %d", r.code, exitUsage)
		}

		// The quarter: 12 of 1,200 qualified leads on day 43 of 92, and no
		// revenue.
		r = tandemCmd(t, clk, be.DSN, "jeopardy", "check", "--format", "json")
		var c report.Checked
		if err := json.Unmarshal([]byte(r.stdout), &c); r.code != 0 || err != nil {
			t.Fatalf("tandem jeopardy check: exit %d, %v: %s", r.code, err, r.stderr)
		}
		if c.Period != "2026-Q4" || len(c.Found) != 2 || len(c.Raised) != 2 {
			t.Errorf("check: %+v; want revenue and qualified leads raised for 2026-Q4", c)
		}
		r = tandemCmd(t, clk, be.DSN, "jeopardy", "check")
		if r.code != 0 || strings.Count(r.stdout, "(raised before)") != 2 {
			t.Errorf("second check: exit %d\n%s; want both alerts raised before", r.code, r.stdout)
		}
		r = tandemCmd(t, clk, be.DSN, "jeopardy", "list", "--period", "2026-Q4")
		if r.code != 0 || !strings.Contains(r.stdout, "qualified_leads") || !strings.Contains(r.stdout, "revenue") {
			t.Errorf("tandem jeopardy list: exit %d\n%s", r.code, r.stdout)
		}
	})
}
