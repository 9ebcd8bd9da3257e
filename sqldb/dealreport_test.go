package sqldb_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// crmFile reads a file of testdata/crm, a CRM's export made for these
// tests: opportunities (agent by name, product, account, stage Prospecting,
// Engaging, Won or Lost, engage and close dates without times, close value;
// early stages without dates, many without an account, lost deals without
// a reason), the teams (agent, manager, regional office), and the leads
// behind the opportunities (source, origin, segment, campaign, and whether
// marketing handed them off as MQLs or sales found them as SQLs).
func crmFile(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "crm", name))
	if err != nil {
		t.Fatalf("os.Open: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// crmEmail is the email the test gives a person the export names.
func crmEmail(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@crm.example"
}

// crmNow is when the test imports the export: the end of 2017, the year
// its dates fall in.
var crmNow = time.Date(2017, 12, 31, 12, 0, 0, 0, time.UTC)

// loadCRM imports the CRM export through the store's imports (users, leads,
// deals) under an agreement signed in UTC, and fails on any rejected row.
func loadCRM(t *testing.T, db *sqldb.DB, clk interface{ Set(time.Time) }) {
	t.Helper()
	ctx := context.Background()
	clk.Set(time.Date(2016, 12, 1, 0, 0, 0, 0, time.UTC))

	check := func(what string, rs []csvimport.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("Import(%s) = %v", what, err)
		}
		for i, r := range rs {
			if r.Err != nil {
				t.Fatalf("Import(%s) row %d: %s: %v", what, i+1, r.Status, r.Err)
			}
		}
	}
	var users []csvimport.Row
	managers := map[string]bool{}
	teams := crmFile(t, "teams.csv")
	for _, r := range teams {
		if !managers[r["manager"]] {
			managers[r["manager"]] = true
			users = append(users, csvimport.Row{Line: len(users) + 2, Fields: map[string]string{"email": crmEmail(r["manager"]),
				"name": r["manager"], "role": "sales_manager", "team": r["regional_office"]}})
		}
	}
	for _, r := range teams {
		users = append(users, csvimport.Row{Line: len(users) + 2, Fields: map[string]string{"email": crmEmail(r["sales_agent"]),
			"name": r["sales_agent"], "role": "sales_rep", "team": r["regional_office"], "manager": crmEmail(r["manager"])}})
	}
	rs, err := db.Import(ctx, "users", users, sqldb.ImportOptions{File: "teams.csv"})
	check("users", rs, err)
	c := tandemtest.People(t, db, tandemtest.Admin, tandemtest.Mia, tandemtest.Sam)
	// Calendar dates in UTC; and a lost deal sends its lead back to
	// marketing whatever the touches (the export has none).
	body := strings.Replace(string(agreement.Default()), "time_zone: America/New_York", "time_zone: UTC", 1)
	body = strings.Replace(body, "min_touches_before_recycle: 6", "min_touches_before_recycle: 0", 1)
	c.Sign(t, db, body)

	clk.Set(crmNow)
	opps := crmFile(t, "opportunities.csv")
	engaged := map[string]string{}
	for _, o := range opps {
		engaged[o["opportunity_id"]] = o["engage_date"]
	}
	var leads []csvimport.Row
	for i, l := range crmFile(t, "leads.csv") {
		f := map[string]string{"source": l["source"], "external_id": l["opportunity_id"], "origin": l["origin"],
			"segment": l["segment"], "campaign": l["campaign"], "stage": l["stage"], "company": "lead " + l["opportunity_id"]}
		if e := engaged[l["opportunity_id"]]; e != "" {
			f["created_at"] = e
		}
		leads = append(leads, csvimport.Row{Line: i + 2, Fields: f})
	}
	rs, err = db.Import(ctx, "leads", leads, sqldb.ImportOptions{File: "leads.csv"})
	check("leads", rs, err)
	// Every lead became an opportunity: those marketing handed off were
	// accepted and qualified by sales.
	for i := range leads {
		leads[i].Fields = map[string]string{"source": leads[i].Fields["source"], "external_id": leads[i].Fields["external_id"],
			"stage": "opportunity"}
	}
	rs, err = db.Import(ctx, "leads", leads, sqldb.ImportOptions{File: "opportunities.csv"})
	check("leads to opportunity", rs, err)

	leadSource := map[string]string{}
	for _, l := range crmFile(t, "leads.csv") {
		leadSource[l["opportunity_id"]] = l["source"]
	}
	stages := map[string]string{"Prospecting": "qualification", "Engaging": "proposal", "Won": "won", "Lost": "lost"}
	var deals []csvimport.Row
	for i, o := range opps {
		id := o["opportunity_id"]
		f := map[string]string{"source": "crm", "external_id": id, "lead_source": leadSource[id], "lead_external_id": id,
			"stage": stages[o["deal_stage"]], "owner": crmEmail(o["sales_agent"]), "product": o["product"], "account": o["account"],
			"engaged_at": o["engage_date"], "created_at": o["engage_date"], "closed_at": o["close_date"]}
		switch o["deal_stage"] {
		case "Won":
			f["amount"] = o["close_value"]
		case "Lost":
			f["lost_reason"] = "unspecified" // the export gives none
		}
		deals = append(deals, csvimport.Row{Line: i + 2, Fields: f})
	}
	rs, err = db.Import(ctx, "deals", deals, sqldb.ImportOptions{File: "opportunities.csv"})
	check("deals", rs, err)
}

// crmFigures is one group of the deals report as the test writes it.
type crmFigures struct {
	Values                           string
	Opened, Open, Won, Lost, Samples int
	OpenByStage                      string // qualification/proposal/negotiation
	TooFew                           bool
	WinRate                          string
	WonCents                         int64
	Average, Median                  string
	DaysWon, DaysLost                string
	DaysWonN, DaysLostN              int
}

// crmExpected computes the deals report of [from, to) by dims from the
// export's files, with the test's own arithmetic.
func crmExpected(t *testing.T, from, to time.Time, dims []string) []crmFigures {
	teams := map[string]map[string]string{}
	for _, r := range crmFile(t, "teams.csv") {
		teams[r["sales_agent"]] = r
	}
	leads := map[string]map[string]string{}
	for _, l := range crmFile(t, "leads.csv") {
		leads[l["opportunity_id"]] = l
	}
	date := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatalf("bad date %q in the export", s)
		}
		return d
	}
	cents := func(s string) int64 {
		whole, frac, _ := strings.Cut(s, ".")
		w, _ := strconv.ParseInt(whole, 10, 64)
		f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
		return w*100 + f
	}
	type acc struct {
		opened, open, won, lost int
		byStage                 [3]int // Prospecting, Engaging, none
		amounts                 []int64
		daysWon, daysLost       []int
	}
	groups := map[string]*acc{}
	key := func(o map[string]string, at time.Time) string {
		var vs []string
		for _, d := range dims {
			var v string
			switch d {
			case "owner":
				v = o["sales_agent"]
			case "team":
				v = teams[o["sales_agent"]]["regional_office"]
			case "manager":
				v = teams[o["sales_agent"]]["manager"]
			case "product", "account":
				v = o[d]
			case "source", "origin", "segment", "campaign":
				v = leads[o["opportunity_id"]][d]
			case "handoff_stage":
				if leads[o["opportunity_id"]]["stage"] == "mql" {
					v = "mql" // handed off by marketing; an SQL came to sales without a hand-off
				}
			case "month":
				v = at.Format("2006-01")
			case "quarter":
				v = fmt.Sprintf("%d-Q%d", at.Year(), (int(at.Month())+2)/3)
			}
			vs = append(vs, v)
		}
		return strings.Join(vs, "|")
	}
	get := func(k string) *acc {
		if groups[k] == nil {
			groups[k] = &acc{}
		}
		return groups[k]
	}
	in := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }
	for _, o := range crmFile(t, "opportunities.csv") {
		opened := crmNow // a deal without an engage date is opened when its lead arrives
		if o["engage_date"] != "" {
			opened = date(o["engage_date"])
		}
		closed := o["deal_stage"] == "Won" || o["deal_stage"] == "Lost"
		for _, k := range groupKeys(dims, key(o, opened)) {
			if in(opened) {
				get(k).opened++
				if !closed {
					get(k).open++
					if o["deal_stage"] == "Prospecting" {
						get(k).byStage[0]++
					} else {
						get(k).byStage[1]++
					}
				}
			}
		}
		if !closed || !in(date(o["close_date"])) {
			continue
		}
		c := date(o["close_date"])
		days := int(c.Sub(date(o["engage_date"])).Hours() / 24)
		for _, k := range groupKeys(dims, key(o, c)) {
			g := get(k)
			if o["deal_stage"] == "Won" {
				g.won++
				g.amounts = append(g.amounts, cents(o["close_value"]))
				if days >= 0 {
					g.daysWon = append(g.daysWon, days)
				}
			} else {
				g.lost++
				if days >= 0 {
					g.daysLost = append(g.daysLost, days)
				}
			}
		}
	}
	median := func(xs []int) string {
		if len(xs) == 0 {
			return "-"
		}
		sort.Ints(xs)
		n := len(xs)
		if n%2 == 1 {
			return strconv.Itoa(xs[n/2])
		}
		return strconv.FormatFloat(float64(xs[n/2-1]+xs[n/2])/2, 'f', -1, 64)
	}
	var out []crmFigures
	for k, g := range groups {
		f := crmFigures{Values: k, Opened: g.opened, Open: g.open, OpenByStage: fmt.Sprintf("%d/%d/%d", g.byStage[0], g.byStage[1], g.byStage[2]), Won: g.won, Lost: g.lost, Samples: g.won + g.lost,
			TooFew: g.won+g.lost < 30, WinRate: "-", Average: "-", Median: "-", DaysWon: median(g.daysWon), DaysLost: median(g.daysLost),
			DaysWonN: len(g.daysWon), DaysLostN: len(g.daysLost)}
		if f.Samples > 0 {
			f.WinRate = fmt.Sprintf("%.6f", float64(g.won)/float64(g.won+g.lost))
		}
		var sum int64
		for _, a := range g.amounts {
			sum += a
		}
		f.WonCents = sum
		if n := int64(len(g.amounts)); n > 0 {
			f.Average = strconv.FormatInt((2*sum+n)/(2*n), 10) // rounded half up
			sort.Slice(g.amounts, func(i, j int) bool { return g.amounts[i] < g.amounts[j] })
			m := g.amounts[n/2]
			if n%2 == 0 {
				m = (g.amounts[n/2-1] + g.amounts[n/2] + 1) / 2
			}
			f.Median = strconv.FormatInt(m, 10)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Values < out[j].Values })
	return out
}

// groupKeys returns the groups a figure goes to: the total, and its own
// group when the report has dimensions.
func groupKeys(dims []string, key string) []string {
	if len(dims) == 0 {
		return []string{"TOTAL"}
	}
	return []string{"TOTAL", key}
}

// crmGot writes the report's groups and total as the test does.
func crmGot(r dealreport.Report) []crmFigures {
	opt := func(p *float64, f string) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf(f, *p)
	}
	optc := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	var out []crmFigures
	for _, g := range append(r.Groups, r.Total) {
		k := strings.Join(g.Values, "|")
		if len(g.Values) == 0 {
			k = "TOTAL"
		}
		out = append(out, crmFigures{Values: k, Opened: g.Opened, Open: g.OpenTotal,
			OpenByStage: fmt.Sprintf("%d/%d/%d", g.Open["qualification"], g.Open["proposal"], g.Open["negotiation"]), Won: g.Won, Lost: g.Lost, Samples: g.Samples,
			TooFew: g.TooFewSamples, WinRate: opt(g.WinRate, "%.6f"), WonCents: g.WonCents, Average: optc(g.AverageWonCents),
			Median: optc(g.MedianWonCents), DaysWon: opt(g.MedianDaysWon, "%g"),
			DaysLost: opt(g.MedianDaysLost, "%g"), DaysWonN: g.DaysWonSamples, DaysLostN: g.DaysLostSamples})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Values < out[j].Values })
	return out
}

// TestDealReportCRM imports a CRM's export and checks every figure of the
// deals report, by every dimension, against what the test computes from
// the files.
func TestDealReportCRM(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		db, clk := open(t, b)
		loadCRM(t, db, clk)
		ctx := context.Background()
		year := [2]time.Time{time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)}
		q2 := [2]time.Time{time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2017, 7, 1, 0, 0, 0, 0, time.UTC)}
		for _, c := range []struct {
			period string
			span   [2]time.Time
			by     []string
		}{
			{"2017", year, nil},
			{"2017", year, []string{"owner"}},
			{"2017", year, []string{"team"}},
			{"2017", year, []string{"manager"}},
			{"2017", year, []string{"product"}},
			{"2017", year, []string{"account"}},
			{"2017", year, []string{"source"}},
			{"2017", year, []string{"origin"}},
			{"2017", year, []string{"segment"}},
			{"2017", year, []string{"campaign"}},
			{"2017", year, []string{"handoff_stage"}},
			{"2017", year, []string{"month"}},
			{"2017", year, []string{"quarter", "team"}},
			{"2017-Q2", q2, []string{"owner", "month"}},
			{"2017-Q2", q2, []string{"manager", "product"}},
		} {
			r, err := report.Deals(ctx, db, crmNow, c.period, c.by)
			if err != nil {
				t.Fatalf("Deals(%s, by %v) = %v", c.period, c.by, err)
			}
			want := crmExpected(t, c.span[0], c.span[1], c.by)
			if diff := cmp.Diff(want, crmGot(r)); diff != "" {
				t.Errorf("Deals(%s, by %v) differs from the export (-want +got):\n%s", c.period, c.by, diff)
			}
		}
		// The export holds what the test relies on: a group on enough
		// closed deals and one on too few, an open deal, and the deal
		// won before it was engaged.
		r, err := report.Deals(ctx, db, crmNow, "2017", []string{"owner"})
		if err != nil {
			t.Fatalf("Deals: %v", err)
		}
		var enough, few bool
		for _, g := range r.Groups {
			enough = enough || !g.TooFewSamples
			few = few || g.TooFewSamples
		}
		if !enough || !few || r.Total.OpenTotal == 0 || r.Total.DaysWonSamples == r.Total.Won {
			t.Errorf("Deals(2017, by owner): a group on enough closed deals %v, one on too few %v, open %d, days won on %d of %d won; want true, true, some, fewer",
				enough, few, r.Total.OpenTotal, r.Total.DaysWonSamples, r.Total.Won)
		}
	})
}

// TestDealReportBadInput checks that a bad period or dimension is an
// EINVALID error naming it, with the valid dimensions listed.
func TestDealReportBadInput(t *testing.T) {
	b := sqldbtest.Backends(t)[0]
	db, _ := open(t, b)
	for _, c := range []struct {
		period string
		by     []string
		fields []string
	}{
		{"2017-13", nil, []string{"period"}},
		{"2017", []string{"rep"}, []string{"by"}},
		{"last year", []string{"owner", "owner"}, []string{"period", "by"}},
	} {
		_, err := report.Deals(context.Background(), db, crmNow, c.period, c.by)
		var got []string
		for _, f := range tandem.ErrorFields(err) {
			got = append(got, f.Field)
		}
		if tandem.ErrorCode(err) != tandem.EINVALID || !cmp.Equal(got, c.fields) {
			t.Errorf("Deals(%q, %q) = %v; want EINVALID on %v", c.period, c.by, err, c.fields)
		}
		if c.by != nil && c.by[0] == "rep" && !strings.Contains(err.Error(), strings.Join(dealreport.Dims, ", ")) {
			t.Errorf("Deals(by rep) = %v; want the valid dimensions listed", err)
		}
	}
}
