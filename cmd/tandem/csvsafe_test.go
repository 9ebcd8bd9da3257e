package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// formulaCells returns the cells of a CSV text that a spreadsheet would
// run as formulas: those starting with =, +, -, @, a tab or a carriage
// return, but for plain decimal numbers such as -0.25. It fails the test
// if the text is not CSV.
func formulaCells(t *testing.T, what, text string) []string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s is not CSV: %v\n%s", what, err, text)
	}
	var bad []string
	for _, rec := range recs {
		for _, c := range rec {
			if c == "" || !strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				continue
			}
			number := true
			for i, r := range c {
				if !(r >= '0' && r <= '9' || r == '.' || r == '-' && i == 0) {
					number = false
				}
			}
			if !number || c == "-" {
				bad = append(bad, c)
			}
		}
	}
	return bad
}

// TestCSVExportsAreSafe walks every CSV the command line writes (the
// scorecard, the campaign report, the SLA report and an import's rejects
// file) with values that a spreadsheet would run as formulas: each comes
// out behind a single quote, and figures (a negative one included) stay
// numbers.
func TestCSVExportsAreSafe(t *testing.T) {
	const evil = "=HYPERLINK(\"http://x.example\",\"x\")"
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 4, 10, 15, 0, 0, 0, time.UTC))
		run := func(args ...string) string {
			t.Helper()
			r := tandemCmd(t, clk, be.DSN, args...)
			if r.code != 0 {
				t.Fatalf("tandem %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
			return r.stdout
		}
		run("campaign", "add", "spring", "--name", "+Spring webinars", "--channel", "email")
		run("campaign", "spend", "spring", "--month", "2026-03", "--amount", "99")
		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		for i, campaign := range []string{"spring", evil, "-2+3", "@SUM(A1)"} {
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": string(rune('1' + i)),
				"campaign": campaign, "origin": "\t=1", "created_at": "2026-03-03T12:00:00Z"}}}, sqldb.IntakeOptions{DefaultSource: "web"})
			if err != nil || rs[0].Err != nil {
				t.Fatal(err, rs)
			}
		}
		db.Close()

		dir := t.TempDir()
		file, mapping := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "leads.yaml")
		os.WriteFile(file, []byte("id,email,note\n1,"+strings.ReplaceAll(strings.ReplaceAll(evil, `"`, `""`), "=", "\"=")+"\",x\n"), 0o644)
		os.WriteFile(mapping, []byte("kind: leads\nsource: sheet\nfields:\n  external_id: id\n  email: email\n  attributes.note: note\n"), 0o644)
		rejects := filepath.Join(dir, "rejects.csv")
		run("import", "leads", file, "--mapping", mapping, "--rejects", rejects)
		rejected, err := os.ReadFile(rejects)
		if err != nil {
			t.Fatalf("os.ReadFile: %v", err)
		}

		var slaCSV bytes.Buffer
		rep := sla.Report{By: "source", Sales: []sla.Row{{Key: "@web", Handoffs: 1}, {Key: "-"}}, Total: sla.Row{Key: "TOTAL", Handoffs: 1}}
		if err := writeReportCSV(&slaCSV, rep); err != nil {
			t.Fatalf("writeReportCSV: %v", err)
		}

		for _, out := range []struct{ what, text, want string }{
			{"tandem report campaigns --format csv", run("report", "campaigns", "--period", "2026-03", "--format", "csv"), "'" + evil},
			{"tandem report scorecard --format csv", run("report", "scorecard", "--period", "2026-03", "--format", "csv"), "'@SUM(A1)"},
			{"the SLA report CSV", slaCSV.String(), "'@web"},
			{"the rejects file", string(rejected), "'" + evil},
		} {
			if bad := formulaCells(t, out.what, out.text); len(bad) > 0 {
				t.Errorf("%s has cells a spreadsheet runs as formulas: %q\n%s", out.what, bad, out.text)
			}
			if !strings.Contains(out.text, strings.ReplaceAll(out.want, `"`, `""`)) && !strings.Contains(out.text, out.want) {
				t.Errorf("%s does not hold %q:\n%s", out.what, out.want, out.text)
			}
		}
	})
}
