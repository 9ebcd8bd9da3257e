package sqldb_test

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// boardWorld is six deals of six leads, owned as the read rule needs:
//
//	d1 lead L1 (Rex)  qualification 1,000.00 owner Rex, Acme, Widget
//	d2 lead L2 (Rex)  proposal      2,500.50 owner Rex, Acme, Gadget
//	d3 lead L3 (Ria)  proposal      4,000.00 owner Ria, Beta, Widget
//	d4 lead L4 (none) negotiation     999.99 no owner,  Beta
//	d5 lead L5 (Ria)  won 700.00 on 5 Nov 2026, owner Ria, Widget
//	d6 lead L6 (Rex)  lost (price) on 10 Oct 2026, owner Rex
//
// It is 20 Nov 2026; the default agreement (probabilities 0.2, 0.5, 0.8)
// is in force.
type boardWorld struct {
	db    *sqldb.DB
	c     tandemtest.Cast
	deals map[string]int64 // d1... → id
}

func newBoardWorld(t *testing.T, b sqldbtest.Backend) boardWorld {
	t.Helper()
	ctx := context.Background()
	db, clk := open(t, b)
	c := tandemtest.People(t, db)
	c.Sign(t, db, string(agreement.Default()))
	clk.Set(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
	owners := map[string]int64{"L1": c.Rex.ID, "L2": c.Rex.ID, "L3": c.Ria.ID, "L4": 0, "L5": c.Ria.ID, "L6": c.Rex.ID}
	var leads []tandem.LeadInput
	for _, ext := range []string{"L1", "L2", "L3", "L4", "L5", "L6"} {
		in := input("external_id", ext, "first_name", "Lead", "last_name", ext, "score", "10")
		if owners[ext] != 0 {
			in.Fields["owner_id"] = strconv.FormatInt(owners[ext], 10)
		}
		leads = append(leads, in)
	}
	if rs, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{DefaultSource: "crm"}); err != nil || slices.ContainsFunc(rs, func(r sqldb.IntakeResult) bool { return r.Err != nil }) {
		t.Fatalf("IntakeLeads = %v, %v", statuses(rs), err)
	}
	deal := func(kv ...string) tandem.DealInput {
		in := tandem.DealInput{Fields: map[string]string{"lead_source": "crm"}}
		for i := 0; i < len(kv); i += 2 {
			in.Fields[kv[i]] = kv[i+1]
		}
		return in
	}
	names := []string{"d1", "d2", "d3", "d4", "d5", "d6"}
	rs, err := db.ImportDeals(ctx, []tandem.DealInput{
		deal("external_id", "d1", "lead_external_id", "L1", "stage", "qualification", "amount", "1000.00", "owner", c.Rex.Email, "account", "Acme", "product", "Widget"),
		deal("external_id", "d2", "lead_external_id", "L2", "stage", "proposal", "amount", "2500.50", "owner", c.Rex.Email, "account", "Acme", "product", "Gadget"),
		deal("external_id", "d3", "lead_external_id", "L3", "stage", "proposal", "amount", "4000", "owner", c.Ria.Email, "account", "Beta", "product", "Widget"),
		deal("external_id", "d4", "lead_external_id", "L4", "stage", "negotiation", "amount", "999.99", "account", "Beta"),
		deal("external_id", "d5", "lead_external_id", "L5", "stage", "won", "amount", "700", "owner", c.Ria.Email, "product", "Widget",
			"created_at", "2026-10-01T12:00:00Z", "closed_at", "2026-11-05T12:00:00Z"),
		deal("external_id", "d6", "lead_external_id", "L6", "stage", "lost", "lost_reason", "price", "owner", c.Rex.Email,
			"created_at", "2026-09-01T12:00:00Z", "closed_at", "2026-10-10T12:00:00Z"),
	}, sqldb.DealImportOptions{DefaultSource: "crm", Actor: "import:deals.csv"})
	if err != nil || slices.ContainsFunc(rs, func(r sqldb.IntakeResult) bool { return r.Err != nil }) {
		t.Fatalf("ImportDeals = %v, %v", statuses(rs), err)
	}
	w := boardWorld{db: db, c: c, deals: map[string]int64{}}
	for i, r := range rs {
		w.deals[names[i]] = r.ID
	}
	return w
}

// colSummary is what the tests compare of a column.
type colSummary struct {
	Stage    string
	Deals    int
	Cents    int64
	Weighted int64 // -1: none
	Cards    []string
}

func (w boardWorld) summarize(b sqldb.Board) []colSummary {
	name := map[int64]string{}
	for n, id := range w.deals {
		name[id] = n
	}
	var out []colSummary
	for _, c := range b.Columns {
		s := colSummary{Stage: c.Stage, Deals: c.Deals, Cents: c.AmountCents, Weighted: -1}
		if c.WeightedCents != nil {
			s.Weighted = *c.WeightedCents
		}
		for _, card := range c.Cards {
			s.Cards = append(s.Cards, name[card.ID])
		}
		out = append(out, s)
	}
	return out
}

// weighted is the weighted pipeline written out: cents × probability,
// rounded to the cent.
func weighted(cents int64, p float64) int64 { return int64(math.Round(float64(cents) * p)) }

// TestDealBoard reads the board as the admin, through each filter, and as
// a rep whom the read rule limits; its sums and weighted sums are worked
// out by hand from the world's deals.
func TestDealBoard(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newBoardWorld(t, b)
		admin := tandemtest.Token(w.c.Admin)
		products, err := w.db.Products(ctx)
		if err != nil {
			t.Fatalf("Products: %v", err)
		}
		accounts, err := w.db.Accounts(ctx)
		if err != nil {
			t.Fatalf("Accounts: %v", err)
		}
		idOf := func(name string) int64 {
			for _, p := range products {
				if p.Name == name {
					return p.ID
				}
			}
			for _, a := range accounts {
				if a.Name == name {
					return a.ID
				}
			}
			t.Fatalf("no product or account %q", name)
			return 0
		}
		for _, c := range []struct {
			name string
			tok  tandem.Token
			f    sqldb.BoardFilter
			want []colSummary
		}{
			{"admin, everything", admin, sqldb.BoardFilter{}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3", "d2"}},
				{"negotiation", 1, 99999, weighted(99999, 0.8), []string{"d4"}},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			{"October's outcomes", admin, sqldb.BoardFilter{Closed: "2026-10"}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3", "d2"}},
				{"negotiation", 1, 99999, weighted(99999, 0.8), []string{"d4"}},
				{"won", 0, 0, -1, nil},
				{"lost", 1, 0, -1, []string{"d6"}},
			}},
			{"one card a column", admin, sqldb.BoardFilter{Cards: 1}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3"}},
				{"negotiation", 1, 99999, weighted(99999, 0.8), []string{"d4"}},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			{"owner Rex", admin, sqldb.BoardFilter{OwnerIDs: []int64{w.c.Rex.ID}, Closed: "2026"}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 1, 250050, weighted(250050, 0.5), []string{"d2"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 0, 0, -1, nil},
				{"lost", 1, 0, -1, []string{"d6"}},
			}},
			{"team West", admin, sqldb.BoardFilter{Teams: []string{"West"}}, []colSummary{
				{"qualification", 0, 0, 0, nil},
				{"proposal", 1, 400000, weighted(400000, 0.5), []string{"d3"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			{"product Widget", admin, sqldb.BoardFilter{ProductIDs: []int64{idOf("Widget")}}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 1, 400000, weighted(400000, 0.5), []string{"d3"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			// Several values of a filter: any of them.
			{"owners Rex and Ria", admin, sqldb.BoardFilter{OwnerIDs: []int64{w.c.Rex.ID, w.c.Ria.ID}, Closed: "2026"}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3", "d2"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 1, 0, -1, []string{"d6"}},
			}},
			{"teams East and West", admin, sqldb.BoardFilter{Teams: []string{"East", "West"}}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3", "d2"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			{"products Widget and Gadget", admin, sqldb.BoardFilter{ProductIDs: []int64{idOf("Widget"), idOf("Gadget")}}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 2, 650050, weighted(650050, 0.5), []string{"d3", "d2"}},
				{"negotiation", 0, 0, 0, nil},
				{"won", 1, 70000, -1, []string{"d5"}},
				{"lost", 0, 0, -1, nil},
			}},
			{"account Beta", admin, sqldb.BoardFilter{AccountID: idOf("Beta")}, []colSummary{
				{"qualification", 0, 0, 0, nil},
				{"proposal", 1, 400000, weighted(400000, 0.5), []string{"d3"}},
				{"negotiation", 1, 99999, weighted(99999, 0.8), []string{"d4"}},
				{"won", 0, 0, -1, nil},
				{"lost", 0, 0, -1, nil},
			}},
			// Rex reads the deals of his leads and of the unassigned L4,
			// not Ria's d3 and d5.
			{"Rex, the read rule", tandemtest.Token(w.c.Rex), sqldb.BoardFilter{Closed: "2026"}, []colSummary{
				{"qualification", 1, 100000, weighted(100000, 0.2), []string{"d1"}},
				{"proposal", 1, 250050, weighted(250050, 0.5), []string{"d2"}},
				{"negotiation", 1, 99999, weighted(99999, 0.8), []string{"d4"}},
				{"won", 0, 0, -1, nil},
				{"lost", 1, 0, -1, []string{"d6"}},
			}},
		} {
			got, err := w.db.DealBoard(ctx, c.tok, c.f)
			if err != nil {
				t.Fatalf("%s: DealBoard(%+v) = %v", c.name, c.f, err)
			}
			if diff := cmp.Diff(c.want, w.summarize(got)); diff != "" {
				t.Errorf("%s: DealBoard(%+v) columns (-want +got):\n%s", c.name, c.f, diff)
			}
			var open, cents, wsum int64
			for _, col := range c.want[:3] {
				open += int64(col.Deals)
				cents += col.Cents
				wsum += max(col.Weighted, 0)
			}
			if int64(got.OpenDeals) != open || got.OpenCents != cents || got.WeightedCents != wsum || got.Unweighted != 0 {
				t.Errorf("%s: board totals = %d deals, %d cents, %d weighted, %d unweighted; want %d, %d, %d, 0",
					c.name, got.OpenDeals, got.OpenCents, got.WeightedCents, got.Unweighted, open, cents, wsum)
			}
		}
		// The cards name their leads and owners.
		got, _ := w.db.DealBoard(ctx, admin, sqldb.BoardFilter{})
		if card := got.Columns[1].Cards[0]; card.Lead != "Lead L3" || card.Owner != w.c.Ria.Email || card.Account != "Beta" || card.Product != "Widget" {
			t.Errorf("proposal's first card = %+v; want Lead L3, owned by %s, Beta, Widget", card, w.c.Ria.Email)
		}
		for _, f := range []struct {
			f     sqldb.BoardFilter
			field string
		}{{sqldb.BoardFilter{Closed: "November"}, "closed"}, {sqldb.BoardFilter{Cards: 201}, "cards"}, {sqldb.BoardFilter{Cards: -1}, "cards"}} {
			_, err := w.db.DealBoard(ctx, admin, f.f)
			if fs := tandem.ErrorFields(err); len(fs) != 1 || fs[0].Field != f.field {
				t.Errorf("DealBoard(%+v) = %v; want EINVALID naming %s", f.f, err, f.field)
			}
		}
	})
}

// TestDealsReadRule checks that the deals each member of the cast may list
// (DealsFor, the board's rule in SQL) are those DealFor, which asks package
// access deal by deal, lets them open; and what Rex and Manu read.
func TestDealsReadRule(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newBoardWorld(t, b)
		all := []string{"d1", "d2", "d3", "d4", "d5", "d6"}
		want := map[string][]string{
			"rex":  {"d1", "d2", "d4", "d6"}, // his leads' deals and the unassigned lead's
			"ria":  {"d3", "d4", "d5"},
			"manu": all, "sam": all, "admin": all, "eve": all, "mia": all,
		}
		for name, u := range map[string]tandem.User{"rex": w.c.Rex, "ria": w.c.Ria, "manu": w.c.Manu, "sam": w.c.Sam,
			"admin": w.c.Admin, "eve": w.c.Eve, "mia": w.c.Mia} {
			tok := tandemtest.Token(u)
			page, err := w.db.DealsFor(ctx, tandem.DealFilter{}, tok)
			if err != nil {
				t.Fatalf("DealsFor(%s) = %v", name, err)
			}
			var listed, opened []string
			for _, d := range page.Deals {
				listed = append(listed, d.ExternalID)
			}
			for _, n := range all {
				_, err := w.db.DealFor(ctx, w.deals[n], tok)
				switch tandem.ErrorCode(err) {
				case "":
					opened = append(opened, n)
				case tandem.EFORBIDDEN:
				default:
					t.Fatalf("DealFor(%s, %s) = %v", name, n, err)
				}
			}
			if diff := cmp.Diff(want[name], listed); diff != "" {
				t.Errorf("DealsFor(%s) (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(listed, opened); diff != "" {
				t.Errorf("%s: the deals DealFor opens differ from those DealsFor lists (-listed +opened):\n%s", name, diff)
			}
			if page.Total != len(want[name]) {
				t.Errorf("DealsFor(%s).Total = %d; want %d", name, page.Total, len(want[name]))
			}
		}
		_, err := w.db.DealFor(ctx, w.deals["d3"], tandemtest.Token(w.c.Rex))
		if tandem.ErrorCode(err) != tandem.EFORBIDDEN || !strings.Contains(tandem.ErrorMessage(err), "ria@example.com") {
			t.Errorf("DealFor(rex, d3) = %v; want EFORBIDDEN naming the owner ria@example.com", err)
		}
		if _, err := w.db.DealFor(ctx, 999999, tandemtest.Token(w.c.Admin)); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("DealFor(999999) = %v; want ENOTFOUND", err)
		}
	})
}

// TestAccountAndCatalogue reads an account's page as the admin and as
// Rex, and the product catalogue with each product's deals.
func TestAccountAndCatalogue(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newBoardWorld(t, b)
		accounts, err := w.db.Accounts(ctx)
		if err != nil || len(accounts) != 2 {
			t.Fatalf("Accounts = %v, %v; want Acme and Beta", accounts, err)
		}
		beta := accounts[1]
		v, err := w.db.AccountFor(ctx, beta.ID, tandemtest.Token(w.c.Admin))
		if err != nil {
			t.Fatalf("AccountFor(Beta) = %v", err)
		}
		ext := func(ds []tandem.Deal) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.ExternalID)
			}
			return out
		}
		leads := func(ls []tandem.Lead) []string {
			var out []string
			for _, l := range ls {
				out = append(out, l.ExternalID)
			}
			return out
		}
		if diff := cmp.Diff([]string{"d4", "d3"}, ext(v.Deals)); diff != "" || v.DealsTotal != 2 {
			t.Errorf("Beta's deals for the admin (-want +got):\n%s (total %d)", diff, v.DealsTotal)
		}
		if diff := cmp.Diff([]string{"L4", "L3"}, leads(v.Leads)); diff != "" || v.LeadsTotal != 2 {
			t.Errorf("Beta's leads for the admin (-want +got):\n%s (total %d)", diff, v.LeadsTotal)
		}
		if v.Open != 2 || v.OpenCents != 400000+99999 || v.Won != 0 || v.RevenueCents != 0 {
			t.Errorf("Beta's figures = %d open (%d), %d won (%d); want 2 open (499999), 0 won", v.Open, v.OpenCents, v.Won, v.RevenueCents)
		}
		// Rex lists only what the rules let him read; the figures are the
		// account's.
		v, err = w.db.AccountFor(ctx, beta.ID, tandemtest.Token(w.c.Rex))
		if err != nil {
			t.Fatalf("AccountFor(Beta, rex) = %v", err)
		}
		if diff := cmp.Diff([]string{"d4"}, ext(v.Deals)); diff != "" || v.DealsTotal != 1 || v.Open != 2 {
			t.Errorf("Beta's deals for Rex (-want +got):\n%s (total %d, open %d; want 1, 2)", diff, v.DealsTotal, v.Open)
		}
		if diff := cmp.Diff([]string{"L4"}, leads(v.Leads)); diff != "" {
			t.Errorf("Beta's leads for Rex (-want +got):\n%s", diff)
		}
		if _, err := w.db.AccountFor(ctx, 999999, tandemtest.Token(w.c.Admin)); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("AccountFor(999999) = %v; want ENOTFOUND", err)
		}

		// The accounts page, one at a time.
		type accountRow struct {
			Name                   string
			Leads, Open, Won, Lost int
			Revenue                int64
		}
		var pages [][]accountRow
		var nexts []string
		for after := ""; ; {
			rows, next, err := w.db.AccountList(ctx, after, 1)
			if err != nil {
				t.Fatalf("AccountList(%q, 1) = %v", after, err)
			}
			var page []accountRow
			for _, r := range rows {
				page = append(page, accountRow{r.Name, r.Leads, r.Open, r.Won, r.Lost, r.RevenueCents})
			}
			pages, nexts = append(pages, page), append(nexts, next)
			if next == "" || len(pages) > 3 {
				break
			}
			after = next
		}
		wantPages := [][]accountRow{{{"Acme", 2, 2, 0, 0, 0}}, {{"Beta", 2, 2, 0, 0, 0}}}
		if diff := cmp.Diff(wantPages, pages); diff != "" || !slices.Equal(nexts, []string{"Acme", ""}) {
			t.Errorf("AccountList by one (-want +got):\n%s\nnext %q; want Acme, then none", diff, nexts)
		}

		ps, err := w.db.Catalogue(ctx)
		if err != nil {
			t.Fatalf("Catalogue = %v", err)
		}
		type row struct {
			Name            string
			Open, Won, Lost int
			Revenue         int64
		}
		var got []row
		for _, p := range ps {
			got = append(got, row{p.Name, p.Open, p.Won, p.Lost, p.RevenueCents})
		}
		want := []row{{"Gadget", 1, 0, 0, 0}, {"Widget", 2, 1, 0, 70000}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Catalogue (-want +got):\n%s", diff)
		}
	})
}
