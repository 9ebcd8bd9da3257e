package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// olistDeals is the real Olist file of closed (won) deals.
const olistDeals = "../../../shared/data/olist-funnel/olist_closed_deals_dataset.csv"

// readCSV reads a whole CSV file with encoding/csv, as maps by column.
func readCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: the Olist import is not tested", path)
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows
		} else if err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

// olistFacts is what the test computes from the two Olist files with its
// own code: won deals per month of won_date, the MQLs that became
// customers, the deals won before their first contact, and the sum of the
// declared monthly revenues, in cents.
type olistFacts struct {
	wonPerMonth   map[string]int
	customers     int
	beforeContact int
	revenueCents  int64
	// sellers are the distinct seller_ids, in the file's order: each is a
	// deal's account, created by name.
	sellers []string
}

func olistDealFacts(t testing.TB) olistFacts {
	t.Helper()
	firstContact := map[string]string{}
	for _, row := range readCSV(t, olistMQL) {
		firstContact[row["mql_id"]] = row["first_contact_date"]
	}
	facts := olistFacts{wonPerMonth: map[string]int{}}
	customers := map[string]bool{}
	seller := map[string]bool{}
	for _, row := range readCSV(t, olistDeals) {
		if !seller[row["seller_id"]] {
			seller[row["seller_id"]] = true
			facts.sellers = append(facts.sellers, row["seller_id"])
		}
		facts.wonPerMonth[row["won_date"][:7]]++
		if first, ok := firstContact[row["mql_id"]]; ok {
			customers[row["mql_id"]] = true
			if row["won_date"][:10] < first {
				facts.beforeContact++
			}
		}
		v, err := strconv.ParseFloat(row["declared_monthly_revenue"], 64)
		if err != nil {
			t.Fatalf("declared_monthly_revenue %q: %v", row["declared_monthly_revenue"], err)
		}
		facts.revenueCents += int64(math.Round(v * 100))
	}
	facts.customers = len(customers)
	return facts
}

// TestImportOlistDeals imports the Olist MQLs, then the closed deals, and
// checks Tandem's won deals per month and its customers against what the
// files say, counted above with encoding/csv alone; a second import of the
// deals changes nothing.
func TestImportOlistDeals(t *testing.T) {
	facts := olistDealFacts(t)
	total := 0
	for _, n := range facts.wonPerMonth {
		total += n
	}
	if total != 842 || facts.customers != 842 || facts.beforeContact != 1 {
		t.Fatalf("%s: %d deals, %d customers, %d won before first contact; want the published file: 842, 842, 1",
			olistDeals, total, facts.customers, facts.beforeContact)
	}
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			rejects := filepath.Join(t.TempDir(), "rejects.csv")
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			r := run("import", "leads", olistMQL, "--preset", "olist", "--rejects", rejects)
			if r.code != 0 {
				t.Fatalf("import leads: %+v", r)
			}
			start := time.Now()
			r = run("import", "deals", olistDeals, "--preset", "olist", "--rejects", rejects)
			t.Logf("%s: 842 deals imported in %v", b.Name, time.Since(start).Round(time.Millisecond))
			r.stdout = timeless(r.stdout)
			r.want(t, "import deals --preset olist", 0, olistDeals+": 842 rows imported in Ts: 842 created, 0 updated, 0 unchanged, 0 rejected\n"+
				fmt.Sprintf("created %d accounts: %s and %d more (named by the file's rows, not brought by rows of their own)\n",
					len(facts.sellers), strings.Join(facts.sellers[:10], ", "), len(facts.sellers)-10), "")

			db := openDB(t, b.DSN)
			// The file's times have no offset: they are read in the zone of
			// the agreement in force, the default's New York, and so are
			// its months.
			newYork, err := time.LoadLocation("America/New_York")
			if err != nil {
				t.Fatalf("time.LoadLocation: %v", err)
			}
			got := map[string]int{}
			for month := range facts.wonPerMonth {
				from, err := time.ParseInLocation("2006-01", month, newYork)
				if err != nil {
					t.Fatalf("time.ParseInLocation: %v", err)
				}
				page, err := db.Deals(ctx, tandem.DealFilter{Stage: tandem.DealWon, ClosedFrom: from, ClosedTo: from.AddDate(0, 1, 0), Limit: 1})
				if err != nil {
					t.Fatalf("Deals: %v", err)
				}
				got[month] = page.Total
			}
			if diff := cmp.Diff(facts.wonPerMonth, got); diff != "" {
				t.Errorf("won deals per month of won_date (-files +store):\n%s", diff)
			}
			page, err := db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"stage": "customer"}, Limit: 1})
			if err != nil || page.Total != facts.customers {
				t.Errorf("customers = %d, %v; want %d", page.Total, err, facts.customers)
			}
			var before int
			var cents int64
			f := tandem.DealFilter{Limit: 1000}
			for {
				page, err := db.Deals(ctx, f)
				if err != nil {
					t.Fatalf("Deals: %v", err)
				}
				for _, d := range page.Deals {
					cents += d.AmountCents
					if d.ClosedBeforeEngaged() {
						before++
					}
					if d.Attributes["sr_id"] == "" || d.Account == "" {
						t.Errorf("deal %d = %+v; want the seller as account and sr_id kept as an attribute", d.ID, d)
					}
				}
				if page.Next == 0 {
					break
				}
				f.After = page.Next
			}
			if before != facts.beforeContact || cents != facts.revenueCents {
				t.Errorf("deals closed before engaged = %d, amounts = %d cents; want %d, %d", before, cents, facts.beforeContact, facts.revenueCents)
			}

			r = run("import", "deals", olistDeals, "--preset", "olist", "--rejects", rejects)
			r.stdout = timeless(r.stdout)
			r.want(t, "import deals --preset olist (again)", 0, olistDeals+": 842 rows imported in Ts: 0 created, 0 updated, 842 unchanged, 0 rejected\n", "")
			run("ledger", "verify").want(t, "ledger verify", 0, "8000 leads checked, 0 differ from their ledger\n", "")
			if _, err := os.Stat(rejects); !os.IsNotExist(err) {
				t.Errorf("clean imports wrote a rejects file (%v); want none", err)
			}
		})
	}
}

// TestImportDealsRejects imports deals whose leads are partly missing: each
// such row is rejected with its line and the column at fault.
func TestImportDealsRejects(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			dir := t.TempDir()
			write := func(name, text string) string {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatalf("os.WriteFile: %v", err)
				}
				return path
			}
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			mqls := write("mql.csv", "mql_id,first_contact_date,landing_page_id,origin\n"+
				"m1,2018-02-01,lp1,social\nm2,2018-02-03,lp1,email\n")
			r := run("import", "leads", mqls, "--preset", "olist")
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads", 0, timelessWant(mqls, "2 rows imported", "2 created, 0 updated, 0 unchanged, 0 rejected"), "")

			deals := write("deals.csv", "mql_id,seller_id,sdr_id,sr_id,won_date,business_segment,lead_type,lead_behaviour_profile,has_company,has_gtin,average_stock,business_type,declared_product_catalog_size,declared_monthly_revenue\n"+
				"m1,s1,d1,r1,2018-03-01 10:00:00,pet,online_medium,cat,,,,reseller,,0.0\n"+
				"m9,s9,d1,r1,2018-03-02 10:00:00,pet,online_medium,cat,,,,reseller,,0.0\n"+
				"m2,s2,d1,r1,2018-03-03 10:00:00,pet,online_medium,\"cat, wolf\",,,,reseller,,-5\n"+
				"m2,s2,d1,r1,yesterday,pet,online_medium,,,,,reseller,,0.0\n")
			rejects := filepath.Join(dir, "deals.rejects.csv")
			r = run("import", "deals", deals, "--preset", "olist")
			r.stdout = timeless(r.stdout)
			r.want(t, "import deals", 0, timelessWant(deals, "4 rows imported", "2 created, 0 updated, 0 unchanged, 2 rejected")+
				"created 2 accounts: s1, s9 (named by the file's rows, not brought by rows of their own)\n"+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")
			got, err := os.ReadFile(rejects)
			if err != nil {
				t.Fatalf("os.ReadFile: %v", err)
			}
			lines := strings.Split(strings.TrimSpace(string(got)), "\n")
			want := []string{
				"line,column,reason,mql_id,seller_id,sdr_id,sr_id,won_date,business_segment,lead_type,lead_behaviour_profile,has_company,has_gtin,average_stock,business_type,declared_product_catalog_size,declared_monthly_revenue",
				// Rows the reader refuses come first: the others are
				// stored, and refused, by batch.
				`5,won_date,"""yesterday"" is not a time in any of the formats ""2006-01-02 15:04:05"", ""2006-01-02""",m2,s2,d1,r1,yesterday,pet,online_medium,,,,,reseller,,0.0`,
				// Line 3's lead m9 is not found: the deal creates it
				// (docs/deals.md).
				`4,declared_monthly_revenue,"amount: ""-5"" is negative: an amount is zero or more",m2,s2,d1,r1,2018-03-03 10:00:00,pet,online_medium,"cat, wolf",,,,reseller,,'-5`,
				// The file's own cells are text: "-5" gets the single
				// quote that keeps a spreadsheet from reading a formula
				// (package csvout), which the reader drops again.
			}
			if diff := cmp.Diff(want, lines); diff != "" {
				t.Errorf("rejects file (-want +got):\n%s", diff)
			}

			// A mapping naming a column the file lacks says which.
			mapping := write("deals.yaml", "kind: deals\nsource: olist\nfields:\n  lead_external_id: mql_id\n  closed_at: closed_on\n  amount: {column: [Amount, Value]}\nconstants:\n  stage: won\n")
			run("import", "deals", deals, "--mapping", mapping).want(t, "import deals --mapping (missing columns)", 1, "",
				"tandem: "+deals+": line 1: the header does not fit the mapping:\n"+
					"  field closed_at ("+mapping+":5): no column \"closed_on\" in the header\n"+
					"  field amount ("+mapping+":6): no column named \"Amount\" or \"Value\" in the header\n")
			// A mapping or a preset of another kind is refused.
			run("import", "leads", deals, "--mapping", mapping).want(t, "import leads --mapping deals.yaml", 1, "",
				"tandem: "+mapping+" maps deals, not leads: use tandem import deals\n")
			run("import", "leads", deals, "--preset", "hubspot_deals").want(t, "import leads --preset hubspot_deals", 1, "",
				"tandem: preset \"hubspot_deals\" maps deals, not leads (lead presets: hubspot, olist, salesforce)\n")
			run("import", "deals", deals).want(t, "import deals (no mapping)", 2, "", "tandem: give --mapping FILE or --preset NAME (crm, hubspot, olist, salesforce)\n")
		})
	}
}

// timelessWant is an import's summary line with its time left out.
func timelessWant(file, what, counts string) string {
	return file + ": " + what + " in Ts: " + counts + "\n"
}

// TestImportUsers imports a team whose managers come after their reps, then
// the same file again, and a change.
func TestImportUsers(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			dir := t.TempDir()
			write := func(name, text string) string {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatalf("os.WriteFile: %v", err)
				}
				return path
			}
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			mapping := write("users.yaml", "kind: users\nfields:\n  email: Email\n  name: Name\n  role: {column: Role, normalize: snake_case}\n"+
				"  team: {column: Office, optional: true}\n  manager: {column: Manager, optional: true}\n")
			users := write("users.csv", "Email,Name,Role,Office,Manager\n"+
				"rex@example.com,Rex Rep,Sales Rep,Boston,manu@example.com\n"+
				"ria@example.com,Ria Rep,sales_rep,Boston,manu@example.com\n"+
				"manu@example.com,Manu Manager,Sales Manager,Boston,sam@example.com\n"+
				"sam@example.com,Sam Head,sales_head,,\n"+
				"zed@example.com,Zed,wizard,,\n"+
				"yan@example.com,Yan,sales_rep,,nobody@example.com\n"+
				"REX@example.com,Rex again,sales_rep,,\n")
			r := run("import", "users", users, "--mapping", mapping)
			r.stdout = timeless(r.stdout)
			rejects := filepath.Join(dir, "users.rejects.csv")
			r.want(t, "import users", 0, timelessWant(users, "7 rows imported", "4 created, 0 updated, 0 unchanged, 3 rejected")+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")
			got, err := os.ReadFile(rejects)
			if err != nil {
				t.Fatalf("os.ReadFile: %v", err)
			}
			wantRejects := "line,column,reason,Email,Name,Role,Office,Manager\n" +
				`6,Role,"role: ""wizard"" is not a role (want one of admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)",zed@example.com,Zed,wizard,,` + "\n" +
				`7,Manager,"manager: no user with email nobody@example.com, in the file or in Tandem",yan@example.com,Yan,sales_rep,,nobody@example.com` + "\n" +
				`8,Email,email: rex@example.com is given again (first on line 2),REX@example.com,Rex again,sales_rep,,` + "\n"
			if diff := cmp.Diff(wantRejects, string(got)); diff != "" {
				t.Errorf("rejects (-want +got):\n%s", diff)
			}
			db := openDB(t, b.DSN)
			type row struct{ Email, Name, Role, Team, Manager string }
			list := func() []row {
				us, err := db.Users(ctx)
				if err != nil {
					t.Fatalf("Users: %v", err)
				}
				byID := map[int64]string{}
				for _, u := range us {
					byID[u.ID] = u.Email
				}
				var out []row
				for _, u := range us {
					out = append(out, row{u.Email, u.Name, string(u.Role), u.Team, byID[u.ManagerID]})
				}
				slices.SortFunc(out, func(a, b row) int { return strings.Compare(a.Email, b.Email) })
				return out
			}
			want := []row{
				{"manu@example.com", "Manu Manager", "sales_manager", "Boston", "sam@example.com"},
				{"rex@example.com", "Rex Rep", "sales_rep", "Boston", "manu@example.com"},
				{"ria@example.com", "Ria Rep", "sales_rep", "Boston", "manu@example.com"},
				{"sam@example.com", "Sam Head", "sales_head", "", ""},
			}
			if diff := cmp.Diff(want, list()); diff != "" {
				t.Errorf("users after the import (-want +got):\n%s", diff)
			}

			r = run("import", "users", users, "--mapping", mapping)
			r.stdout = timeless(r.stdout)
			r.want(t, "import users (again)", 0, timelessWant(users, "7 rows imported", "0 created, 0 updated, 4 unchanged, 3 rejected")+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")

			// Ria is promoted and Rex reports to her, on a line above hers.
			changed := write("changed.csv", "Email,Name,Role,Office,Manager\n"+
				"rex@example.com,Rex Rep,sales_rep,Boston,ria@example.com\n"+
				"ria@example.com,Ria Rep,sales_manager,Boston,sam@example.com\n")
			r = run("import", "users", changed, "--mapping", mapping)
			r.stdout = timeless(r.stdout)
			r.want(t, "import users (changes)", 0, timelessWant(changed, "2 rows imported", "0 created, 2 updated, 0 unchanged, 0 rejected"), "")
			want[1].Manager, want[2].Role, want[2].Manager = "ria@example.com", "sales_manager", "sam@example.com"
			if diff := cmp.Diff(want, list()); diff != "" {
				t.Errorf("users after the changes (-want +got):\n%s", diff)
			}
			run("import", "users", changed).want(t, "import users (no mapping)", 2, "", "tandem: give --mapping FILE or --preset NAME (crm)\n")
		})
	}
}
