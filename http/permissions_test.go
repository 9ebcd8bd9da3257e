package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// The people of the permission test: a head of sales over two managers,
// two reps under the first (rita, ria: one team), one under the second
// (rob), and otto, a rep with no manager, whom the head is not above.
var permStaff = []struct {
	email   string
	role    tandem.Role
	manager string
}{
	{"ada@example.com", tandem.RoleAdmin, ""},
	{"eve@example.com", tandem.RoleExecutive, ""},
	{"mia@example.com", tandem.RoleMarketingHead, ""},
	{"mark@example.com", tandem.RoleMarketing, "mia@example.com"},
	{"sam@example.com", tandem.RoleSalesHead, ""},
	{"mo@example.com", tandem.RoleSalesManager, "sam@example.com"},
	{"nina@example.com", tandem.RoleSalesManager, "sam@example.com"},
	{"rita@example.com", tandem.RoleSalesRep, "mo@example.com"},
	{"ria@example.com", tandem.RoleSalesRep, "mo@example.com"},
	{"rob@example.com", tandem.RoleSalesRep, "nina@example.com"},
	{"otto@example.com", tandem.RoleSalesRep, ""},
}

// permCaller is who acts for each role.
var permCaller = map[tandem.Role]string{
	tandem.RoleAdmin:         "ada@example.com",
	tandem.RoleExecutive:     "eve@example.com",
	tandem.RoleMarketingHead: "mia@example.com",
	tandem.RoleMarketing:     "mark@example.com",
	tandem.RoleSalesHead:     "sam@example.com",
	tandem.RoleSalesManager:  "mo@example.com",
	tandem.RoleSalesRep:      "rita@example.com",
}

// The ownership cases, relative to the caller.
const (
	own = iota
	team
	other
	unassigned
)

var caseNames = []string{"own lead", "team's lead", "other team's lead", "unassigned lead"}

// permOwner is the owner of the lead of each case for a role's caller
// ("" for unassigned; a case that does not apply has none: marketing,
// executives and admins own no leads).
func permOwner(role tandem.Role, c int) (owner string, ok bool) {
	switch c {
	case own:
		switch role {
		case tandem.RoleSalesRep, tandem.RoleSalesManager, tandem.RoleSalesHead:
			return permCaller[role], true
		}
		return "", false
	case team:
		if role == tandem.RoleSalesRep {
			return "ria@example.com", true // rita's teammate
		}
		return "rita@example.com", true // below the manager and the head
	case other:
		if role == tandem.RoleSalesHead {
			return "otto@example.com", true // nobody's report
		}
		return "rob@example.com", true // the other team
	}
	return "", true
}

// permRoles are the roles in the order of the table's columns.
var permRoles = []tandem.Role{tandem.RoleAdmin, tandem.RoleMarketingHead, tandem.RoleMarketing,
	tandem.RoleSalesHead, tandem.RoleSalesManager, tandem.RoleSalesRep, tandem.RoleExecutive}

// permTable is the one table of the permission test: for each way a lead
// is read or changed, and each role, what happens with the own, team's,
// other team's and unassigned lead: A allowed, D denied (403, nothing
// changes), - no such case. It is written out by hand from the rule in
// docs/api.md ("Who may read and change a lead"), not computed.
var permTable = []struct {
	way   string
	roles map[tandem.Role]string
}{
	// Reads: the API's lead routes, the list (filter and total), the page.
	{"GET /api/v1/leads/{id}", reads},
	{"GET /api/v1/leads/{id}/events", reads},
	{"GET /api/v1/leads/{id}/handoffs", reads},
	{"GET /api/v1/leads/{id}/cadence", reads},
	{"GET /api/v1/leads?external_id=", reads},
	{"GET /leads/{id} (page)", reads},
	// Changes through intake, the import and the lead routes.
	{"POST /api/v1/leads (company)", fieldChanges},
	{"import leads (company)", fieldChanges},
	{"POST /api/v1/leads (stage)", stageChanges},
	{"import leads (stage)", stageChanges},
	{"POST /api/v1/leads/{id}/stage", stageChanges},
	{"POST /api/v1/leads (owner_id)", ownerChanges},
	{"POST /api/v1/leads/{id}/touches", work},
	{"POST /api/v1/leads/{id}/accept", work},
	{"POST /api/v1/leads/{id}/reject", work},
	{"POST /leads/{id}/touch (page)", work},
	{"POST /leads/{id}/decide (page)", work},
}

var (
	reads = map[tandem.Role]string{
		tandem.RoleAdmin: "-AAA", tandem.RoleMarketingHead: "-AAA", tandem.RoleMarketing: "-AAA",
		tandem.RoleSalesHead: "AAAA", tandem.RoleSalesManager: "AADA", tandem.RoleSalesRep: "ADDA",
		tandem.RoleExecutive: "-AAA",
	}
	fieldChanges = map[tandem.Role]string{
		tandem.RoleAdmin: "-AAA", tandem.RoleMarketingHead: "-AAA", tandem.RoleMarketing: "-AAA",
		tandem.RoleSalesHead: "AADA", tandem.RoleSalesManager: "AADA", tandem.RoleSalesRep: "ADDA",
		tandem.RoleExecutive: "-DDD",
	}
	stageChanges = map[tandem.Role]string{
		tandem.RoleAdmin: "-AAA", tandem.RoleMarketingHead: "-DDA", tandem.RoleMarketing: "-DDA",
		tandem.RoleSalesHead: "AADD", tandem.RoleSalesManager: "AADD", tandem.RoleSalesRep: "ADDD",
		tandem.RoleExecutive: "-DDD",
	}
	ownerChanges = map[tandem.Role]string{
		tandem.RoleAdmin: "-AAA", tandem.RoleMarketingHead: "-DDD", tandem.RoleMarketing: "-DDD",
		tandem.RoleSalesHead: "AADA", tandem.RoleSalesManager: "AADA", tandem.RoleSalesRep: "DDDD",
		tandem.RoleExecutive: "-DDD",
	}
	work = map[tandem.Role]string{
		tandem.RoleAdmin: "-AAA", tandem.RoleMarketingHead: "-DDD", tandem.RoleMarketing: "-DDD",
		tandem.RoleSalesHead: "AADD", tandem.RoleSalesManager: "AADD", tandem.RoleSalesRep: "ADDD",
		tandem.RoleExecutive: "-DDD",
	}
)

// permWorld is the permission test's server and people.
type permWorld struct {
	*testServer
	users    map[string]tandem.User
	secret   map[string]string // user token by email
	sessions map[string]string // session secret by email
	admin    tandem.Token
	n        int // leads made so far, for their external ids
}

func newPermWorld(t *testing.T, b sqldbtest.Backend) *permWorld {
	t.Helper()
	ts := newTestServer(t, b)
	ts.clk.Set(workStart)
	pw := &permWorld{testServer: ts, users: map[string]tandem.User{}, secret: map[string]string{}, sessions: map[string]string{},
		admin: tandem.Token{Name: "setup", Role: tandem.RoleAdmin}}
	ctx := context.Background()
	for _, s := range permStaff {
		u := tandem.User{Email: s.email, Role: s.role}
		if s.manager != "" {
			u.ManagerID = pw.users[s.manager].ID
		}
		if err := ts.db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser(%s): %v", s.email, err)
		}
		pw.users[u.Email] = u
		_, secret, err := ts.db.CreateUserToken(ctx, strings.Split(s.email, "@")[0], s.email)
		if err != nil {
			t.Fatalf("CreateUserToken(%s): %v", s.email, err)
		}
		pw.secret[u.Email] = secret
		if _, pw.sessions[u.Email], err = ts.db.CreateSession(ctx, u.ID); err != nil {
			t.Fatalf("CreateSession(%s): %v", s.email, err)
		}
	}
	tandemtest.Sign(t, ts.db, string(agreement.Default()), "mia@example.com", "sam@example.com")
	return pw
}

// lead makes a hot lead with an open hand-off owned by owner ("" for
// none: routing finds every rep away) and returns it.
func (pw *permWorld) lead(owner string) tandem.Lead {
	pw.t.Helper()
	ctx := context.Background()
	pw.n++
	ext := fmt.Sprintf("p%d", pw.n)
	if owner == "" {
		pw.setAway(true)
		defer pw.setAway(false)
	}
	rs, err := pw.db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{
		"source": "perm", "external_id": ext, "email": ext + "@example.com", "score": "90"}}}, sqldb.IntakeOptions{Actor: "test"})
	if err != nil || rs[0].Status != tandem.StatusCreated {
		pw.t.Fatalf("IntakeLeads(%s) = %+v, %v; want created", ext, rs, err)
	}
	id := rs[0].ID
	if owner != "" {
		if _, err := pw.db.Assign(ctx, id, owner, "the test's owner", pw.admin); err != nil {
			pw.t.Fatalf("Assign(%d, %s): %v", id, owner, err)
		}
	}
	l, err := pw.db.Lead(ctx, id)
	if err != nil {
		pw.t.Fatal(err)
	}
	hs, err := pw.db.Handoffs(ctx, id)
	if err != nil || len(hs) != 1 || !hs[0].Open() || l.OwnerID != pw.users[owner].ID || hs[0].OwnerID != l.OwnerID {
		pw.t.Fatalf("lead %s: owner %d, hand-offs %+v, %v; want one open hand-off owned by %q", ext, l.OwnerID, hs, err, owner)
	}
	return l
}

// setAway marks every rep absent (or back), so that routing places no lead.
func (pw *permWorld) setAway(away bool) {
	pw.t.Helper()
	for _, s := range permStaff {
		if s.role == tandem.RoleSalesRep {
			if _, err := pw.db.UpdateUser(context.Background(), s.email, tandem.UserUpdate{Absent: &away}); err != nil {
				pw.t.Fatalf("UpdateUser(%s, absent %v): %v", s.email, away, err)
			}
		}
	}
}

// state is what must not move when a change is denied: the lead, its
// ledger, its hand-offs.
func (pw *permWorld) state(id int64) string {
	pw.t.Helper()
	ctx := context.Background()
	l, err := pw.db.Lead(ctx, id)
	if err != nil {
		pw.t.Fatal(err)
	}
	evs, err := pw.db.LeadEvents(ctx, id)
	if err != nil {
		pw.t.Fatal(err)
	}
	hs, err := pw.db.Handoffs(ctx, id)
	if err != nil {
		pw.t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		L  tandem.Lead
		E  int
		HS []tandem.Handoff
	}{l, len(evs), hs})
	return string(b)
}

// api sends a request with the user's token.
func (pw *permWorld) api(email, method, path, body string) response {
	pw.t.Helper()
	return pw.doSecret(method, path, pw.secret[email], strings.NewReader(body))
}

// page sends a request with the user's session.
func (pw *permWorld) page(email, method, path string, form url.Values) response {
	pw.t.Helper()
	wc := newWebClient(pw.t, pw.s.URL())
	wc.cookie = pw.sessions[email]
	return wc.do(method, path, form)
}

// token is the user's token as the store sees it.
func (pw *permWorld) token(email string) tandem.Token {
	u := pw.users[email]
	return tandem.Token{Name: "perm", Role: u.Role, UserID: u.ID, UserEmail: u.Email}
}

// newOwner is whom a reassignment in the test gives the lead to.
func newOwner(cur string) string {
	if cur == "ria@example.com" {
		return "rita@example.com"
	}
	return "ria@example.com"
}

// TestLeadPermissions walks every way a lead is read or changed (API
// routes, the list, the lead page, intake, the CSV import, the page's
// forms) with every role and every ownership case, against a real server
// on loopback and a real database, and checks each against permTable: an
// allowed read answers the lead, an allowed change changes it, a denied
// one answers 403 and leaves the lead, its ledger and its hand-offs as
// they were.
func TestLeadPermissions(t *testing.T) {
	if testing.Short() {
		t.Skip("the permission table makes a few hundred leads")
	}
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		pw := newPermWorld(t, b)
		ctx := context.Background()

		// Reads share one lead per owner; changes get a fresh lead each.
		readLeads := map[string]tandem.Lead{}
		checked := 0
		for _, row := range permTable {
			for _, role := range permRoles {
				who := permCaller[role]
				for c, want := range row.roles[role] {
					owner, ok := permOwner(role, c)
					if !ok != (want == '-') {
						t.Fatalf("permTable %s, %s, %s: %q does not match the case's existence", row.way, role, caseNames[c], want)
					}
					if !ok {
						continue
					}
					checked++
					what := fmt.Sprintf("%s as %s (%s) on the %s", row.way, who, role, caseNames[c])
					var l tandem.Lead
					if strings.HasPrefix(row.way, "GET") {
						var seen bool
						if l, seen = readLeads[owner]; !seen {
							l = pw.lead(owner)
							readLeads[owner] = l
						}
					} else {
						l = pw.lead(owner)
					}
					if strings.HasSuffix(row.way, "/reject") {
						pw.touches(l, 6) // the agreement's minimum before a rejection
					}
					before := pw.state(l.ID)
					r, changed := pw.try(t, row.way, who, l, owner)
					after := pw.state(l.ID)
					switch want {
					case 'A':
						if r.status >= 400 {
							t.Errorf("%s = %v; want it allowed", what, r)
						}
						if changed && before == after {
							t.Errorf("%s = %v, but the lead did not change", what, r)
						}
						if !changed && before != after {
							t.Errorf("%s: a read changed the lead:\n%s\n%s", what, before, after)
						}
					case 'D':
						if r.status != 403 {
							t.Errorf("%s = %v; want 403", what, r)
						}
						if before != after {
							t.Errorf("%s was denied but changed the lead:\nbefore %s\nafter  %s", what, before, after)
						}
					}
				}
			}
		}
		// The list's total counts only what the caller may read, whatever
		// the filter: computed here from the table's reads.
		for _, role := range permRoles {
			who := permCaller[role]
			var got leadListJSON
			r := pw.api(who, "GET", "/api/v1/leads?source=perm&limit=1000", "")
			if err := json.Unmarshal(r.body, &got); r.status != 200 || err != nil {
				t.Fatalf("GET /api/v1/leads as %s = %v", who, r)
			}
			want := 0
			all, err := pw.db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"source": "perm"}, Limit: 1000})
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			for _, l := range all.Leads {
				if pw.mayReadByHand(who, l) {
					want++
				}
			}
			if got.Total != want || len(got.Items) != want {
				t.Errorf("GET /api/v1/leads?source=perm as %s (%s) = total %d, %d items; want %d", who, role, got.Total, len(got.Items), want)
			}
		}
		t.Logf("%d cases: %d ways x %d roles x the ownership cases that apply", checked, len(permTable), len(permRoles))
	})
}

// mayReadByHand is the reading rule of docs/api.md, written out for the
// test's people: a rep reads their own leads, those they held and the
// unassigned ones; a manager theirs and their reps'; everyone else all.
func (pw *permWorld) mayReadByHand(who string, l tandem.Lead) bool {
	held := func(emails ...string) bool {
		hs, err := pw.db.Handoffs(context.Background(), l.ID)
		if err != nil {
			pw.t.Fatal(err)
		}
		for _, h := range hs {
			for _, e := range emails {
				if h.OwnerID == pw.users[e].ID {
					return true
				}
			}
		}
		return false
	}
	owns := func(emails ...string) bool {
		for _, e := range emails {
			if l.OwnerID == pw.users[e].ID {
				return true
			}
		}
		return false
	}
	switch who {
	case "rita@example.com":
		return l.OwnerID == 0 || owns(who) || held(who)
	case "mo@example.com":
		return l.OwnerID == 0 || owns(who, "rita@example.com", "ria@example.com") || held(who, "rita@example.com", "ria@example.com")
	}
	return true
}

// try does the way to the lead as who, and says whether an allowed try
// changes the lead.
func (pw *permWorld) try(t *testing.T, way, who string, l tandem.Lead, owner string) (r response, changes bool) {
	t.Helper()
	id := l.ID
	switch way {
	case "GET /api/v1/leads/{id}":
		return pw.api(who, "GET", fmt.Sprintf("/api/v1/leads/%d", id), ""), false
	case "GET /api/v1/leads/{id}/events":
		return pw.api(who, "GET", fmt.Sprintf("/api/v1/leads/%d/events", id), ""), false
	case "GET /api/v1/leads/{id}/handoffs":
		return pw.api(who, "GET", fmt.Sprintf("/api/v1/leads/%d/handoffs", id), ""), false
	case "GET /api/v1/leads/{id}/cadence":
		return pw.api(who, "GET", fmt.Sprintf("/api/v1/leads/%d/cadence", id), ""), false
	case "GET /api/v1/leads?external_id=":
		// The list answers 200 either way: a lead the caller may not read
		// is neither listed nor counted, which the test reports as 403.
		r := pw.api(who, "GET", "/api/v1/leads?source=perm&external_id="+l.ExternalID, "")
		var got leadListJSON
		if err := json.Unmarshal(r.body, &got); r.status != 200 || err != nil {
			t.Fatalf("GET /api/v1/leads?external_id=%s as %s = %v", l.ExternalID, who, r)
		}
		switch {
		case got.Total == 1 && len(got.Items) == 1 && got.Items[0].ID == id:
			return r, false
		case got.Total == 0 && len(got.Items) == 0:
			r.status = 403
			return r, false
		}
		t.Fatalf("GET /api/v1/leads?external_id=%s as %s = total %d, %d items; want the lead or nothing", l.ExternalID, who, got.Total, len(got.Items))
	case "GET /leads/{id} (page)":
		return pw.page(who, "GET", fmt.Sprintf("/leads/%d", id), nil), false
	case "POST /api/v1/leads (company)":
		return pw.api(who, "POST", "/api/v1/leads", fmt.Sprintf(`{"source": "perm", "external_id": %q, "company": "Changed Co"}`, l.ExternalID)), true
	case "POST /api/v1/leads (stage)":
		return pw.api(who, "POST", "/api/v1/leads", fmt.Sprintf(`{"source": "perm", "external_id": %q, "stage": "disqualified", "reason": "spam"}`, l.ExternalID)), true
	case "POST /api/v1/leads (owner_id)":
		to := pw.users[newOwner(owner)].ID
		return pw.api(who, "POST", "/api/v1/leads", fmt.Sprintf(`{"source": "perm", "external_id": %q, "owner_id": %d}`, l.ExternalID, to)), true
	case "import leads (company)", "import leads (stage)":
		fields := map[string]string{"source": "perm", "external_id": l.ExternalID, "company": "Imported Co"}
		if strings.Contains(way, "stage") {
			fields = map[string]string{"source": "perm", "external_id": l.ExternalID, "stage": "disqualified"}
		}
		res, err := pw.db.Import(context.Background(), "leads", []csvimport.Row{{Line: 2, Fields: fields}},
			sqldb.ImportOptions{File: "perm.csv", As: ptr(pw.token(who))})
		if err != nil {
			t.Fatalf("Import as %s: %v", who, err)
		}
		r := response{status: 200}
		if res[0].Status == tandem.StatusRejected {
			r.status = statusOf[tandem.ErrorCode(res[0].Err)]
			r.body = []byte(tandem.ErrorMessage(res[0].Err))
		}
		return r, true
	case "POST /api/v1/leads/{id}/stage":
		return pw.api(who, "POST", fmt.Sprintf("/api/v1/leads/%d/stage", id), `{"stage": "disqualified", "reason": "spam"}`), true
	case "POST /api/v1/leads/{id}/touches":
		return pw.api(who, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", id), `{"channel": "call", "outcome": "no_answer"}`), true
	case "POST /api/v1/leads/{id}/accept":
		return pw.api(who, "POST", fmt.Sprintf("/api/v1/leads/%d/accept", id), ``), true
	case "POST /api/v1/leads/{id}/reject":
		return pw.api(who, "POST", fmt.Sprintf("/api/v1/leads/%d/reject", id), `{"reason": "no_budget"}`), true
	case "POST /leads/{id}/touch (page)":
		return pw.page(who, "POST", fmt.Sprintf("/leads/%d/touch", id), url.Values{"touch": {"call:no_answer"}}), true
	case "POST /leads/{id}/decide (page)":
		return pw.page(who, "POST", fmt.Sprintf("/leads/%d/decide", id), url.Values{"decision": {"accepted"}}), true
	}
	t.Fatalf("no way %q", way)
	return response{}, false
}

// touches logs n touches on the lead as an admin.
func (pw *permWorld) touches(l tandem.Lead, n int) {
	pw.t.Helper()
	for range n {
		if _, err := pw.db.LogTouch(context.Background(), l.ID, tandem.Touch{Channel: "call", Outcome: "no_answer"}, pw.admin); err != nil {
			pw.t.Fatalf("LogTouch(%d): %v", l.ID, err)
		}
	}
}

// TestPermTableShape checks that the table has a row for every role and
// one letter per ownership case, so that no cell is left out silently.
func TestPermTableShape(t *testing.T) {
	for _, row := range permTable {
		var got []tandem.Role
		for role, cells := range row.roles {
			got = append(got, role)
			if len(cells) != len(caseNames) {
				t.Errorf("permTable %s, %s = %q; want %d cells", row.way, role, cells, len(caseNames))
			}
		}
		if len(got) != len(tandem.Roles) {
			t.Errorf("permTable %s has roles %v; want every role", row.way, got)
		}
	}
	if diff := cmp.Diff(len(tandem.Roles), len(permRoles)); diff != "" {
		t.Errorf("permRoles (-want +got):\n%s", diff)
	}
}

// TestImportPageLeadRule imports leads through the import page as
// marketing: the preview and the run refuse the row that moves a rep's
// lead, naming the lead and its owner, keep that lead as it was, and take
// the row that moves an unassigned lead.
func TestImportPageLeadRule(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _, wcs := importPageServer(t, b)
		ctx := context.Background()
		rep, err := db.UserByEmail(ctx, "page-sales_rep@example.com")
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"source": "crm", "external_id": "L1", "owner_id": fmt.Sprint(rep.ID)}}},
			sqldb.IntakeOptions{Actor: "test"})
		if err != nil || rs[0].Status != tandem.StatusUpdated {
			t.Fatalf("giving L1 to the rep = %+v, %v", rs, err)
		}
		before, err := db.Lead(ctx, rs[0].ID)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		wc := wcs[tandem.RoleMarketing]
		id := wc.uploadKind("leads", "moves.csv", "source,external_id,stage\ncrm,L1,disqualified\ncrm,L2,disqualified\n")
		refusal := fmt.Sprintf("lead %d belongs to page-sales_rep@example.com", before.ID)
		want(t, "the preview", wc.get("/import?upload="+id), 200, refusal)
		form := url.Values{"upload": {id}, "by": {"hand"}, "mapped": {"1"}, "col0": {"source"}, "col1": {"external_id"}, "col2": {"stage"}}
		want(t, "run", wc.post("/import/run", form), 303, "/import?upload="+id)
		want(t, "the finished status", wc.waitImport(id), 200, "<strong>1</strong> updated", "<strong>1</strong> rejected", "<td>2</td><td></td><td>"+refusal)
		if after, err := db.Lead(ctx, before.ID); err != nil || !cmp.Equal(after, before) {
			t.Errorf("the rep's lead after the import = %+v, %v; want it as it was, %+v", after, err, before)
		}
		page, err := db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"external_id": "L2"}})
		if err != nil || len(page.Leads) != 1 || page.Leads[0].Stage != "disqualified" {
			t.Errorf("L2 after the import = %+v, %v; want it disqualified", page.Leads, err)
		}
	})
}
