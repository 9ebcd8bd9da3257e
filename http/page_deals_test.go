package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
	"github.com/tandemhq/tandem/web"
)

// dealsWorld is the cast with the default agreement, four open deals and
// one won, each of its own lead, which Rex or Ria owns (L4 nobody):
//
//	d1 L1 Rex  qualification 1,000.00  Acme  Widget
//	d2 L2 Rex  proposal      2,500.50  Acme  Gadget
//	d3 L3 Ria  proposal      4,000.00  Beta  Widget
//	d4 L4 none negotiation     999.99  Beta
//	d5 L5 Ria  won 700.00 this month
type dealsWorld struct {
	db    *sqldb.DB
	s     *Server
	c     tandemtest.Cast
	deals map[string]int64
}

func newDealsWorld(t *testing.T, b sqldbtest.Backend) dealsWorld {
	t.Helper()
	ctx := context.Background()
	db, clk := openDB(t, b)
	c := tandemtest.People(t, db)
	c.Sign(t, db, string(agreement.Default()))
	clk.Set(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
	for _, u := range []tandem.User{c.Admin, c.Rex, c.Ria, c.Eve} {
		if _, err := db.SetPassword(ctx, u.Email, cheapHash()); err != nil {
			t.Fatalf("SetPassword(%s): %v", u.Email, err)
		}
	}
	owners := []int64{c.Rex.ID, c.Rex.ID, c.Ria.ID, 0, c.Ria.ID}
	var leads []tandem.LeadInput
	for i, o := range owners {
		f := map[string]string{"external_id": fmt.Sprint("L", i+1), "first_name": "Lead", "last_name": fmt.Sprint("L", i+1), "score": "10"}
		if o != 0 {
			f["owner_id"] = strconv.FormatInt(o, 10)
		}
		leads = append(leads, tandem.LeadInput{Fields: f})
	}
	if rs, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{DefaultSource: "crm"}); err != nil || slices.ContainsFunc(rs, func(r sqldb.IntakeResult) bool { return r.Err != nil }) {
		t.Fatalf("IntakeLeads = %v, %v", rs, err)
	}
	deal := func(kv ...string) tandem.DealInput {
		in := tandem.DealInput{Fields: map[string]string{"lead_source": "crm"}}
		for i := 0; i < len(kv); i += 2 {
			in.Fields[kv[i]] = kv[i+1]
		}
		return in
	}
	rs, err := db.ImportDeals(ctx, []tandem.DealInput{
		deal("external_id", "d1", "lead_external_id", "L1", "stage", "qualification", "amount", "1000.00", "owner", c.Rex.Email, "account", "Acme", "product", "Widget"),
		deal("external_id", "d2", "lead_external_id", "L2", "stage", "proposal", "amount", "2500.50", "owner", c.Rex.Email, "account", "Acme", "product", "Gadget"),
		deal("external_id", "d3", "lead_external_id", "L3", "stage", "proposal", "amount", "4000", "owner", c.Ria.Email, "account", "Beta", "product", "Widget"),
		deal("external_id", "d4", "lead_external_id", "L4", "stage", "negotiation", "amount", "999.99", "account", "Beta"),
		deal("external_id", "d5", "lead_external_id", "L5", "stage", "won", "amount", "700", "owner", c.Ria.Email,
			"created_at", "2026-10-01T12:00:00Z", "closed_at", "2026-11-05T12:00:00Z"),
	}, sqldb.DealImportOptions{DefaultSource: "crm", Actor: "import:deals.csv"})
	if err != nil || slices.ContainsFunc(rs, func(r sqldb.IntakeResult) bool { return r.Err != nil }) {
		t.Fatalf("ImportDeals = %v, %v", rs, err)
	}
	w := dealsWorld{db: db, c: c, deals: map[string]int64{}, s: startServer(t, db, nil)}
	for i, r := range rs {
		w.deals[fmt.Sprint("d", i+1)] = r.ID
	}
	return w
}

func (w dealsWorld) signIn(t *testing.T, u tandem.User) *webClient {
	t.Helper()
	wc := newWebClient(t, w.s.URL())
	if r := wc.login(u.Email, testPassword); r.status != 303 {
		t.Fatalf("sign in as %s = %v", u.Email, r)
	}
	return wc
}

// TestDealOwnerByName imports a deal whose owner the file names by name
// (a rep with a name and an email): the deal is theirs, and the board's
// card, its owner filter and the deal's page show the name, not the email.
func TestDealOwnerByName(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newDealsWorld(t, b)
		nora := tandem.User{Email: "nora@example.com", Name: "Nora Nyström", Role: tandem.RoleSalesRep, Team: "East"}
		if err := w.db.CreateUser(ctx, &nora); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		rs, err := w.db.ImportDeals(ctx, []tandem.DealInput{{Fields: map[string]string{"lead_source": "crm", "external_id": "d6",
			"lead_external_id": "L6", "stage": "proposal", "amount": "300", "owner": "nora nyström"}}},
			sqldb.DealImportOptions{DefaultSource: "crm", Actor: "import:deals.csv"})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("ImportDeals(owner by name) = %+v, %v", rs, err)
		}
		d, err := w.db.DealFor(ctx, rs[0].ID, tandemtest.Token(w.c.Admin))
		if err != nil || d.OwnerID != nora.ID {
			t.Fatalf("the deal of owner \"nora nyström\" = owner %d, %v; want Nora, %d", d.OwnerID, err, nora.ID)
		}
		admin := w.signIn(t, w.c.Admin)
		r := admin.get(fmt.Sprintf("/deals?owner=%d", nora.ID))
		want(t, "Nora's board", r, 200, fmt.Sprintf(`data-testid="deal-%d"`, d.ID), "Nora Nyström",
			fmt.Sprintf(`<option value="%d" selected>Nora Nyström</option>`, nora.ID))
		if strings.Contains(string(r.body), "nora@example.com") {
			t.Errorf("Nora's board names her by email; want her name only")
		}
		want(t, "Nora's deal", admin.get(fmt.Sprintf("/deals/%d", d.ID)), 200, "<dd>Nora Nyström</dd>")
	})
}

// TestDealsPages reads the board as the admin and as Rex (whom the read
// rule limits), moves, wins and loses deals through the pages' forms,
// and refuses a bad filter and a deal that is not Rex's.
func TestDealsPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newDealsWorld(t, b)
		money := web.FormatFuncs()["money"].(func(any) string)
		admin := w.signIn(t, w.c.Admin)
		r := admin.get("/deals")
		// The weighted pipeline, by hand: 1,000.00 × 0.2 + 6,500.50 × 0.5 +
		// 999.99 × 0.8 (79,999.2 cents, rounded).
		weighted := int64(20000 + 325025 + 79999)
		want(t, "GET /deals as the admin", r, 200, `data-testid="col-qualification"`, `data-testid="col-won"`, `data-testid="col-lost"`,
			`data-testid="weighted-total">`+money(weighted), "20%", "50%", "80%")
		for n, id := range w.deals {
			if !strings.Contains(string(r.body), fmt.Sprintf(`data-testid="deal-%d"`, id)) {
				t.Errorf("the admin's board has no card for %s (deal %d)", n, id)
			}
		}
		rex := w.signIn(t, w.c.Rex)
		r = rex.get("/deals")
		want(t, "GET /deals as Rex", r, 200, fmt.Sprintf(`data-testid="deal-%d"`, w.deals["d1"]), fmt.Sprintf(`data-testid="deal-%d"`, w.deals["d4"]))
		for _, n := range []string{"d3", "d5"} {
			if strings.Contains(string(r.body), fmt.Sprintf(`data-testid="deal-%d"`, w.deals[n])) {
				t.Errorf("Rex's board shows Ria's %s", n)
			}
		}
		want(t, "GET /deals/{d3} as Rex", rex.get(fmt.Sprintf("/deals/%d", w.deals["d3"])), 403, "ria@example.com")
		want(t, "GET /deals/{d1} as Rex", rex.get(fmt.Sprintf("/deals/%d", w.deals["d1"])), 200, "Lead L1", "Acme", "Widget", "Move, win or lose")
		want(t, "GET /deals?product= as the admin", admin.get("/deals?team=West"), 200, fmt.Sprintf(`data-testid="deal-%d"`, w.deals["d3"]))
		// Several owners, teams or products: the deals of any of them.
		for _, q := range []string{fmt.Sprintf("owner=%d&owner=%d", w.c.Rex.ID, w.c.Ria.ID), "team=East&team=West"} {
			r := admin.get("/deals?" + q)
			want(t, "GET /deals?"+q, r, 200)
			for n, id := range w.deals {
				card := fmt.Sprintf(`data-testid="deal-%d"`, id)
				if shown := strings.Contains(string(r.body), card); shown != (n != "d4") {
					t.Errorf("GET /deals?%s shows %s: %v; want every deal of Rex and Ria, not the unowned d4", q, n, shown)
				}
			}
		}
		r = admin.get(fmt.Sprintf("/deals?owner=%d&owner=%d", w.c.Rex.ID, w.c.Ria.ID))
		want(t, "both owners selected", r, 200, fmt.Sprintf(`<option value="%d" selected>`, w.c.Rex.ID), fmt.Sprintf(`<option value="%d" selected>`, w.c.Ria.ID))
		want(t, "GET /deals?owner=1&owner=x", admin.get("/deals?owner=1&owner=x"), 422, "Owner: ")
		want(t, "GET /deals?closed=2026&closed=2025", admin.get("/deals?closed=2026&closed=2025"), 422, "given more than once")
		want(t, "GET /deals?closed=nope", admin.get("/deals?closed=nope"), 422, "Closed: ")
		want(t, "GET /deals?colour=red", admin.get("/deals?colour=red"), 422, "Colour: not a filter")
		want(t, "GET /deals?account=Nobody", admin.get("/deals?account=Nobody"), 422, "no account is named")

		// Rex moves d1 on the board, by its button.
		d1 := w.deals["d1"]
		r = rex.post(fmt.Sprintf("/deals/%d/stage", d1), url.Values{"stage": {"proposal"}, "back": {"/deals?owner=" + fmt.Sprint(w.c.Rex.ID)}})
		want(t, "moving d1 to proposal", r, 303, fmt.Sprintf("/deals?owner=%d&moved=%d", w.c.Rex.ID, d1))
		if d, err := w.db.Deal(ctx, d1); err != nil || d.PipelineStage != "proposal" {
			t.Errorf("after the move, deal d1 = %+v, %v; want in proposal", d, err)
		}
		want(t, "the board after the move", rex.get(r.header.Get("Location")), 200, fmt.Sprintf("deal %d moved", d1))
		// Wins d2 from its page, for more than it was.
		d2 := w.deals["d2"]
		r = rex.post(fmt.Sprintf("/deals/%d/won", d2), url.Values{"amount": {"2600.00"}, "back": {fmt.Sprintf("/deals/%d", d2)}})
		want(t, "winning d2", r, 303, fmt.Sprintf("/deals/%d?won=%d", d2, d2))
		if d, err := w.db.Deal(ctx, d2); err != nil || d.Stage != tandem.DealWon || d.AmountCents != 260000 {
			t.Errorf("after the win, deal d2 = %+v, %v; want won for 260000 cents", d, err)
		}
		// Loses d4: without a reason the page says so and nothing changes.
		d4 := w.deals["d4"]
		want(t, "losing d4 without a reason", rex.post(fmt.Sprintf("/deals/%d/lost", d4), url.Values{"reason": {""}}), 422, "say why the deal is lost")
		want(t, "winning d4 for 1,000", rex.post(fmt.Sprintf("/deals/%d/won", d4), url.Values{"amount": {"1,000"}}), 422, "Amount")
		if d, _ := w.db.Deal(ctx, d4); d.Stage != tandem.DealOpen {
			t.Errorf("after the refused forms, deal d4 is %s; want open", d.Stage)
		}
		r = rex.post(fmt.Sprintf("/deals/%d/lost", d4), url.Values{"reason": {"price"}, "back": {"https://evil.example/"}})
		want(t, "losing d4", r, 303, fmt.Sprintf("/deals/%d?lost=%d", d4, d4))
		if d, _ := w.db.Deal(ctx, d4); d.Stage != tandem.DealLost || d.LostReason != "price" {
			t.Errorf("after the loss, deal d4 = %+v; want lost for price", d)
		}
		want(t, "d4's page", rex.get(fmt.Sprintf("/deals/%d", d4)), 200, "Lost", "price", "Deal lost")
		// The executive reads, and may not move.
		eve := w.signIn(t, w.c.Eve)
		want(t, "the executive's board", eve.get("/deals"), 200, "Weighted pipeline")
		want(t, "the executive moves a deal", eve.post(fmt.Sprintf("/deals/%d/stage", w.deals["d3"]), url.Values{"stage": {"negotiation"}}), 403)

		// Accounts and products.
		accounts, _ := w.db.Accounts(ctx)
		want(t, "GET /accounts", admin.get("/accounts"), 200, "Acme", "Beta")
		want(t, "GET /accounts/{Acme}", admin.get(fmt.Sprintf("/accounts/%d", accounts[0].ID)), 200, "Acme", money(int64(260000)), "Lead L1")
		want(t, "GET /accounts/999999", admin.get("/accounts/999999"), 404)
		want(t, "GET /products", admin.get("/products"), 200, "Widget", "Gadget")

		// The API lists only the deals the caller may read.
		_, secret, err := w.db.CreateUserToken(ctx, "rex's", w.c.Rex.Email)
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		ts := &testServer{t: t, db: w.db, s: w.s, client: admin.client}
		var list dealListJSON
		if r := ts.doSecret("GET", "/api/v1/deals", secret, nil); r.status != 200 || json.Unmarshal(r.body, &list) != nil {
			t.Fatalf("GET /api/v1/deals as Rex = %v", r)
		}
		var got []int64
		for _, d := range list.Items {
			got = append(got, d.ID)
		}
		if wantIDs := []int64{w.deals["d1"], w.deals["d2"], w.deals["d4"]}; !slices.Equal(got, wantIDs) || list.Total != 3 {
			t.Errorf("GET /api/v1/deals as Rex = %v (total %d); want %v", got, list.Total, wantIDs)
		}
		if r := ts.doSecret("GET", fmt.Sprintf("/api/v1/deals/%d", w.deals["d3"]), secret, nil); r.status != 403 {
			t.Errorf("GET /api/v1/deals/{d3} as Rex = %v; want 403", r)
		}
	})
}
