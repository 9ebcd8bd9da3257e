package http

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// leadLinks returns the ids of the /leads/{id} links of a page, in order.
func leadLinks(body []byte) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<a href="/leads/(\d+)">`).FindAllSubmatch(body, -1) {
		ids = append(ids, string(m[1]))
	}
	return ids
}

// TestLeadsPage: the list searches, filters, sorts and pages as the API
// does, under the read rule; it saves views and exports the view as CSV.
func TestLeadsPage(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		var routed []tandem.Lead
		owners := map[string]int{}
		for i := range 4 {
			l, owner := ws.routedLead(fmt.Sprintf("r%d", i))
			routed = append(routed, l)
			owners[owner]++
		}
		cold := ws.postLead(`{"external_id": "c1", "first_name": "Zoë", "last_name": "Ångström", "email": "zoe@north.example", "company": "=cmd|calc", "score": 20}`)
		mark := ws.signIn("mark@example.com")

		// A search by part of a name, ignoring case and accents.
		r := mark.get("/leads?q=" + url.QueryEscape("angs"))
		want(t, "search angs", r, 200, "1 lead;", "Zoë Ångström")
		if got := leadLinks(r.body); len(got) != 1 || got[0] != fmt.Sprint(cold.ID) {
			t.Errorf("search angs: links to leads %v; want [%d]", got, cold.ID)
		}
		// Filters as the form sends them (blank fields included) and the
		// "more" field; every name on the list is a link to its lead.
		r = mark.get("/leads?q=&stage=mql&owner_id=&field=company&value=Acme")
		want(t, "mql at Acme", r, 200, "4 leads;", "Stage: <strong>mql</strong>", "Company: <strong>Acme</strong>")
		if got := leadLinks(r.body); len(got) != 4 {
			t.Errorf("mql at Acme: %d lead links; want 4", len(got))
		}
		// Several stages, as the form's multiple select sends them: the
		// four mql leads and the cold one (stage lead), one chip, both
		// options selected.
		r = mark.get("/leads?stage=mql&stage=" + cold.Stage + "&owner_id=")
		want(t, "mql or "+cold.Stage, r, 200, "5 leads;", "Stage: <strong>mql or "+cold.Stage+"</strong>",
			"<option selected>mql</option>", "<option selected>"+cold.Stage+"</option>")
		// Several owners: the first routed lead's and nobody's.
		r = mark.get(fmt.Sprintf("/leads?owner_id=%d&owner_id=0", routed[0].OwnerID))
		var wantOwned int
		for _, l := range append(slices.Clone(routed), cold) {
			if l.OwnerID == routed[0].OwnerID || l.OwnerID == 0 {
				wantOwned++
			}
		}
		want(t, "owners", r, 200, fmt.Sprintf("%d leads;", wantOwned), `<option value="0" selected>`)
		// Sorted by score, one per page: the next link walks them all.
		seen := map[string]bool{}
		next := "/leads?sort=-score&limit=1"
		for range 10 {
			r = mark.get(next)
			want(t, "page "+next, r, 200, "5 leads")
			for _, id := range leadLinks(r.body) {
				seen[id] = true
			}
			m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindSubmatch(r.body)
			if m == nil {
				break
			}
			next = strings.ReplaceAll(string(m[1]), "&amp;", "&")
		}
		if len(seen) != 5 {
			t.Errorf("walking the pages sorted by score saw %d leads; want 5", len(seen))
		}
		// A bad search says what is wrong, in words, and changes nothing.
		want(t, "search ab", mark.get("/leads?q=ab"), 422, "too short")

		// A rep lists only what they may read: their leads and unassigned ones.
		rita := ws.signIn("rita@example.com")
		want(t, "rita's list", rita.get("/leads"), 200, fmt.Sprintf("%d leads;", owners["rita@example.com"]+1))

		// Saved views: mark's, shared, listed for rita.
		want(t, "save view", mark.post("/leads/views", url.Values{"name": {"Hot MQLs"}, "query": {"stage=mql&sort=-score&cursor=x"}, "shared": {"on"}}),
			303, "/leads?done=view&sort=-score&stage=mql")
		want(t, "rita sees the shared view", rita.get("/leads"), 200, `<a href="/leads?sort=-score&amp;stage=mql">Hot MQLs</a>`, "shared by mark@example.com")
		want(t, "a view with a bad filter", mark.post("/leads/views", url.Values{"name": {"Bad"}, "query": {"score_min=lots"}}), 422, "not a whole number")

		// The CSV of the view: every lead of it, through csvout.
		r = mark.get("/leads/export?q=&stage=&sort=id")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export = %v; want 200 text/csv", r)
		}
		recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("reading the export: %v", err)
		}
		if len(recs) != 6 || recs[0][0] != "id" || recs[0][len(recs[0])-3] != "owner_email" {
			t.Fatalf("export = %d records, header %v; want a header and 5 leads", len(recs), recs[0])
		}
		last := recs[5]
		col := map[string]int{}
		for i, c := range recs[0] {
			col[c] = i
		}
		if last[col["id"]] != fmt.Sprint(cold.ID) || last[col["company"]] != "'=cmd|calc" || last[col["last_name"]] != "Ångström" {
			t.Errorf("export's last lead = %v; want lead %d, its company neutralised as '=cmd|calc", last, cold.ID)
		}
		if routed[0].OwnerID != 0 && recs[1][col["owner_email"]] == "" {
			t.Errorf("export's first lead has no owner email: %v", recs[1])
		}
	})
}

// TestLeadForms: add a lead with the form and see it routed; edit it (the
// ledger records the change), write a note, hand a cold lead over as hot,
// reassign; bulk actions report each refused lead with why.
func TestLeadForms(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		ctx := context.Background()
		mark := ws.signIn("mark@example.com")
		want(t, "the add form", mark.get("/leads/new"), 200, "Add a lead", `name="first_name"`)
		r := mark.post("/leads/new", url.Values{"first_name": {"Hana"}, "last_name": {"Sato"}, "email": {"hana@kite.example"},
			"company": {"Kite"}, "score": {"75"}, "source": {"web"}, "external_id": {""}})
		want(t, "add a lead", r, 303, "/leads/")
		var id int64
		if _, err := fmt.Sscanf(r.header.Get("Location"), "/leads/%d?done=created", &id); err != nil {
			t.Fatalf("add a lead: Location %q; want /leads/ID?done=created", r.header.Get("Location"))
		}
		l, err := ws.db.Lead(ctx, id)
		if err != nil || l.Stage != "mql" || ws.byID[l.OwnerID] == "" {
			t.Fatalf("the added lead = %+v, %v; want stage mql, routed to a rep", l, err)
		}
		want(t, "the added lead's page", mark.get(r.header.Get("Location")), 200, "the lead is added.", "owned by "+ws.byID[l.OwnerID])
		want(t, "a lead without a name", mark.post("/leads/new", url.Values{"title": {"CTO"}}), 422, "give at least an email")
		want(t, "a lead with a bad score", mark.post("/leads/new", url.Values{"email": {"x@y.example"}, "score": {"lots"}}), 422, `value="lots"`)

		// Edit: the change is on the timeline as "Fields changed".
		rep := ws.byID[l.OwnerID]
		mo := ws.signIn(ws.managerOf(rep))
		want(t, "edit form", mo.get(fmt.Sprintf("/leads/%d/edit", id)), 200, `value="Kite"`, "readonly")
		want(t, "edit", mo.post(fmt.Sprintf("/leads/%d/edit", id), url.Values{"company": {"Kite Labs"}, "reason": {"renamed"}}), 303, fmt.Sprintf("/leads/%d?done=updated", id))
		want(t, "note", mo.post(fmt.Sprintf("/leads/%d/note", id), url.Values{"note": {"Met at the fair"}}), 303, fmt.Sprintf("/leads/%d?done=noted", id))
		want(t, "the timeline", mo.get(fmt.Sprintf("/leads/%d", id)), 200, "Fields changed", "Kite → Kite Labs", "Met at the fair", "Note")

		// Reassign to the other rep, by the manager above both (sam).
		sam := ws.signIn("sam@example.com")
		other := otherRep(rep)
		want(t, "reassign", sam.post(fmt.Sprintf("/leads/%d/assign", id), url.Values{"owner": {other}, "reason": {"holiday"}}), 303, fmt.Sprintf("/leads/%d?done=assigned", id))
		if l, _ := ws.db.Lead(ctx, id); ws.byID[l.OwnerID] != other {
			t.Errorf("after the reassignment the owner is %q; want %s", ws.byID[l.OwnerID], other)
		}
		want(t, "reassign by marketing", mark.post(fmt.Sprintf("/leads/%d/assign", id), url.Values{"owner": {rep}, "reason": {"x"}}), 403)

		// Hand a cold lead over as hot, with its context.
		cold := ws.coldLead("cold1")
		want(t, "hand off", mark.post(fmt.Sprintf("/leads/%d/handoff", cold.ID), url.Values{"note": {"asked for a demo"}, "link": {"https://x.example/post"}}),
			303, fmt.Sprintf("/leads/%d?done=handed-off", cold.ID))
		want(t, "the hot lead's page", mark.get(fmt.Sprintf("/leads/%d", cold.ID)), 200, "as a hot lead", "asked for a demo")

		// Bulk: a manager assigns two leads; the one not under them is
		// refused with why.
		mine, _ := ws.routedLead("b1")
		for ws.byID[mine.OwnerID] != "rita@example.com" {
			mine, _ = ws.routedLead(fmt.Sprint("b", mine.ID))
		}
		theirs, _ := ws.routedLead("b2")
		for ws.byID[theirs.OwnerID] != "rob@example.com" {
			theirs, _ = ws.routedLead(fmt.Sprint("b", theirs.ID))
		}
		moc := ws.signIn("mo@example.com")
		r = moc.post("/leads/bulk", url.Values{"id": {fmt.Sprint(mine.ID), fmt.Sprint(theirs.ID)}, "action": {"stage"}, "stage": {"recycled"}, "reason": {"bulk test"}})
		// Neither may go back to marketing: rita's lead lacks the agreement's
		// touches, rob's is not mo's to read.
		want(t, "bulk move", r, 422, "0 done, 2 refused", "touches the agreement asks for", "is not yours")
		r = moc.post("/leads/bulk", url.Values{"id": {fmt.Sprint(mine.ID), fmt.Sprint(theirs.ID)}, "action": {"assign"}, "owner": {"rita@example.com"}, "reason": {"bulk"}})
		want(t, "bulk assign", r, 200, "1 done, 1 refused", fmt.Sprintf(`<li class="refused"><a href="/leads/%d">`, theirs.ID))
		want(t, "bulk with nothing picked", moc.post("/leads/bulk", url.Values{"action": {"assign"}}), 422, "pick at least one lead")
		want(t, "bulk campaign by a manager", moc.post("/leads/bulk", url.Values{"id": {fmt.Sprint(mine.ID)}, "action": {"campaign"}, "campaign": {"x"}}), 403)
		r = mark.post("/leads/bulk", url.Values{"id": {fmt.Sprint(cold.ID), "999999"}, "action": {"campaign"}, "campaign": {"spring-fair"}})
		want(t, "bulk campaign", r, 200, "1 done, 1 refused", "Lead 999999")
		if l, _ := ws.db.Lead(ctx, cold.ID); l.Campaign != "spring-fair" {
			t.Errorf("after the bulk campaign, lead %d's campaign = %q; want spring-fair", cold.ID, l.Campaign)
		}
	})
}
