package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// The CRM-shaped fixtures: a teams file of names without emails, with an
// office column; accounts with parent companies; products with series; and
// opportunities that name their agent, product and account.
const (
	crmTeams    = "testdata/crm/teams.csv"
	crmAccounts = "testdata/crm/accounts.csv"
	crmProducts = "testdata/crm/products.csv"
	crmOpps     = "testdata/crm/opportunities.csv"
)

// key is how the test compares names, written again here: spaces trimmed
// and collapsed, case folded.
func key(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// cents reads a price or revenue as the test's own arithmetic does.
func cents(s string) (int64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return int64(f*100 + 0.5), true
}

// TestImportCRM imports the four CRM files in one command each, on both
// databases, and checks the users, accounts, products and deals Tandem
// holds, and the summaries, against what the test computes from the CSV.
func TestImportCRM(t *testing.T) {
	// The teams file: agents are reps; managers named only in the manager
	// column are added once, in the office of their first agent.
	type person struct{ Name, Role, Team, Manager, Email string }
	wantUsers := map[string]person{}
	var newManagers []string
	teamRows, teamDups := 0, 0
	for _, row := range readCSV(t, crmTeams) {
		teamRows++
		if _, dup := wantUsers[key(row["sales_agent"])]; dup {
			teamDups++
			continue
		}
		wantUsers[key(row["sales_agent"])] = person{row["sales_agent"], "sales_rep", row["regional_office"], row["manager"], ""}
	}
	for _, row := range readCSV(t, crmTeams) {
		m := key(row["manager"])
		if _, ok := wantUsers[m]; !ok {
			wantUsers[m] = person{row["manager"], "sales_manager", row["regional_office"], "", ""}
			newManagers = append(newManagers, row["manager"])
		}
	}

	// The accounts file: a row is good if its name fits and its numbers
	// are numbers; a parent without a row of its own is created by name.
	type account struct {
		Name, Sector, Parent string
		Revenue, Employees   int64
	}
	wantAccounts := map[string]account{}
	var accCreated, accUpdated, accRejected int
	createdByName := map[string]string{} // key → name, until a row brings it
	for _, row := range readCSV(t, crmAccounts) {
		rev, okRev := cents(row["revenue"])
		emp, errEmp := strconv.ParseInt(row["employees"], 10, 64)
		if utf8.RuneCountInString(row["account"]) > 200 || !okRev || errEmp != nil {
			accRejected++
			continue
		}
		k := key(row["account"])
		if _, ok := createdByName[k]; ok {
			accUpdated++
			delete(createdByName, k)
		} else {
			accCreated++
		}
		wantAccounts[k] = account{row["account"], row["sector"], row["subsidiary_of"], rev, emp}
		if p := row["subsidiary_of"]; p != "" {
			if _, ok := wantAccounts[key(p)]; !ok {
				wantAccounts[key(p)] = account{Name: p}
				createdByName[key(p)] = p
			}
		}
	}
	var accIntro []string
	for _, row := range readCSV(t, crmAccounts) {
		if n, ok := createdByName[key(row["subsidiary_of"])]; ok && !slices.Contains(accIntro, n) {
			accIntro = append(accIntro, n)
		}
	}

	type product struct {
		Name, Series string
		Price        int64
	}
	wantProducts := map[string]product{}
	prodRejected := 0
	for _, row := range readCSV(t, crmProducts) {
		p, ok := cents(row["sales_price"])
		if !ok {
			prodRejected++
			continue
		}
		wantProducts[key(row["product"])] = product{row["product"], row["series"], p}
	}
	prodGood := len(wantProducts)

	// The opportunities: a row is good if its agent is a user and its
	// product's name fits; an account or product it names that neither
	// file brought is created by name, once.
	type group struct {
		Deals, Won, Lost, Leads int
		WonCents                int64
	}
	byAccount, bySector, byProduct, bySeries := map[string]group{}, map[string]group{}, map[string]group{}, map[string]group{}
	owners := map[string]string{} // opportunity → agent
	var dealIntroAcc, dealIntroProd []string
	dealRows, dealRejected := 0, 0
	for _, row := range readCSV(t, crmOpps) {
		dealRows++
		if _, ok := wantUsers[key(row["sales_agent"])]; !ok || utf8.RuneCountInString(row["product"]) > 200 {
			dealRejected++
			continue
		}
		owners[row["opportunity_id"]] = row["sales_agent"]
		a, p := key(row["account"]), key(row["product"])
		if _, ok := wantAccounts[a]; !ok && a != "" {
			wantAccounts[a] = account{Name: row["account"]}
			dealIntroAcc = append(dealIntroAcc, row["account"])
		}
		if _, ok := wantProducts[p]; !ok {
			wantProducts[p] = product{Name: row["product"]}
			dealIntroProd = append(dealIntroProd, row["product"])
		}
		add := func(m map[string]group, k string) {
			g := m[k]
			g.Deals++
			switch row["deal_stage"] {
			case "Won":
				g.Won++
				c, _ := cents(row["close_value"])
				g.WonCents += c
			case "Lost":
				g.Lost++
			}
			m[k] = g
		}
		accName := ""
		if a != "" {
			accName = wantAccounts[a].Name
			g := byAccount[accName]
			g.Leads++ // one lead a deal here
			byAccount[accName] = g
		}
		add(byAccount, accName)
		add(bySector, wantAccounts[a].Sector)
		add(byProduct, wantProducts[p].Name)
		add(bySeries, wantProducts[p].Series)
	}

	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		return path
	}
	leadsMapping := write("leads.yaml", "kind: leads\nsource: crm\nfields:\n  external_id: opportunity_id\n  company: {column: account, optional: true}\n")
	dealsMapping := write("deals.yaml", `kind: deals
source: crm
fields:
  external_id: opportunity_id
  lead_external_id: opportunity_id
  owner: sales_agent
  product: product
  account: {column: account, optional: true}
  stage: {column: deal_stage, values: {Prospecting: open, Engaging: open, Won: won, Lost: lost}}
  engaged_at: {column: engage_date, optional: true}
  closed_at: {column: close_date, optional: true}
  amount: {column: close_value, optional: true}
  lost_reason: {column: lost_reason, optional: true}
`)
	intro := func(what string, names []string) string {
		noun := what
		if len(names) != 1 {
			noun += "s"
		}
		return fmt.Sprintf("created %d %s: %s", len(names), noun, strings.Join(names, ", "))
	}
	const named = " (named by the file's rows, not brought by rows of their own)\n"

	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			run := func(args ...string) result {
				r := tandemCmd(t, clk, b.DSN, append(args, "--rejects", filepath.Join(t.TempDir(), "rejects.csv"))...)
				r.stdout = timeless(r.stdout)
				return r
			}
			rejects := func(r result) string {
				_, after, _ := strings.Cut(r.stdout, "rejected rows, with line numbers and reasons: ")
				if after == "" {
					return ""
				}
				data, err := os.ReadFile(strings.TrimSpace(after))
				if err != nil {
					t.Fatalf("os.ReadFile: %v", err)
				}
				return string(data)
			}
			summary := func(file string, rows, created, updated, unchanged, rejected int) string {
				return timelessWant(file, fmt.Sprintf("%d rows imported", rows),
					fmt.Sprintf("%d created, %d updated, %d unchanged, %d rejected", created, updated, unchanged, rejected))
			}

			r := run("import", "users", crmTeams, "--preset", "crm")
			if want := summary(crmTeams, teamRows, teamRows-teamDups, 0, 0, teamDups) + intro("manager", newManagers) + named; !strings.HasPrefix(r.stdout, want) || r.code != 0 {
				t.Errorf("import users --preset crm = %d, %q; want it to start %q", r.code, r.stdout, want)
			}
			if rej := rejects(r); !strings.Contains(rej, "name: Anna Snelling is given again (first on line 2)") {
				t.Errorf("users rejects = %q; want the second Anna Snelling refused", rej)
			}
			db := openDB(t, b.DSN)
			us, err := db.Users(ctx)
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			nameOf := map[int64]string{}
			for _, u := range us {
				nameOf[u.ID] = u.Name
			}
			gotUsers := map[string]person{}
			for _, u := range us {
				gotUsers[key(u.Name)] = person{u.Name, string(u.Role), u.Team, nameOf[u.ManagerID], u.Email}
			}
			if diff := cmp.Diff(wantUsers, gotUsers); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}

			r = run("import", "accounts", crmAccounts, "--preset", "crm")
			if want := summary(crmAccounts, accCreated+accUpdated+accRejected, accCreated, accUpdated, 0, accRejected) + intro("account", accIntro) + named; !strings.HasPrefix(r.stdout, want) || r.code != 0 {
				t.Errorf("import accounts --preset crm = %d, %q; want it to start %q", r.code, r.stdout, want)
			}
			rej := rejects(r)
			for _, want := range []string{"10,revenue,", `"revenue: ""lots"" is not an amount`, "12,account,", "too long: a name has at most 200", "13,employees,"} {
				if !strings.Contains(rej, want) {
					t.Errorf("accounts rejects = %q; want %q in it", rej, want)
				}
			}
			r = run("import", "products", crmProducts, "--preset", "crm")
			if want := summary(crmProducts, prodGood+prodRejected, prodGood, 0, 0, prodRejected); !strings.HasPrefix(r.stdout, want) || r.code != 0 {
				t.Errorf("import products --preset crm = %d, %q; want it to start %q", r.code, r.stdout, want)
			}
			if rej := rejects(r); !strings.Contains(rej, `9,sales_price,"list_price: ""cheap"" is not an amount`) {
				t.Errorf("products rejects = %q; want the price of line 9 refused", rej)
			}

			r = run("import", "leads", crmOpps, "--mapping", leadsMapping)
			if r.code != 0 {
				t.Fatalf("import leads: %+v", r)
			}
			r = run("import", "deals", crmOpps, "--mapping", dealsMapping)
			if want := summary(crmOpps, dealRows, dealRows-dealRejected, 0, 0, dealRejected) +
				intro("account", dealIntroAcc) + "; " + intro("product", dealIntroProd) + named; !strings.HasPrefix(r.stdout, want) || r.code != 0 {
				t.Errorf("import deals = %d, %q; want it to start %q", r.code, r.stdout, want)
			}
			rej = rejects(r)
			for _, want := range []string{`owner: no user with name ""Nobody Here""`, "product,", "a name has at most 200"} {
				if !strings.Contains(rej, want) {
					t.Errorf("deals rejects = %q; want %q in it", rej, want)
				}
			}

			as, err := db.Accounts(ctx)
			if err != nil {
				t.Fatalf("Accounts: %v", err)
			}
			gotAccounts := map[string]account{}
			for _, a := range as {
				gotAccounts[key(a.Name)] = account{a.Name, a.Sector, a.Parent, a.RevenueCents, a.Employees}
			}
			if diff := cmp.Diff(wantAccounts, gotAccounts); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			ps, err := db.Products(ctx)
			if err != nil {
				t.Fatalf("Products: %v", err)
			}
			gotProducts := map[string]product{}
			for _, p := range ps {
				gotProducts[key(p.Name)] = product{p.Name, p.Series, p.ListPriceCents}
			}
			if diff := cmp.Diff(wantProducts, gotProducts); diff != "" {
				t.Errorf("products (-want +got):\n%s", diff)
			}
			for _, dim := range []struct {
				by   string
				want map[string]group
			}{{sqldb.ByAccount, byAccount}, {sqldb.BySector, bySector}, {sqldb.ByProduct, byProduct}, {sqldb.BySeries, bySeries}} {
				gs, err := db.DealsBy(ctx, dim.by)
				if err != nil {
					t.Fatalf("DealsBy(%s): %v", dim.by, err)
				}
				got := map[string]group{}
				for _, g := range gs {
					got[g.Key] = group{g.Deals, g.Won, g.Lost, g.Leads, g.WonCents}
				}
				if diff := cmp.Diff(dim.want, got); diff != "" {
					t.Errorf("DealsBy(%s) (-want +got):\n%s", dim.by, diff)
				}
			}
			// The deals report reads the same links.
			for _, dim := range []struct {
				by   string
				want map[string]group
			}{{"product_series", bySeries}, {"account_sector", bySector}, {"product", byProduct}} {
				rows, err := db.DealReportRows(ctx, sqldb.DealReportQuery{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
					To: epoch.AddDate(1, 0, 0), By: []string{dim.by}})
				if err != nil {
					t.Fatalf("DealReportRows(%s): %v", dim.by, err)
				}
				got, want := map[string]int{}, map[string]int{}
				for _, d := range rows {
					got[d.Values[0]]++
				}
				for k, g := range dim.want {
					want[k] = g.Deals
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("DealReportRows(by %s): deals per group (-want +got):\n%s", dim.by, diff)
				}
			}
			page, err := db.Deals(ctx, tandem.DealFilter{Limit: 1000})
			if err != nil {
				t.Fatalf("Deals: %v", err)
			}
			gotOwners := map[string]string{}
			for _, d := range page.Deals {
				gotOwners[d.ExternalID] = nameOf[d.OwnerID]
			}
			if diff := cmp.Diff(owners, gotOwners); diff != "" {
				t.Errorf("deal owners (-want +got):\n%s", diff)
			}

			// Again: nothing changes and nothing is created by name.
			for _, again := range []struct {
				args           []string
				file           string
				rows, rejected int
			}{
				{[]string{"import", "users", crmTeams, "--preset", "crm"}, crmTeams, teamRows - teamDups, teamDups},
				{[]string{"import", "accounts", crmAccounts, "--preset", "crm"}, crmAccounts, accCreated + accUpdated, accRejected},
				{[]string{"import", "products", crmProducts, "--preset", "crm"}, crmProducts, prodGood, prodRejected},
				{[]string{"import", "deals", crmOpps, "--mapping", dealsMapping}, crmOpps, dealRows - dealRejected, dealRejected},
			} {
				r := run(again.args...)
				want := summary(again.file, again.rows+again.rejected, 0, 0, again.rows, again.rejected)
				if !strings.HasPrefix(r.stdout, want) {
					t.Errorf("%v again = %q; want it to start %q", again.args, r.stdout, want)
				}
				if strings.Contains(r.stdout, named) {
					t.Errorf("%v again = %q; want nothing created by name", again.args, r.stdout)
				}
			}
		})
	}
}

// BenchmarkImportCRM imports a generated CRM export of
// TANDEM_BENCH_OPPS opportunities (default 10,000) with its teams (35
// agents under 6 managers), accounts (85, some subsidiaries) and products
// (7), each file in one command; it reports the seconds of the
// opportunities' import (the deals, which resolve their agent, account and
// product by name), after their leads.
func BenchmarkImportCRM(b *testing.B) {
	n := 10000
	if v := os.Getenv("TANDEM_BENCH_OPPS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("TANDEM_BENCH_OPPS=%q: %v", v, err)
		}
	}
	dir := b.TempDir()
	write := func(name string, fill func(w *strings.Builder)) string {
		var sb strings.Builder
		fill(&sb)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			b.Fatalf("os.WriteFile: %v", err)
		}
		return path
	}
	offices := []string{"Central", "East", "West"}
	teams := write("teams.csv", func(w *strings.Builder) {
		w.WriteString("sales_agent,manager,regional_office\n")
		for i := range 35 {
			fmt.Fprintf(w, "Agent %d,Manager %d,%s\n", i, i%6, offices[(i%6)/2])
		}
	})
	accounts := write("accounts.csv", func(w *strings.Builder) {
		w.WriteString("account,sector,year_established,revenue,employees,office_location,subsidiary_of\n")
		for i := range 85 {
			parent := ""
			if i%10 == 9 {
				parent = fmt.Sprintf("Account %d", i-9)
			}
			fmt.Fprintf(w, "Account %d,sector%d,%d,%d.50,%d,United States,%s\n", i, i%10, 1980+i%40, 100+i, 50+i, parent)
		}
	})
	products := write("products.csv", func(w *strings.Builder) {
		w.WriteString("product,series,sales_price\n")
		for i := range 7 {
			fmt.Fprintf(w, "Product %d,Series %d,%d\n", i, i%3, 55+i*1000)
		}
	})
	stages := []string{"Prospecting", "Engaging", "Won", "Lost"}
	opps := write("opportunities.csv", func(w *strings.Builder) {
		w.WriteString("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value,lost_reason\n")
		for i := range n {
			st := stages[i%4]
			engage, closeDate, value, reason, account := "", "", "", "", fmt.Sprintf("Account %d", i%85)
			switch st {
			case "Prospecting":
				account = ""
			case "Engaging":
				engage = "2017-01-05"
			case "Won":
				engage, closeDate, value = "2017-01-05", "2017-03-01", strconv.Itoa(500+i%5000)
			case "Lost":
				engage, closeDate, value, reason = "2017-01-05", "2017-03-02", "0", "price"
			}
			fmt.Fprintf(w, "O%06d,Agent %d,Product %d,%s,%s,%s,%s,%s,%s\n", i, i%35, i%7, account, st, engage, closeDate, value, reason)
		}
	})
	leadsMapping := write("leads.yaml", func(w *strings.Builder) {
		w.WriteString("kind: leads\nsource: crm\nfields:\n  external_id: opportunity_id\n  company: {column: account, optional: true}\n")
	})
	dealsMapping := write("deals.yaml", func(w *strings.Builder) {
		w.WriteString("kind: deals\nsource: crm\nfields:\n  external_id: opportunity_id\n  lead_external_id: opportunity_id\n  owner: sales_agent\n" +
			"  product: product\n  account: {column: account, optional: true}\n" +
			"  stage: {column: deal_stage, values: {Prospecting: open, Engaging: open, Won: won, Lost: lost}}\n" +
			"  engaged_at: {column: engage_date, optional: true}\n  closed_at: {column: close_date, optional: true}\n" +
			"  amount: {column: close_value, optional: true}\n  lost_reason: {column: lost_reason, optional: true}\n")
	})
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			clk := clock.NewFake(epoch)
			var dealsTime float64
			runs := 0
			for b.Loop() {
				b.StopTimer()
				dsn := filepath.Join(b.TempDir(), "tandem.db")
				if be.Name == "postgres" {
					dsn = sqldbtest.NewSchema(b, os.Getenv(sqldbtest.EnvPostgres))
				}
				run := func(args ...string) {
					r := tandemCmd(b, clk, dsn, append(args, "--rejects", filepath.Join(b.TempDir(), "rejects.csv"))...)
					if r.code != 0 || strings.Contains(r.stdout, "rejected rows") {
						b.Fatalf("tandem %v: exit status %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
					}
				}
				b.StartTimer()
				run("import", "users", teams, "--preset", "crm")
				run("import", "accounts", accounts, "--preset", "crm")
				run("import", "products", products, "--preset", "crm")
				run("import", "leads", opps, "--mapping", leadsMapping)
				start := time.Now()
				run("import", "deals", opps, "--mapping", dealsMapping)
				dealsTime += time.Since(start).Seconds()
				runs++
			}
			b.ReportMetric(dealsTime/float64(runs), "s/deals-import")
			b.ReportMetric(float64(n*runs)/dealsTime, "deals/s")
		})
	}
}
