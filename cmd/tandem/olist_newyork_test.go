package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestOlistNewYork imports the Olist files with their presets, signs the
// default agreement (America/New_York, not UTC) and checks that every
// calendar date stays on its day: MQLs per month of first_contact_date, won
// deals per month of won_date (a wall-clock time without offset, read in
// New York) and conversion by origin are the figures an analyst reads off
// the files, computed here with encoding/csv and the time package alone.
// Before dates were read in the agreement's zone, 11 of 12 months of MQLs
// and 2 of 12 months of won deals came out wrong.
func TestOlistNewYork(t *testing.T) {
	// The analyst's figures: a date's month is the month it writes.
	mqlsPerMonth, wonPerMonth := map[string]int{}, map[string]int{}
	mqlsByOrigin, wonByOrigin := map[string]int{}, map[string]int{}
	origin := map[string]string{}
	for _, row := range readCSV(t, olistMQL) {
		day, err := time.Parse("2006-01-02", row["first_contact_date"])
		if err != nil {
			t.Fatalf("first_contact_date %q: %v", row["first_contact_date"], err)
		}
		mqlsPerMonth[day.Format("2006-01")]++
		mqlsByOrigin[row["origin"]]++
		origin[row["mql_id"]] = row["origin"]
	}
	for _, row := range readCSV(t, olistDeals) {
		won, err := time.Parse("2006-01-02 15:04:05", row["won_date"])
		if err != nil {
			t.Fatalf("won_date %q: %v", row["won_date"], err)
		}
		wonPerMonth[won.Format("2006-01")]++
		wonByOrigin[origin[row["mql_id"]]]++
	}
	if len(mqlsPerMonth) != 12 || len(origin) != 8000 {
		t.Fatalf("the MQL file has %d months and %d MQLs; want the published file's 12 and 8,000", len(mqlsPerMonth), len(origin))
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}

	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(epoch)
		rejects := filepath.Join(t.TempDir(), "rejects.csv")
		run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
		for _, args := range [][]string{{"leads", olistMQL}, {"deals", olistDeals}} {
			if r := run("import", args[0], args[1], "--preset", "olist", "--rejects", rejects); r.code != 0 {
				t.Fatalf("import %s: %+v", args[0], r)
			}
		}
		planSign(t, clk, b.DSN, string(agreement.Default()))

		// Conversion by origin, won ÷ MQLs, over a window holding them all.
		r := run("rates", "--by", "origin", "--format", "json", "--from", "2017-06", "--to", "2018-12")
		var out ratesOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil {
			t.Fatalf("rates --by origin: exit %d, %v: %s", r.code, err, r.stderr)
		}
		type conv struct{ Won, MQLs int }
		want, got := map[string]conv{}, map[string]conv{}
		for o, n := range mqlsByOrigin {
			want[o] = conv{wonByOrigin[o], n}
		}
		for _, g := range out.Groups {
			for _, f := range g.Rates {
				if f.Name == "mql_to_customer" {
					got[g.Group] = conv{f.Count, f.Samples}
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("mql_to_customer by origin under the New York agreement (-files +tandem):\n%s", diff)
		}

		// MQLs and won deals per calendar month in New York, from the
		// store's History and from the scorecard of each month.
		db := openDB(t, b.DSN)
		mqls, won := map[string]int{}, map[string]int{}
		for m := time.Date(2017, 6, 1, 0, 0, 0, 0, newYork); m.Before(time.Date(2018, 12, 1, 0, 0, 0, 0, newYork)); m = m.AddDate(0, 1, 0) {
			month := m.Format("2006-01")
			cs, err := db.History(ctx, sqldb.HistoryQuery{From: m, To: m.AddDate(0, 1, 0)})
			if err != nil {
				t.Fatalf("History(%s): %v", month, err)
			}
			for _, c := range cs {
				if n := c.Stages[1].Entered; n > 0 {
					mqls[month] = n
				}
				if len(c.Won) > 0 {
					won[month] = len(c.Won)
				}
			}
			if mqlsPerMonth[month] == 0 && wonPerMonth[month] == 0 {
				continue
			}
			r := run("report", "scorecard", "--period", month, "--format", "json")
			var sc scorecard.Scorecard
			if err := json.Unmarshal([]byte(r.stdout), &sc); r.code != 0 || err != nil {
				t.Fatalf("report scorecard --period %s: exit %d, %v: %s", month, r.code, err, r.stderr)
			}
			if sc.Funnel[1].Stage != "mql" || sc.Funnel[1].Entered != mqlsPerMonth[month] || sc.Revenue.WonDeals != wonPerMonth[month] {
				t.Errorf("scorecard of %s: %d MQLs, %d won deals; want the files' %d MQLs and %d won",
					month, sc.Funnel[1].Entered, sc.Revenue.WonDeals, mqlsPerMonth[month], wonPerMonth[month])
			}
		}
		if diff := cmp.Diff(mqlsPerMonth, mqls); diff != "" {
			t.Errorf("MQLs per New York month of first contact (-files +History):\n%s", diff)
		}
		if diff := cmp.Diff(wonPerMonth, won); diff != "" {
			t.Errorf("won deals per New York month of won_date (-files +History):\n%s", diff)
		}
	})
}
