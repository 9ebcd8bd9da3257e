package http

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// uploadKind uploads a file of kind and returns its upload's id.
func (wc *webClient) uploadKind(kind, name, content string) string {
	wc.t.Helper()
	r := wc.multipart("/import", formPart{"kind", "", kind}, formPart{"file", name, content})
	want(wc.t, "upload "+kind, r, 303, "/import?upload=")
	return strings.TrimPrefix(r.header.Get("Location"), "/import?upload=")
}

// importPageServer starts a server with a signed agreement, two leads from
// the source "crm" and one signed-in page user per role.
func importPageServer(t *testing.T, b sqldbtest.Backend) (*sqldb.DB, *Server, map[tandem.Role]*webClient) {
	t.Helper()
	db, _ := openDB(t, b)
	signDefault(t, db)
	ctx := context.Background()
	var leads []tandem.LeadInput
	for _, id := range []string{"L1", "L2"} {
		leads = append(leads, tandem.LeadInput{Fields: map[string]string{"source": "crm", "external_id": id, "email": strings.ToLower(id) + "@example.com"}})
	}
	if _, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{Actor: "test"}); err != nil {
		t.Fatalf("IntakeLeads: %v", err)
	}
	s := startServer(t, db, nil)
	clients := map[tandem.Role]*webClient{}
	for role, u := range pageUsers(t, db) {
		wc := newWebClient(t, s.URL())
		want(t, "sign in as "+string(role), wc.login(u.Email, testPassword), 303, "/")
		clients[role] = wc
	}
	return db, s, clients
}

// TestImportPageDeals imports deals by hand-mapped columns as a sales
// head: the row whose stage is no deal stage is rejected with its line and
// column, and the good rows are stored. (A row whose lead was never
// imported creates its lead: issue 12's deals without a lead.)
func TestImportPageDeals(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _, wcs := importPageServer(t, b)
		wc := wcs[tandem.RoleSalesHead]
		want(t, "the upload form of a sales head", wc.get("/import"), 200, `<option value="deals" selected>deals</option>`)
		if r := wc.get("/import"); strings.Contains(string(r.body), `value="leads"`) || strings.Contains(string(r.body), `value="users"`) {
			t.Errorf("a sales head is offered kinds they may not import:\n%s", r.body)
		}

		file := "source,lead_external_id,stage,amount,closed_at\n" +
			"crm,L1,won,1200,2026-02-10\n" +
			"crm,L9,someday,500,2026-02-11\n" +
			"crm,L2,open,,\n"
		id := wc.uploadKind("deals", "deals.csv", file)
		// The columns are named after deal fields: matched, and previewed.
		want(t, "the mapping step", wc.get("/import?upload="+id), 200, "Import deals",
			`<option value="lead_external_id" selected>`, `<option value="amount" selected>`,
			"new deal", `column &#34;stage&#34;: stage: &#34;someday&#34; is not a deal stage of the agreement`)
		if page, err := db.Deals(context.Background(), tandem.DealFilter{}); err != nil || page.Total != 0 {
			t.Fatalf("%d deals after the preview, %v; want none", page.Total, err)
		}

		form := url.Values{"upload": {id}, "by": {"hand"}, "mapped": {"1"},
			"col0": {"source"}, "col1": {"lead_external_id"}, "col2": {"stage"}, "col3": {"amount"}, "col4": {"closed_at"}}
		want(t, "run", wc.post("/import/run", form), 303, "/import?upload="+id)
		want(t, "the finished status", wc.waitImport(id), 200, `max="3" value="3"`, "<strong>2</strong> taken in",
			"<strong>1</strong> rejected", "<td>3</td><td>stage</td>")
		r := wc.get("/import?upload=" + id + "&part=rejects")
		recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		if len(recs) != 2 || recs[1][0] != "3" || recs[1][1] != "stage" || recs[1][4] != "L9" {
			t.Errorf("rejects = %q; want line 3, column stage", recs)
		}
		page, err := db.Deals(context.Background(), tandem.DealFilter{})
		if err != nil {
			t.Fatalf("Deals: %v", err)
		}
		var stages []string
		for _, d := range page.Deals {
			stages = append(stages, d.Stage)
		}
		if diff := cmp.Diff([]string{"won", "open"}, stages); diff != "" {
			t.Errorf("deals' stages after the import (-want +got):\n%s", diff)
		}
	})
}

// TestImportPageKindRoles uploads a file of each kind with each role that
// may open the page: a role may import exactly the kinds it is given, and
// a refused kind changes nothing.
func TestImportPageKindRoles(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, s, wcs := importPageServer(t, b)
		may := map[tandem.Role][]string{
			tandem.RoleAdmin:         {"leads", "deals", "users", "spend", "accounts", "products"},
			tandem.RoleMarketing:     {"leads", "spend"},
			tandem.RoleMarketingHead: {"leads", "spend", "accounts", "products"},
			tandem.RoleSalesHead:     {"deals", "accounts", "products"},
			tandem.RoleSalesManager:  {"deals"},
		}
		for _, role := range tandem.Roles {
			if _, ok := may[role]; ok != slices.Contains(roles(access.ImportAny), role) {
				t.Errorf("roles(access.ImportAny) = %v; want the roles of %v", roles(access.ImportAny), may)
			}
		}
		for _, role := range roles(access.ImportAny) {
			for _, k := range importKinds {
				wc := wcs[role]
				before := len(s.uploads().byID)
				r := wc.multipart("/import", formPart{"kind", "", k.Name}, formPart{"file", "x.csv", "email,role\nzed@example.com,admin\n"})
				what := string(role) + " uploads " + k.Name
				if slices.Contains(may[role], k.Name) {
					want(t, what, r, 303, "/import?upload=")
					continue
				}
				want(t, what, r, 403, "may not import "+k.Name, "Nothing was imported")
				if after := len(s.uploads().byID); after != before {
					t.Errorf("%s: refused, but %d uploads kept", what, after-before)
				}
			}
		}
		want(t, "an unknown kind", wcs[tandem.RoleAdmin].multipart("/import", formPart{"kind", "", "planets"}, formPart{"file", "x.csv", "a\n1\n"}),
			422, "&#34;planets&#34; is not a kind of import")

		// A users file run by a marketing user who got hold of an upload
		// id: refused too. (Uploads are bound to their owner, so this is
		// an admin's upload another user may not even see.)
		admin := wcs[tandem.RoleAdmin]
		id := admin.uploadKind("users", "users.csv", "email,role,manager\nria@example.com,sales_rep,mo@example.com\nmo@example.com,sales_manager,\n")
		want(t, "a marketing user runs the admin's users import", wcs[tandem.RoleMarketing].post("/import/run", url.Values{"upload": {id}}), 404)
		if _, err := db.UserByEmail(context.Background(), "ria@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("ria after a refused users import: %v; want not found", err)
		}
		// The admin runs it: the manager, further down the file, is found
		// in the preview and in the run (the file is one batch).
		want(t, "the users preview", admin.get("/import?upload="+id), 200, "new user")
		if r := admin.get("/import?upload=" + id); strings.Contains(string(r.body), "rejected") {
			t.Errorf("users preview rejects a row:\n%s", r.body)
		}
		form := url.Values{"upload": {id}, "by": {"hand"}, "mapped": {"1"}, "col0": {"email"}, "col1": {"role"}, "col2": {"manager"}}
		want(t, "run users", admin.post("/import/run", form), 303)
		want(t, "users imported", admin.waitImport(id), 200, "<strong>2</strong> taken in", "<strong>0</strong> rejected")
		ria, err := db.UserByEmail(context.Background(), "ria@example.com")
		mo, _ := db.UserByEmail(context.Background(), "mo@example.com")
		if err != nil || ria.ManagerID != mo.ID || mo.ID == 0 {
			t.Errorf("ria = %+v, %v; want a rep managed by mo", ria, err)
		}
	})
}

// TestImportPageSpend imports campaign spend as a marketing user, through
// a YAML mapping uploaded on the map step; a bad mapping first shows the
// parser's error with its line and changes nothing.
func TestImportPageSpend(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, s, wcs := importPageServer(t, b)
		wc := wcs[tandem.RoleMarketing]
		id := wc.uploadKind("spend", "spend.csv", "Campaign,Month,Cost,Channel\n"+
			"spring,2026-02,100.00,email\n"+
			"spring,2026-03-01,250.5,email\n"+
			"ads,2026-13,5,paid_search\n")
		mapping := func(name, yaml string) response {
			return wc.multipart("/import", formPart{"upload", "", id}, formPart{"mapping", name, yaml})
		}
		// Bad mappings: each says what and where, and nothing changes.
		for _, c := range []struct{ what, yaml, says string }{
			{"not YAML", "kind: spend\nfields:\n  campaign: [Campaign\n", "spend.yaml:2: did not find expected"},
			{"an unknown field", "kind: spend\nfields:\n  campaign: Campaign\n  budget: Cost\n", "spend.yaml:4: fields: "},
			{"another kind", "kind: leads\nfields:\n  email: Campaign\n", "spend.yaml maps leads, not spend"},
			{"a column the file lacks", "kind: spend\nfields:\n  campaign: Campaign\n  month: Month\n  amount: Price\n", `no column &#34;Price&#34; in the header`},
		} {
			want(t, c.what, mapping("spend.yaml", c.yaml), 422, `data-testid="mapping-error"`, "nothing changed", c.says)
		}
		want(t, "no mapping file", wc.multipart("/import", formPart{"upload", "", id}), 422, "choose a mapping file")
		if m := s.uploads().byID[id].mapping; m != nil {
			t.Errorf("the upload took a bad mapping: %+v", m)
		}

		want(t, "a good mapping", mapping("spend.yaml", "kind: spend\nfields:\n  campaign: Campaign\n  month: Month\n  amount: Cost\n  channel: {column: Channel, optional: true}\n"),
			303, "/import?upload="+id)
		want(t, "the mapping step with the uploaded mapping", wc.get("/import?upload="+id), 200,
			"Mapped by <strong>spend.yaml</strong>", "new month of spend", "month: ")
		want(t, "by hand instead", wc.get("/import?upload="+id+"&by=hand"), 200, "Use spend.yaml again",
			`<option value="campaign" selected>`, `<option value="month" selected>`)
		want(t, "run", wc.post("/import/run", url.Values{"upload": {id}}), 303)
		want(t, "spend imported", wc.waitImport(id), 200, "<strong>2</strong> taken in", "<strong>1</strong> rejected", "<td>4</td><td>Month</td>")
		cs, err := db.Campaigns(context.Background())
		if err != nil {
			t.Fatalf("Campaigns: %v", err)
		}
		var got []tandem.CampaignSpend
		for _, c := range cs {
			got = append(got, c.Spend...)
		}
		wantSpend := []tandem.CampaignSpend{{Campaign: "spring", Month: "2026-02", AmountCents: 10000}, {Campaign: "spring", Month: "2026-03", AmountCents: 25050}}
		if diff := cmp.Diff(wantSpend, got); diff != "" {
			t.Errorf("spend after the import (-want +got):\n%s", diff)
		}
	})
}

// TestImportPageCatalog imports a CRM's accounts file and products file
// through the page as a sales head: the CRM presets are preselected from
// the files' headers, a row with a bad number is rejected with its line,
// and the rest is stored.
func TestImportPageCatalog(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _, wcs := importPageServer(t, b)
		wc := wcs[tandem.RoleSalesHead]
		accounts := "account,sector,year_established,revenue,employees,office_location,subsidiary_of\n" +
			"Acme Corporation,technolgy,1996,1100.04,2822,United States,\n" +
			"Betasoloin,medical,1999,251.41,many,United States,\n" +
			"Cancity,retail,2001,718.62,2448,United States,Acme Corporation\n"
		id := wc.uploadKind("accounts", "accounts.csv", accounts)
		want(t, "the accounts' mapping step", wc.get("/import?upload="+id), 200, `<option value="crm" selected>`, "new account")
		want(t, "run the accounts", wc.post("/import/run", url.Values{"upload": {id}, "preset": {"crm"}}), 303)
		want(t, "the accounts imported", wc.waitImport(id), 200, "<strong>2</strong> taken in", "<strong>1</strong> rejected", "<td>3</td><td>employees</td>")
		as, err := db.Accounts(context.Background())
		if err != nil {
			t.Fatalf("Accounts: %v", err)
		}
		var names []string
		for _, a := range as {
			names = append(names, a.Name)
		}
		slices.Sort(names)
		if diff := cmp.Diff([]string{"Acme Corporation", "Cancity"}, names); diff != "" {
			t.Errorf("accounts after the import (-want +got):\n%s", diff)
		}

		products := "product,series,sales_price\nGTX Basic,GTX,550\nMG Special,MG,55\n"
		id = wc.uploadKind("products", "products.csv", products)
		want(t, "the products' mapping step", wc.get("/import?upload="+id), 200, `<option value="crm" selected>`)
		want(t, "run the products", wc.post("/import/run", url.Values{"upload": {id}, "preset": {"crm"}}), 303)
		want(t, "the products imported", wc.waitImport(id), 200, "<strong>2</strong> taken in", "<strong>0</strong> rejected")
		if ps, err := db.Products(context.Background()); err != nil || len(ps) != 2 {
			t.Errorf("products after the import = %d, %v; want 2", len(ps), err)
		}
		// A marketer may not import the catalog.
		want(t, "a marketer uploads accounts", wcs[tandem.RoleMarketing].multipart("/import", formPart{"kind", "", "accounts"},
			formPart{"file", "a.csv", accounts}), 403, "may not import accounts")
	})
}
