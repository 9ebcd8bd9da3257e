package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// The JSON of lead responses, as a client reads them.
type (
	leadResultJSON struct {
		Index  int    `json:"index"`
		ID     int64  `json:"id"`
		Status string `json:"status"`
		Error  *struct {
			Code    string              `json:"code"`
			Message string              `json:"message"`
			Fields  []tandem.FieldError `json:"fields"`
		} `json:"error"`
	}
	batchJSON struct {
		Results   []leadResultJSON `json:"results"`
		Created   int              `json:"created"`
		Updated   int              `json:"updated"`
		Unchanged int              `json:"unchanged"`
		Rejected  int              `json:"rejected"`
		DryRun    bool             `json:"dry_run"`
	}
	leadListJSON struct {
		Items      []tandem.Lead `json:"items"`
		Total      int           `json:"total"`
		NextCursor string        `json:"next_cursor"`
	}
	eventListJSON struct {
		Items []tandem.Event `json:"items"`
	}
)

// outcome is the part of a result a test can predict: the status, and for
// a rejected item the error code and the fields it names.
type outcome struct {
	Status string
	Code   string
	Fields []string
}

func outcomes(rs []leadResultJSON) []outcome {
	out := make([]outcome, len(rs))
	for i, r := range rs {
		out[i] = outcome{Status: r.Status}
		if r.Error != nil {
			out[i].Code, out[i].Fields = r.Error.Code, fieldNames(r.Error.Fields)
		}
	}
	return out
}

// checkResults checks a batch response against the outcomes, item by item:
// indexes in order, ids on stored leads and none on rejected ones, and
// counts that add up.
func checkResults(t *testing.T, what string, got batchJSON, want []outcome) {
	t.Helper()
	if diff := cmp.Diff(want, outcomes(got.Results)); diff != "" {
		t.Fatalf("%s: outcomes (-want +got):\n%s", what, diff)
	}
	counts := map[string]int{}
	for i, r := range got.Results {
		counts[r.Status]++
		if r.Index != i {
			t.Errorf("%s: result %d has index %d", what, i, r.Index)
		}
		if stored := r.Status != tandem.StatusRejected; stored != (r.ID > 0) && !got.DryRun {
			t.Errorf("%s: result %d = %+v; want an id exactly when the lead is stored", what, i, r)
		}
		if r.Error != nil && r.Error.Message == "" {
			t.Errorf("%s: result %d has an error without a message", what, i)
		}
	}
	wantCounts := map[string]int{"created": got.Created, "updated": got.Updated, "unchanged": got.Unchanged, "rejected": got.Rejected}
	for s, n := range wantCounts {
		if counts[s] != n {
			t.Errorf("%s: %q = %d; want %d, the number of results with that status", what, s, n, counts[s])
		}
	}
}

func TestPostLeadsBatch(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		batch := `[
			{"external_id": "b1", "email": "ana@example.com", "origin": "social", "score": 40,
			 "attributes": {"landing_page_id": "lp-7"}},
			{"external_id": "b2", "colour": "blue"},
			{"external_id": "b3", "email": "not-an-email", "score": "high"},
			{"external_id": "b4", "company": {"name": "Acme"}},
			{"external_id": "b5", "first_name": "Bo", "score": "55", "owner_id": null, "created_at": "2026-03-01"},
			{"external_id": "b6", "score": [1], "attributes": {"ok": {"a": 1}}},
			{"external_id": "b7", "attributes": "lp-7"},
			{"external_id": "b8", "stage": "won", "created_at": "yesterday"},
			{"external_id": "b9", "created_at": "2027-01-01"},
			{"external_id": "b10", "owner_id": -3, "score": 2000000},
			{"external_id": "b11", "email": "cy@example.com", "score": 1e2, "stage": "mql", "campaign": true},
			{"external_id": "b12", "attributes": {"Bad Key": "x", "ok": "y"}, "attributes.fine": "z"},
			{"external_id": "b13", "attributes": {"k": "v"}, "attributes.k": "w"}
		]`
		rejected := func(fields ...string) outcome { return outcome{"rejected", tandem.EINVALID, fields} }
		created := outcome{Status: "created"}
		want := []outcome{
			created,
			rejected("colour"),
			rejected("email", "score"),
			rejected("company"),
			created,
			rejected("attributes.ok", "score"),
			rejected("attributes"),
			rejected("created_at", "stage"),
			rejected("created_at"),
			rejected("owner_id", "score"),
			created,
			rejected("attributes.Bad Key"),
			rejected("attributes.k"),
		}
		var first batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, batch, 200, &first)
		checkResults(t, "first POST", first, want)
		if first.Created != 3 || first.Rejected != 10 {
			t.Errorf("first POST: created %d, rejected %d; want 3, 10", first.Created, first.Rejected)
		}

		// The good items are stored, as sent.
		wantLeads := map[int]tandem.Lead{
			0: {Source: "api", ExternalID: "b1", Email: "ana@example.com", Origin: "social", Score: 40, Stage: "lead",
				Attributes: map[string]string{"landing_page_id": "lp-7"}, CreatedAt: epoch, UpdatedAt: epoch, StageChangedAt: epoch, Version: 1},
			4: {Source: "api", ExternalID: "b5", FirstName: "Bo", Score: 55, Stage: "lead",
				// A date: its midnight in New York, the default agreement's zone.
				CreatedAt: time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC),
				StageChangedAt: time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), Version: 1},
			// Its campaign is a marketing touch: a second event.
			10: {Source: "api", ExternalID: "b11", Email: "cy@example.com", Score: 100, Stage: "mql", Campaign: "true",
				CreatedAt: epoch, UpdatedAt: epoch, StageChangedAt: epoch, Version: 2},
		}
		for i, w := range wantLeads {
			var got tandem.Lead
			path := fmt.Sprintf("/api/v1/leads/%d", first.Results[i].ID)
			ts.call("GET", path, tandem.RoleExecutive, "", 200, &got)
			w.ID = first.Results[i].ID
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", path, diff)
			}
		}
		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleExecutive, "", 200, &list)
		if list.Total != 3 {
			t.Errorf("GET /api/v1/leads total = %d; want 3", list.Total)
		}

		// The same batch again: nothing new, the same ids.
		var again batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, batch, 200, &again)
		for i := range want {
			if want[i].Status == "created" {
				want[i].Status = "unchanged"
			}
		}
		checkResults(t, "second POST", again, want)
		for i := range again.Results {
			if again.Results[i].ID != first.Results[i].ID {
				t.Errorf("second POST: item %d has id %d; want %d as the first time", i, again.Results[i].ID, first.Results[i].ID)
			}
		}
		ts.call("GET", "/api/v1/leads", tandem.RoleExecutive, "", 200, &list)
		if list.Total != 3 {
			t.Errorf("after the second POST, GET /api/v1/leads total = %d; want 3", list.Total)
		}
		var events eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", first.Results[0].ID), tandem.RoleExecutive, "", 200, &events)
		if len(events.Items) != 1 {
			t.Errorf("lead b1 has %d events after an unchanged resend; want 1", len(events.Items))
		}

		// One item twice in a batch: created, then updated, one lead.
		var dup batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing,
			`[{"external_id": "d1", "email": "d@example.com"}, {"external_id": "d1", "company": "Dup Co"}]`, 200, &dup)
		checkResults(t, "a batch with one lead twice", dup, []outcome{{Status: "created"}, {Status: "updated"}})
		if dup.Results[0].ID != dup.Results[1].ID {
			t.Errorf("a batch with one lead twice: ids %d and %d; want the same", dup.Results[0].ID, dup.Results[1].ID)
		}
	})
}

func TestPostLeadSingle(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		const lead = `{"external_id": "s1", "source": "form", "email": "s@example.com", "score": 10}`
		var created, unchanged, updated leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleSalesRep, lead, 201, &created)
		if created.Status != "created" || created.ID <= 0 || created.Error != nil {
			t.Errorf("POST a new lead = %+v; want created with an id", created)
		}
		ts.call("POST", "/api/v1/leads", tandem.RoleSalesRep, lead, 200, &unchanged)
		if want := (leadResultJSON{ID: created.ID, Status: "unchanged"}); !cmp.Equal(unchanged, want) {
			t.Errorf("POST the same lead again = %+v; want %+v", unchanged, want)
		}
		ts.call("POST", "/api/v1/leads", tandem.RoleSalesRep, `{"external_id": "s1", "source": "form", "company": "Acme"}`, 200, &updated)
		if want := (leadResultJSON{ID: created.ID, Status: "updated"}); !cmp.Equal(updated, want) {
			t.Errorf("POST the lead with a new company = %+v; want %+v", updated, want)
		}
		var l tandem.Lead
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", created.ID), tandem.RoleSalesRep, "", 200, &l)
		if l.Company != "Acme" || l.Email != "s@example.com" || l.Version != 2 {
			t.Errorf("after the update the lead is %+v; want company Acme, the email kept, version 2", l)
		}

		for _, tc := range []struct {
			body       string
			wantFields []string
		}{
			{`{"external_id": "s2", "email": "nope"}`, []string{"email"}},
			{`{"external_id": "s2", "colour": "blue", "score": "high"}`, []string{"colour", "score"}},
			{`{"external_id": "s2", "title": ["a", "b"]}`, []string{"title"}},
			{`{"external_id": "s2", "attributes": {"k": null, "Bad": 1}}`, []string{"attributes.Bad"}},
		} {
			r := ts.do("POST", "/api/v1/leads", tandem.RoleSalesRep, tc.body)
			e := checkError(t, "POST "+tc.body, r, 422, tandem.EINVALID)
			if diff := cmp.Diff(tc.wantFields, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("POST %s: fields (-want +got):\n%s", tc.body, diff)
			}
		}
		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleSalesRep, "", 200, &list)
		if list.Total != 1 {
			t.Errorf("after rejected leads, total = %d; want 1", list.Total)
		}
	})
}

func TestPostLeadsDryRun(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var existing leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, `{"external_id": "x1", "email": "x1@example.com"}`, 201, &existing)

		batch := `[{"external_id": "x1", "company": "New Co"}, {"external_id": "x2"}, {"external_id": "x3", "email": "bad"}]`
		var got batchJSON
		ts.call("POST", "/api/v1/leads?dry_run=true", tandem.RoleMarketing, batch, 200, &got)
		checkResults(t, "dry run", got, []outcome{{Status: "updated"}, {Status: "created"}, {"rejected", tandem.EINVALID, []string{"email"}}})
		if !got.DryRun {
			t.Errorf("dry run: dry_run = false; want true")
		}
		if got.Results[0].ID != existing.ID || got.Results[1].ID != 0 {
			t.Errorf("dry run: ids %d, %d; want %d (the existing lead), 0 (not created)", got.Results[0].ID, got.Results[1].ID, existing.ID)
		}
		var single leadResultJSON
		ts.call("POST", "/api/v1/leads?dry_run=true", tandem.RoleMarketing, `{"external_id": "x4"}`, 201, &single)

		ts.call("POST", "/api/v1/leads?dry_run=1", tandem.RoleMarketing, `{"external_id": "x5"}`, 201, nil)
		ts.call("POST", "/api/v1/leads?dry_run=false", tandem.RoleMarketing, `{"external_id": "x1"}`, 200, nil)

		// A dry run the server cannot read must not write.
		for _, query := range []string{"dry_run=yes", "dry_run=", "dryrun=true", "dry-run=true", "dry_run=true&x=1"} {
			r := ts.do("POST", "/api/v1/leads?"+query, tandem.RoleMarketing, batch)
			checkError(t, "POST /api/v1/leads?"+query, r, 422, tandem.EINVALID)
		}

		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleMarketing, "", 200, &list)
		if list.Total != 1 || list.Items[0].Company != "" || list.Items[0].Version != 1 {
			t.Errorf("after dry runs, GET /api/v1/leads = %+v; want only x1, unchanged", list)
		}
		var events eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", existing.ID), tandem.RoleMarketing, "", 200, &events)
		if len(events.Items) != 1 {
			t.Errorf("after a dry-run update, lead x1 has %d events; want 1", len(events.Items))
		}
	})
}

func TestPostLeadsMalformed(t *testing.T) {
	t.Parallel()
	item := `{"external_id": "m", "email": "m@example.com"}`
	tooMany := "[" + strings.Repeat(item+",", MaxBatch) + item + "]"
	tooBig := `[{"company": "` + strings.Repeat("x", MaxBodyBytes) + `"}]`
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		for _, tc := range []struct {
			name       string
			body       string
			wantStatus int
			wantCode   string
		}{
			{"empty", "", 400, tandem.EMALFORMED},
			{"blank", " \n\t ", 400, tandem.EMALFORMED},
			{"not JSON", "email=a@example.com", 400, tandem.EMALFORMED},
			{"truncated object", `{"email": "a@exa`, 400, tandem.EMALFORMED},
			{"truncated batch", `[` + item + `, {"email": `, 400, tandem.EMALFORMED},
			{"two objects", item + " " + item, 400, tandem.EMALFORMED},
			{"object then garbage", item + "]", 400, tandem.EMALFORMED},
			{"a JSON string", `"a@example.com"`, 400, tandem.EMALFORMED},
			{"a JSON number", `42`, 400, tandem.EMALFORMED},
			{"JSON null", `null`, 400, tandem.EMALFORMED},
			{"JSON true", `true`, 400, tandem.EMALFORMED},
			{"a JSON array of arrays, unclosed", `[[`, 400, tandem.EMALFORMED},
			{"an empty batch", `[]`, 422, tandem.EINVALID},
			{"1,001 leads", tooMany, 413, tandem.ETOOLARGE},
			{"a body over 16 MiB", tooBig, 413, tandem.ETOOLARGE},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.do("POST", "/api/v1/leads", tandem.RoleAdmin, tc.body)
				checkError(t, "POST /api/v1/leads with "+tc.name, r, tc.wantStatus, tc.wantCode)
			})
		}
		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleAdmin, "", 200, &list)
		if list.Total != 0 {
			t.Errorf("after malformed POSTs, total = %d; want 0", list.Total)
		}

		// Items that are not objects are rejected one by one.
		var got batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `[1, "x", null, [], true, `+item+`]`, 200, &got)
		notObject := outcome{"rejected", tandem.EMALFORMED, []string{}}
		checkResults(t, "a batch with items that are not objects", got,
			[]outcome{notObject, notObject, notObject, notObject, notObject, {Status: "created"}})
		for _, r := range got.Results[:5] {
			if msg := r.Error.Message; !strings.Contains(msg, "JSON object") || strings.Contains(msg, "map[") {
				t.Errorf("item %d: message %q; want one that asks for a JSON object and names no Go type", r.Index, msg)
			}
		}
	})
}

// seedLeads stores a small, varied set of leads and returns their ids by
// external id.
func seedLeads(t *testing.T, ts *testServer) map[string]int64 {
	t.Helper()
	// A date is its day in the default agreement's zone, New York: f3 is
	// created at its midnight (04:00 UTC in June), f4 a microsecond later.
	batch := `[
		{"external_id": "f1", "origin": "social", "score": 10, "created_at": "2026-01-15", "attributes": {"landing_page_id": "lp-1"}},
		{"external_id": "f2", "origin": "social", "score": 70, "stage": "mql", "created_at": "2026-03-01T12:00:00Z"},
		{"external_id": "f3", "origin": "email", "score": 50, "created_at": "2026-06-01", "attributes": {"landing_page_id": "lp-1", "tier": "gold"}},
		{"external_id": "f4", "origin": "paid_search", "score": 90, "stage": "mql", "owner_id": 7, "created_at": "2026-06-01T04:00:00.000001Z"},
		{"external_id": "f5", "origin": "social", "score": -5, "country": "DE", "attributes": {"landing_page_id": "lp-2"}},
		{"external_id": "f6", "source": "hubspot", "origin": "social", "score": 60, "created_at": "2025-12-31T23:59:59Z"}
	]`
	// f4's owner is user 7, a rep: an owner_id must be a user in sales,
	// and only an admin or sales sets one (package access).
	for i := 1; i <= 7; i++ {
		u := tandem.User{Email: fmt.Sprintf("owner%d@example.com", i), Role: tandem.RoleSalesRep}
		if err := ts.db.CreateUser(context.Background(), &u); err != nil || i == 7 && u.ID != 7 {
			t.Fatalf("CreateUser(%s) = id %d, %v; want user 7 to be the seventh", u.Email, u.ID, err)
		}
	}
	var got batchJSON
	ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, batch, 200, &got)
	ids := map[string]int64{}
	for i, r := range got.Results {
		if r.Status != "created" {
			t.Fatalf("seeding: item %d = %+v; want created", i, r)
		}
		ids[fmt.Sprintf("f%d", i+1)] = r.ID
	}
	return ids
}

func externalIDs(ls []tandem.Lead) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ExternalID
	}
	return out
}

func TestListLeadsFilters(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		seedLeads(t, ts)
		for _, tc := range []struct {
			query string
			want  []string // external ids, in id order
		}{
			{"", []string{"f1", "f2", "f3", "f4", "f5", "f6"}},
			{"origin=social", []string{"f1", "f2", "f5", "f6"}},
			{"origin=social&stage=lead", []string{"f1", "f5", "f6"}},
			{"origin=social&stage=mql", []string{"f2"}},
			{"origin=referral", []string{}},
			{"source=hubspot", []string{"f6"}},
			{"source=api&origin=social", []string{"f1", "f2", "f5"}},
			{"country=DE", []string{"f5"}},
			{"owner_id=7", []string{"f4"}},
			{"score=60", []string{"f6"}},
			{"score=-5", []string{"f5"}},
			{"external_id=f3", []string{"f3"}},
			{"attributes.landing_page_id=lp-1", []string{"f1", "f3"}},
			{"attributes.landing_page_id=lp-1&attributes.tier=gold", []string{"f3"}},
			{"attributes.landing_page_id=lp-9", []string{}},
			{"score_min=60", []string{"f2", "f4", "f6"}},
			{"score_max=10", []string{"f1", "f5"}},
			{"score_min=50&score_max=70", []string{"f2", "f3", "f6"}},
			{"created_from=2026-06-01", []string{"f3", "f4", "f5"}},
			{"created_from=2026-06-01T04:00:00.000001Z", []string{"f4", "f5"}},
			{"created_to=2026-01-01", []string{"f6"}},
			{"created_from=2026-01-01&created_to=2026-06-01", []string{"f1", "f2"}},
			{"created_at=2026-03-01T12:00:00Z", []string{"f2"}},
			{"created_at=2026-01-15", []string{"f1"}},
			{"origin=social&score_min=50&created_from=2026-01-01", []string{"f2"}},
			// A field given several times: any of its values (the union of
			// the one-value rows above), still with the other filters.
			{"origin=social&stage=lead&stage=mql", []string{"f1", "f2", "f5", "f6"}},
			{"stage=mql&stage=lead&origin=social&source=api", []string{"f1", "f2", "f5"}},
			{"country=DE&country=XX", []string{"f5"}},
			{"external_id=f6&external_id=f3&external_id=f1", []string{"f1", "f3", "f6"}},
			{"score=60&score=-5", []string{"f5", "f6"}},
			{"owner_id=7&owner_id=7", []string{"f4"}},
			{"attributes.landing_page_id=lp-1&attributes.landing_page_id=lp-9", []string{"f1", "f3"}},
			{"created_at=2026-03-01T12:00:00Z&created_at=2026-01-15", []string{"f1", "f2"}},
		} {
			var got leadListJSON
			ts.call("GET", "/api/v1/leads?"+tc.query, tandem.RoleExecutive, "", 200, &got)
			if diff := cmp.Diff(tc.want, externalIDs(got.Items)); diff != "" {
				t.Errorf("Leads(%s) (-want +got):\n%s", tc.query, diff)
			}
			if got.Total != len(tc.want) || got.NextCursor != "" {
				t.Errorf("Leads(%s): total %d, next_cursor %q; want %d, none", tc.query, got.Total, got.NextCursor, len(tc.want))
			}
		}
	})
}

// TestListLeadsSearchAndSort checks q= and sort= on the API: a search by
// part of a name, email or company, with the filters, and a sorted list
// walked page by page with the cursors the API gives out.
func TestListLeadsSearchAndSort(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		batch := `[
			{"external_id": "a1", "first_name": "Ines", "last_name": "Müller", "company": "Acme", "score": 30, "origin": "social"},
			{"external_id": "a2", "first_name": "Jonas", "last_name": "Muller", "company": "Zeta", "score": 10, "origin": "email"},
			{"external_id": "a3", "first_name": "Zoë", "last_name": "Adams", "email": "zoe@acme.example", "score": 20, "origin": "social"},
			{"external_id": "a4", "first_name": "Lee", "last_name": "Park", "company": "Beta", "score": 20, "origin": "social"}
		]`
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, batch, 200, nil)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"q=muller", []string{"a1", "a2"}},
			{"q=" + url.QueryEscape("MÜL"), []string{"a1", "a2"}},
			{"q=acme", []string{"a1", "a3"}},
			{"q=acme&origin=social&score_min=25", []string{"a1"}},
			{"q=" + url.QueryEscape("ines mül"), []string{"a1"}},
			{"q=zoe", []string{"a3"}},
			{"q=nobody", []string{}},
			{"sort=score", []string{"a2", "a3", "a4", "a1"}},
			{"sort=-score", []string{"a1", "a4", "a3", "a2"}},
			{"sort=last_name&q=muller", []string{"a2", "a1"}}, // "Muller" < "Müller" byte by byte
			{"sort=company", []string{"a3", "a1", "a4", "a2"}},
		} {
			// Pages of one, to walk the cursors.
			var got []string
			q := tc.query + "&limit=1"
			for range 10 {
				var page leadListJSON
				ts.call("GET", "/api/v1/leads?"+q, tandem.RoleExecutive, "", 200, &page)
				if page.Total != len(tc.want) {
					t.Errorf("Leads(%s): total %d; want %d", q, page.Total, len(tc.want))
				}
				got = append(got, externalIDs(page.Items)...)
				if page.NextCursor == "" {
					break
				}
				q = tc.query + "&limit=1&cursor=" + page.NextCursor
			}
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Leads(%s) by pages of one (-want +got):\n%s", tc.query, diff)
			}
		}
	})
}

func TestListLeadsPaging(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		const n = 53
		items := make([]string, n)
		for i := range items {
			origin := []string{"social", "email", "referral"}[i%3]
			items[i] = fmt.Sprintf(`{"external_id": "p%d", "origin": %q}`, i, origin)
		}
		var created batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, "["+strings.Join(items, ",")+"]", 200, &created)
		var all, social []int64
		for i, r := range created.Results {
			all = append(all, r.ID)
			if i%3 == 0 {
				social = append(social, r.ID)
			}
		}
		for _, tc := range []struct {
			query     string
			want      []int64
			wantPages int
		}{
			{"limit=7", all, 8},
			{"limit=53", all, 1},
			{"limit=52", all, 2},
			{"origin=social&limit=4", social, 5},
			{"origin=social&limit=1", social, len(social)},
			{"", all, 1}, // the default limit is 100
		} {
			var seen []int64
			cursor := ""
			pages := 0
			for {
				q := tc.query
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				var page leadListJSON
				ts.call("GET", "/api/v1/leads?"+q, tandem.RoleSalesRep, "", 200, &page)
				pages++
				if page.Total != len(tc.want) {
					t.Errorf("Leads(%s) page %d: total %d; want %d on every page", q, pages, page.Total, len(tc.want))
				}
				for _, l := range page.Items {
					seen = append(seen, l.ID)
				}
				cursor = page.NextCursor
				if cursor == "" || pages > n { // a cursor that never ends must not hang the test
					break
				}
			}
			if diff := cmp.Diff(tc.want, seen); diff != "" {
				t.Errorf("Leads(%s) over all pages (-want +got):\n%s", tc.query, diff)
			}
			if pages != tc.wantPages {
				t.Errorf("Leads(%s): %d pages; want %d", tc.query, pages, tc.wantPages)
			}
		}
	})
}

func TestListLeadsBadParameters(t *testing.T) {
	t.Parallel()
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		seedLeads(t, ts)
		// A cursor the API gave out works.
		var page leadListJSON
		ts.call("GET", "/api/v1/leads?limit=2", tandem.RoleAdmin, "", 200, &page)
		ts.call("GET", "/api/v1/leads?limit=2&cursor="+page.NextCursor, tandem.RoleAdmin, "", 200, nil)

		for _, tc := range []struct {
			query      string
			wantFields []string
		}{
			{"colour=blue", []string{"colour"}},
			{"dry_run=true", []string{"dry_run"}},
			{"attributes=x", []string{"attributes"}},
			{"attributes.=x", []string{"attributes."}},
			{"attributes." + url.QueryEscape("Bad Key") + "=x", []string{"attributes.Bad Key"}},
			{"score_min=abc", []string{"score_min"}},
			{"score_max=1.5", []string{"score_max"}},
			{"created_from=yesterday", []string{"created_from"}},
			{"created_to=2026-13-01", []string{"created_to"}},
			{"limit=0", []string{"limit"}},
			{"limit=-1", []string{"limit"}},
			{"limit=1001", []string{"limit"}},
			{"limit=ten", []string{"limit"}},
			{"score=high", []string{"score"}},
			{"owner_id=-1", []string{"owner_id"}},
			{"created_at=tomorrow", []string{"created_at"}},
			{"email=nope", []string{"email"}},
			{"colour=blue&score_max=x&limit=0", []string{"colour", "limit", "score_max"}},
			{"cursor=forged", []string{"cursor"}},
			{"cursor=", []string{"cursor"}},
			{"cursor=" + cursor("lead:abc"), []string{"cursor"}},
			{"cursor=" + cursor("lead:-1"), []string{"cursor"}},
			{"cursor=" + cursor("user:5"), []string{"cursor"}},
			{"cursor=" + page.NextCursor + "x", []string{"cursor"}},
			{"q=ab", []string{"q"}},
			{"q=" + strings.Repeat("x", 201), []string{"q"}},
			{"sort=colour", []string{"sort"}},
			{"sort=-", []string{"sort"}},
			{"sort=score&cursor=" + cursor("lead:3:high"), []string{"cursor"}},
			{"stage_changed_from=soon", []string{"stage_changed_from"}},
			{"stage_changed_to=2026-02-30", []string{"stage_changed_to"}},
			// Several values: each is checked; only lead fields take more than one.
			{"score=1&score=high", []string{"score"}},
			{"created_at=2026-01-15&created_at=tomorrow&limit=0", []string{"created_at", "limit"}},
			{"limit=1&limit=2", []string{"limit"}},
			{"q=abc&q=def", []string{"q"}},
			{"score=" + strings.Repeat("1&score=", tandem.MaxFilterValues) + "1", []string{"score"}},
		} {
			r := ts.do("GET", "/api/v1/leads?"+tc.query, tandem.RoleAdmin, "")
			e := checkError(t, "GET /api/v1/leads?"+tc.query, r, 422, tandem.EINVALID)
			if diff := cmp.Diff(tc.wantFields, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("Leads(%s): fields (-want +got):\n%s", tc.query, diff)
			}
			for _, f := range e.Error.Fields {
				if f.Message == "" {
					t.Errorf("Leads(%s): field %q has no message", tc.query, f.Field)
				}
			}
		}
	})
}

func TestGetLeadNotFound(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		ids := seedLeads(t, ts)
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", ids["f1"]), tandem.RoleExecutive, "", 200, nil)
		for _, id := range []string{
			fmt.Sprint(ids["f6"] + 1000), "0", "-1", "abc", "1.5", "0x1", "99999999999999999999", "9223372036854775807", url.PathEscape("1 "),
		} {
			for _, suffix := range []string{"", "/events"} {
				path := "/api/v1/leads/" + id + suffix
				checkError(t, "GET "+path, ts.do("GET", path, tandem.RoleExecutive, ""), 404, tandem.ENOTFOUND)
			}
			path := "/api/v1/leads/" + id + "/stage"
			checkError(t, "POST "+path, ts.do("POST", path, tandem.RoleSalesRep, `{"stage": "sal", "reason": "x"}`), 404, tandem.ENOTFOUND)
		}
	})
}

// eventSummary is the part of an event a test can predict.
type eventSummary struct {
	Type       string
	OccurredAt time.Time
	RecordedAt time.Time
	Actor      string
	Reason     string
	Rule       string
	Version    int
	Changes    []tandem.FieldChange
}

func TestLeadEvents(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		v := signDefault(t, ts.db)
		var created leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, `{"external_id": "e1", "email": "e1@example.com", "score": 95}`, 201, &created)
		ts.clk.Advance(time.Hour)
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, `{"external_id": "e1", "company": "Hot Co", "score": 96}`, 200, nil)
		ts.clk.Advance(time.Hour)
		// The lead is rex's now: rex moves it, with a token of his own.
		_, rex, err := ts.db.CreateUserToken(context.Background(), "rex", "rex@example.com")
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		if r := ts.doSecret("POST", fmt.Sprintf("/api/v1/leads/%d/stage", created.ID), rex, strings.NewReader(`{"stage": "sal", "reason": "called, wants a demo"}`)); r.status != 200 {
			t.Fatalf("rex moving his lead = %v; want 200", r)
		}
		// Anyone else's token may not.
		checkError(t, "a rep's role token moving rex's lead", ts.do("POST", fmt.Sprintf("/api/v1/leads/%d/stage", created.ID), tandem.RoleSalesRep, `{"stage": "sql", "reason": "x"}`), 403, tandem.EFORBIDDEN)

		var got eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", created.ID), tandem.RoleExecutive, "", 200, &got)
		var summary []eventSummary
		for i, e := range got.Items {
			if e.LeadID != created.ID || i > 0 && e.ID <= got.Items[i-1].ID {
				t.Errorf("event %d = %+v; want lead %d and an id above the one before", i, e, created.ID)
			}
			summary = append(summary, eventSummary{e.Type, e.OccurredAt, e.RecordedAt, e.Actor, e.Reason, e.Rule, e.AgreementVersion, e.Changes})
		}
		t1, t2 := epoch.Add(time.Hour), epoch.Add(2*time.Hour)
		want := []eventSummary{
			{"created", epoch, epoch, "token:marketing", "", "", v.Version, []tandem.FieldChange{
				{Field: "source", To: "api"}, {Field: "external_id", To: "e1"}, {Field: "email", To: "e1@example.com"},
				{Field: "score", To: "95"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: tandem.FormatTime(epoch)}}},
			{"stage_changed", epoch, epoch, "rule", "", `mql: score >= 60 and email != ""`, v.Version, []tandem.FieldChange{
				{Field: "stage", From: "lead", To: "mql"}}},
			// The hand-off routes it to the only rep, rex (user 3).
			{"assigned", epoch, epoch, "system", "routed by round_robin", "", v.Version, []tandem.FieldChange{
				{Field: "owner_id", To: "3"}}},
			{"updated", t1, t1, "token:marketing", "", "", v.Version, []tandem.FieldChange{
				{Field: "company", To: "Hot Co"}, {Field: "score", From: "95", To: "96"}}},
			{"stage_changed", t2, t2, "user:rex@example.com", "called, wants a demo", "", v.Version, []tandem.FieldChange{
				{Field: "stage", From: "mql", To: "sal"}}},
		}
		if diff := cmp.Diff(want, summary); diff != "" {
			t.Errorf("GET /api/v1/leads/%d/events (-want +got):\n%s", created.ID, diff)
		}

		// The events replay to the lead the API shows.
		var l tandem.Lead
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", created.ID), tandem.RoleExecutive, "", 200, &l)
		replayed, err := tandem.Replay(got.Items)
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if diff := cmp.Diff(l, replayed); diff != "" {
			t.Errorf("Replay(events) differs from GET /api/v1/leads/%d (-lead +replayed):\n%s", created.ID, diff)
		}
	})
}

func TestMoveLead(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		var created leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, `{"external_id": "m1", "email": "m1@example.com"}`, 201, &created)
		path := fmt.Sprintf("/api/v1/leads/%d/stage", created.ID)

		for _, tc := range []struct {
			name        string
			body        string
			wantStatus  int
			wantCode    string
			wantFields  []string
			wantMessage string // a part of the message
			wantStage   string // the lead's stage afterwards
		}{
			{"no reason", `{"stage": "customer"}`, 422, tandem.EINVALID, []string{"reason"}, "reason", "lead"},
			{"an empty reason", `{"stage": "customer", "reason": ""}`, 422, tandem.EINVALID, []string{"reason"}, "reason", "lead"},
			{"no such stage", `{"stage": "won", "reason": "they signed"}`, 422, tandem.EINVALID, []string{"stage"}, "won", "lead"},
			{"an unknown field", `{"stage": "customer", "reason": "they signed", "colour": "blue"}`, 422, tandem.EINVALID, []string{"colour"}, "colour", "lead"},
			{"an empty body", ``, 400, tandem.EMALFORMED, nil, "", "lead"},
			{"not JSON", `stage=customer`, 400, tandem.EMALFORMED, nil, "", "lead"},
			{"truncated", `{"stage": "customer", "reason": "they`, 400, tandem.EMALFORMED, nil, "", "lead"},
			{"trailing garbage", `{"stage": "customer", "reason": "they signed"} and more`, 400, tandem.EMALFORMED, nil, "", "lead"},
			{"lead to customer", `{"stage": "customer", "reason": "they signed"}`, 200, "", nil, "", "customer"},
			{"customer to customer", `{"stage": "customer", "reason": "still signed"}`, 200, "", nil, "", "customer"},
			{"customer to mql", `{"stage": "mql", "reason": "oops"}`, 409, tandem.ECONFLICT, nil, "customer is final", "customer"},
			{"customer to disqualified", `{"stage": "disqualified", "reason": "oops"}`, 409, tandem.ECONFLICT, nil, "customer is final", "customer"},
		} {
			// Only a won deal or an admin makes a lead a customer (package access).
			r := ts.do("POST", path, tandem.RoleAdmin, tc.body)
			what := fmt.Sprintf("%s: POST %s %s", tc.name, path, tc.body)
			if tc.wantCode == "" {
				var l tandem.Lead
				if err := json.Unmarshal(r.body, &l); r.status != tc.wantStatus || err != nil || l.Stage != tc.wantStage || l.ID != created.ID {
					t.Errorf("%s = %v; want %d with the lead in %s", what, r, tc.wantStatus, tc.wantStage)
				}
			} else {
				e := checkError(t, what, r, tc.wantStatus, tc.wantCode)
				if tc.wantFields != nil {
					if diff := cmp.Diff(tc.wantFields, fieldNames(e.Error.Fields)); diff != "" {
						t.Errorf("%s: fields (-want +got):\n%s", what, diff)
					}
				}
				if !strings.Contains(e.Error.Message, tc.wantMessage) {
					t.Errorf("%s: message %q; want it to say %q", what, e.Error.Message, tc.wantMessage)
				}
			}
			var l tandem.Lead
			ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", created.ID), tandem.RoleSalesManager, "", 200, &l)
			if l.Stage != tc.wantStage {
				t.Errorf("%s: afterwards the lead is in %s; want %s", what, l.Stage, tc.wantStage)
			}
		}
		var events eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", created.ID), tandem.RoleSalesManager, "", 200, &events)
		var types []string
		for _, e := range events.Items {
			types = append(types, e.Type+":"+e.Reason)
		}
		if want := []string{"created:", "stage_changed:they signed"}; !slices.Equal(types, want) {
			t.Errorf("events after the moves = %q; want %q", types, want)
		}
	})
}

// TestPostLeadsAwkwardKeys sends keys that JSON carries but a database may
// choke on: a NUL byte, which PostgreSQL text cannot hold, and the longest
// external id the domain allows in characters that do not compress, which
// is over the size of a PostgreSQL index row. Each must be an answer about
// its own item, never a failure of the whole batch.
func TestPostLeadsAwkwardKeys(t *testing.T) {
	t.Parallel()
	long := make([]rune, tandem.MaxTextLen)
	for i := range long {
		long[i] = rune(0x4e00 + (i*7919)%20000) // CJK, three bytes each, no repeats to compress
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		batch := fmt.Sprintf(`[{"external_id": "fine"}, {"external_id": "a\u0000b"}, {"external_id": %q}]`, string(long))
		var got batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing, batch, 200, &got)
		gotOutcomes := outcomes(got.Results)
		if diff := cmp.Diff(outcome{Status: "created"}, gotOutcomes[0]); diff != "" {
			t.Errorf("the good item (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(outcome{"rejected", tandem.EINVALID, []string{"external_id"}}, gotOutcomes[1]); diff != "" {
			t.Errorf("the key with a NUL byte (-want +got):\n%s", diff)
		}
		if o := gotOutcomes[2]; o.Status != "created" && !cmp.Equal(o, outcome{"rejected", tandem.EINVALID, []string{"external_id"}}) {
			t.Errorf("the longest key = %+v; want created, or rejected as an invalid external_id", o)
		}
	})
}
