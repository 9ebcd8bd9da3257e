package http

// Tests of issue 11, items 6, 7 and 9: no internal error from a value the
// parsers accept, text refused rather than mangled, and the headers and
// answers that give nothing away.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// badPeriods are periods a person might write that no report can cover.
var badPeriods = []string{
	"9999", "9999-12", "10000", "1900-01", "1969-12", "2201", "2201-01", "0000", "-2026",
	"bogus", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-1", "26-11", "2026-11-01",
	"2026/11", " 2026", "2026 ", "２０２６", "%ff", "2026-%ff", strings.Repeat("9", 300),
}

// periodAPIRoutes are the API routes that take ?period=.
var periodAPIRoutes = []string{
	"GET /api/v1/plan", "GET /api/v1/pace", "GET /api/v1/scorecard", "GET /api/v1/sla",
	"GET /api/v1/campaigns/report", "GET /api/v1/alerts", "POST /api/v1/alerts/check",
}

// periodPages are the pages that take ?period=.
var periodPages = []string{"/sla", "/pacing", "/funnel", "/scorecard", "/scorecard/print", "/scorecard/export"}

// tally counts the bad inputs tried and those that got a clear refusal,
// for the note on issue 11.
type tally struct{ tried, clear int }

func (c *tally) add(ok bool) {
	c.tried++
	if ok {
		c.clear++
	}
}

// TestBadPeriodsEveryRoute asks every route that takes a period, API and
// pages, for each bad period: each answers 422 naming period (the pages
// with a page saying why), and nothing is stored. The edges of the range
// still answer.
func TestBadPeriodsEveryRoute(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		routes := map[string]bool{}
		for _, rt := range ts.s.routes() {
			routes[rt.pattern] = true
		}
		var api, pages tally
		for _, rt := range periodAPIRoutes {
			if !routes[rt] {
				t.Errorf("route %s is gone: update periodAPIRoutes", rt)
				continue
			}
			method, path, _ := strings.Cut(rt, " ")
			for _, p := range badPeriods {
				target := path + "?period=" + p
				if !strings.Contains(p, "%") {
					target = path + "?period=" + url.QueryEscape(p)
				}
				r := ts.do(method, target, tandem.RoleAdmin, "")
				e := checkError(t, rt+" period "+p, r, 422, tandem.EINVALID)
				api.add(r.status == 422 && slices.Contains(fieldNames(e.Error.Fields), "period"))
				if !slices.Contains(fieldNames(e.Error.Fields), "period") {
					t.Errorf("%s?period=%s: fields %v; want period named", rt, p, fieldNames(e.Error.Fields))
				}
			}
			for _, p := range []string{"1970-01", "2200-12", "2026-q4"} {
				if r := ts.do(method, path+"?period="+p, tandem.RoleAdmin, ""); r.status != 200 {
					t.Errorf("%s?period=%s = %v; want 200 (the edges of the range, a quarter in lower case)", rt, p, r)
				}
			}
		}
		users := pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		want(t, "sign in", wc.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		for _, path := range periodPages {
			if !routes["GET "+path] {
				t.Errorf("page %s is gone: update periodPages", path)
				continue
			}
			for _, p := range badPeriods {
				target := path + "?period=" + p
				if !strings.Contains(p, "%") {
					target = path + "?period=" + url.QueryEscape(p)
				}
				r := wc.get(target)
				says := strings.Contains(string(r.body), "Period") || strings.Contains(string(r.body), "period")
				pages.add(r.status == 422 && says)
				if r.status != 422 || !says || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Errorf("GET %s = %v (%s); want a 422 page naming the period", target, r, r.header.Get("Content-Type"))
				}
			}
		}
		// No refused request stored anything: no scorecard frozen, no
		// report kept, for any period (a GET writes nothing at all).
		ctx := context.Background()
		for _, p := range []string{"1900-01", "1969-12", "9999", "9999-12", "1970-01", "2200-12", "2026-Q4"} {
			if _, ok, err := ts.db.FrozenScorecard(ctx, p); ok || err != nil {
				t.Errorf("FrozenScorecard(%s) = %v, %v; want none frozen by a GET", p, ok, err)
			}
			for _, kind := range []string{"scorecard", "pace", "sla:rep"} {
				if _, ok, err := ts.db.Kept(ctx, kind, p); ok || err != nil {
					t.Errorf("Kept(%s, %s) = %v, %v; want none kept by a GET", kind, p, ok, err)
				}
			}
		}
		t.Logf("bad periods: API %d tried, %d answered 422 naming period; pages %d tried, %d answered a 422 page",
			api.tried, api.clear, pages.tried, pages.clear)
	})
}

// bodyRoute is how to reach one API route that reads a JSON body with a
// bad string in it: field is the key of a string of the body ("" when
// the body holds none), rest the rest of a body that would be taken.
type bodyRoute struct {
	path  string // with its {values} filled in
	field string
}

// bodyRoutes covers every API route that reads a body; the test fails when
// a route is added without an entry here.
var bodyRoutes = map[string]bodyRoute{
	"POST /api/v1/leads":                         {"/api/v1/leads", "company"},
	"POST /api/v1/leads/{id}/stage":              {"/api/v1/leads/1/stage", "reason"},
	"POST /api/v1/leads/{id}/touches":            {"/api/v1/leads/1/touches", "note"},
	"POST /api/v1/leads/{id}/accept":             {"/api/v1/leads/1/accept", "note"},
	"POST /api/v1/leads/{id}/reject":             {"/api/v1/leads/1/reject", "reason"},
	"POST /api/v1/leads/{id}/disqualify":         {"/api/v1/leads/1/disqualify", "reason"},
	"POST /api/v1/leads/{id}/reviews":            {"/api/v1/leads/1/reviews", "text"},
	"POST /api/v1/leads/{id}/assign":             {"/api/v1/leads/1/assign", "owner"},
	"POST /api/v1/handoffs":                      {"/api/v1/handoffs", "note"},
	"POST /api/v1/deals/{id}/won":                {"/api/v1/deals/1/won", "closed_at"},
	"POST /api/v1/deals/{id}/lost":               {"/api/v1/deals/1/lost", "reason"},
	"POST /api/v1/deals/{id}/stage":              {"/api/v1/deals/1/stage", "stage"},
	"POST /api/v1/leads/{id}/marketing-touches":  {"/api/v1/leads/1/marketing-touches", "campaign"},
	"POST /api/v1/campaigns":                     {"/api/v1/campaigns", "name"},
	"POST /api/v1/accounts":                      {"/api/v1/accounts", "sector"},
	"POST /api/v1/products":                      {"/api/v1/products", "series"},
	"PUT /api/v1/campaigns/{code}/spend/{month}": {"/api/v1/campaigns/spring/spend/2026-11", ""},
	"POST /api/v1/agreements":                    {"/api/v1/agreements", ""}, // YAML: its own case below
	"POST /api/v1/alerts/check":                  {"/api/v1/alerts/check", ""},
	"POST /api/v1/inbox/read":                    {"/api/v1/inbox/read", ""},
	"POST /api/v1/inbox/{id}/read":               {"/api/v1/inbox/1/read", ""},
	"POST /api/v1/webhooks":                      {"/api/v1/webhooks", "description"},
	"POST /api/v1/meetings/{period}/items":       {"/api/v1/meetings/2026-11/items", "what"},
	"POST /api/v1/meetings/items/{id}/done":      {"/api/v1/meetings/items/1/done", ""},
	"POST /api/v1/meetings/{period}/responses":   {"/api/v1/meetings/2026-11/responses", "response"},
	"POST /api/v1/agreements/{version}/comments": {"/api/v1/agreements/1/comments", "body"},
	"POST /api/v1/agreements/{version}/answers":  {"/api/v1/agreements/1/answers", ""},
	"POST /api/v1/content":                       {"/api/v1/content", "title"},
	"POST /api/v1/content/{code}/status":         {"/api/v1/content/spring/status", "status"},
	"POST /api/v1/content/{code}/ratings":        {"/api/v1/content/spring/ratings", "note"},
	// These two read no body, as alerts/check.
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver": {"/api/v1/webhooks/1/deliveries/1/redeliver", ""},
	"POST /api/v1/webhooks/{id}/test":                            {"/api/v1/webhooks/1/test", ""},
	// A signature is checked before the body is read: an unsigned bad body
	// is 401 (http/api_hooks_test.go sends signed bad payloads).
	"POST /api/v1/hooks/{source}": {"/api/v1/hooks/routes", ""},
}

// TestBadBodiesEveryRoute sends every API route that reads a body each
// bad body: text that is not UTF-8 or escapes half a surrogate pair
// answers 422 naming the field by its path; a body that is not one JSON
// value answers 400; an unknown field 422 naming it. Each refusal is a
// JSON error, and nothing is stored.
func TestBadBodiesEveryRoute(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var c tally
		for _, rt := range ts.s.routes() {
			method, path, _ := strings.Cut(rt.pattern, " ")
			if !strings.HasPrefix(path, "/api/") || method != "POST" && method != "PUT" {
				continue
			}
			br, ok := bodyRoutes[rt.pattern]
			if !ok {
				t.Errorf("route %s reads a body and has no entry in bodyRoutes", rt.pattern)
				continue
			}
			if rt.pattern == "POST /api/v1/agreements" || rt.pattern == "POST /api/v1/alerts/check" ||
				rt.pattern == "POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver" || rt.pattern == "POST /api/v1/webhooks/{id}/test" ||
				rt.pattern == "POST /api/v1/hooks/{source}" {
				continue
			}
			type badBody struct {
				name, body string
				status     int
				code       string
				field      string // the field the error must name, "" for any
			}
			cases := []badBody{
				{"not JSON", `nope`, 400, tandem.EMALFORMED, ""},
				{"truncated", `{"a": "b`, 400, tandem.EMALFORMED, ""},
				{"empty", ``, 0, "", ""}, // some routes take no body: any clear 4xx
				{"two values", `{} {}`, 400, tandem.EMALFORMED, ""},
				{"an unknown field", `{"colour": "red"}`, 422, tandem.EINVALID, "colour"},
				{"a key not UTF-8", "{\"\xff\": \"red\"}", 422, tandem.EINVALID, ""},
			}
			if br.field != "" {
				f := br.field
				cases = append(cases,
					badBody{"a byte that is not UTF-8", fmt.Sprintf("{%q: \"Acme \xff\"}", f), 422, tandem.EINVALID, f},
					badBody{"UTF-8 of a surrogate (CESU-8)", fmt.Sprintf("{%q: \"\xed\xa0\x80\"}", f), 422, tandem.EINVALID, f},
					badBody{"an overlong encoding", fmt.Sprintf("{%q: \"\xc0\xaf\"}", f), 422, tandem.EINVALID, f},
					badBody{"a lone high surrogate", fmt.Sprintf(`{%q: "Acme \ud800"}`, f), 422, tandem.EINVALID, f},
					badBody{"a lone low surrogate", fmt.Sprintf(`{%q: "\uDC00 Acme"}`, f), 422, tandem.EINVALID, f},
					badBody{"a high surrogate before a letter", fmt.Sprintf(`{%q: "\ud83d\u0041"}`, f), 422, tandem.EINVALID, f},
					badBody{"a high surrogate at the end", fmt.Sprintf(`{%q: "x\uD83D"}`, f), 422, tandem.EINVALID, f},
					badBody{"two high surrogates", fmt.Sprintf(`{%q: "\ud83d\ud83d"}`, f), 422, tandem.EINVALID, f},
				)
			}
			if rt.pattern == "POST /api/v1/leads" {
				cases = append(cases,
					badBody{"a batch's second lead", "[{\"email\": \"a@example.com\"}, {\"company\": \"\xff\"}]", 422, tandem.EINVALID, "[1].company"},
					badBody{"a batch's lone surrogate", `[{"email": "a@example.com"}, {"email": "b@example.com"}, {"company": "\udfff"}]`, 422, tandem.EINVALID, "[2].company"},
					badBody{"an attribute", "{\"email\": \"a@example.com\", \"attributes\": {\"plan\": \"\xff\"}}", 422, tandem.EINVALID, "attributes.plan"},
				)
			}
			for _, tc := range cases {
				r := ts.do(method, br.path, tandem.RoleAdmin, tc.body)
				what := fmt.Sprintf("%s %s with %s", method, br.path, tc.name)
				if tc.status == 0 {
					var e apiErrorJSON
					err := json.Unmarshal(r.body, &e)
					ok := r.status >= 400 && r.status < 500 && err == nil && e.Error.Code != "" && e.Error.Message != ""
					if !ok {
						t.Errorf("%s = %v; want a 4xx JSON error", what, r)
					}
					c.add(ok)
					continue
				}
				e := checkError(t, what, r, tc.status, tc.code)
				named := len(e.Error.Fields) > 0 && (tc.field == "" || slices.Contains(fieldNames(e.Error.Fields), tc.field))
				if tc.status == 422 && !named {
					t.Errorf("%s: fields %v; want %q named", what, fieldNames(e.Error.Fields), tc.field)
				}
				c.add(r.status == tc.status && e.Error.Code == tc.code && (tc.status != 422 || named))
			}
		}
		// The agreement is YAML: its parser refuses text that is not UTF-8
		// naming the line.
		r := ts.do("POST", "/api/v1/agreements", tandem.RoleAdmin, "version: 1\nname: \"\xff\"\n")
		e := checkError(t, "POST /api/v1/agreements with a byte that is not UTF-8", r, 422, tandem.EINVALID)
		c.add(r.status == 422 && strings.Contains(e.Error.Message+fmt.Sprint(e.Error.Fields), "UTF-8"))

		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleAdmin, "", 200, &list)
		if list.Total != 0 {
			t.Errorf("after the refused bodies, GET /api/v1/leads total = %d; want 0", list.Total)
		}
		if c.clear != c.tried {
			t.Errorf("bad bodies: %d of %d got the clear refusal", c.clear, c.tried)
		}
		t.Logf("bad bodies: %d tried, %d answered the clear 4xx naming the field", c.tried, c.clear)
	})
}

// TestTextRefusedInQueriesAndForms sends a query parameter and a form
// field that are not UTF-8: each is refused naming it, an API query with
// JSON and a page with a page.
func TestTextRefusedInQueriesAndForms(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		r := ts.do("GET", "/api/v1/leads?company=%ff", tandem.RoleAdmin, "")
		e := checkError(t, "GET /api/v1/leads?company=%ff", r, 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"company"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("GET /api/v1/leads?company=%%ff: fields (-want +got):\n%s", diff)
		}
		users := pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		want(t, "sign in", wc.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "GET /queue?show=%ff", wc.get("/queue?show=%ff"), 422, "Show: is not valid UTF-8")
		// The form's current password is not UTF-8: refused before the
		// password is even checked, and the password is unchanged.
		r = wc.post("/account/password", url.Values{"current": {"\xff"}, "new": {"a new password 1"}, "confirm": {"a new password 1"}})
		want(t, "POST /account/password with a field not UTF-8", r, 422, "Current: is not valid UTF-8")
		wc2 := newWebClient(t, ts.s.URL())
		want(t, "sign in with the old password", wc2.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
	})
}

// TestOneWriterOfStatus gives the wrappers handlers that write an answer
// and then fail: the client gets the error alone, with its status, never
// a 200 with an error in it; and a value JSON cannot encode is a 500.
func TestOneWriterOfStatus(t *testing.T) {
	s := &Server{Logger: NewServer(nil, nil).Logger, templates: NewServer(nil, nil).templates}
	for _, tc := range []struct {
		name    string
		pattern string
		handler func(w http.ResponseWriter, r *http.Request) error
		status  int
		bodyHas string
	}{
		{"an API handler that wrote 200 then failed", "GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) error {
			writeJSON(w, http.StatusOK, map[string]string{"half": "done"})
			return tandem.Invalid(tandem.FieldError{Field: "period", Message: "out of range"})
		}, 422, `"code":"invalid"`},
		{"an API value JSON cannot encode", "GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON(w, http.StatusOK, map[string]any{"at": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
		}, 500, `"code":"internal"`},
		{"an API NaN", "GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON(w, http.StatusOK, map[string]float64{"rate": math.NaN()})
		}, 500, `"code":"internal"`},
		{"a CSV cut short", "GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Disposition", `attachment; filename="x.csv"`)
			fmt.Fprintln(w, "a,b")
			return fmt.Errorf("the store went away")
		}, 500, `"code":"internal"`},
		{"a page that wrote then failed", "GET /x", func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<p>half a page")
			return tandem.Errorf(tandem.ENOTFOUND, "no such thing")
		}, 404, "no such thing"},
		{"a handler that succeeds", "GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) error {
			return writeJSON(w, http.StatusCreated, map[string]int{"id": 1})
		}, 201, `{"id":1}`},
	} {
		h := s.wrap(route{pattern: tc.pattern, handler: tc.handler})
		rec := httptest.NewRecorder()
		_, path, _ := strings.Cut(tc.pattern, " ")
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body := rec.Body.String()
		if rec.Code != tc.status || !strings.Contains(body, tc.bodyHas) {
			t.Errorf("%s: %d %s; want %d with %s", tc.name, rec.Code, body, tc.status, tc.bodyHas)
		}
		if strings.Contains(body, "half") || rec.Header().Get("Content-Disposition") != "" && tc.status >= 400 {
			t.Errorf("%s: the answer keeps what the handler wrote before it failed: %v %s", tc.name, rec.Header(), body)
		}
		if tc.status >= 400 && strings.HasPrefix(tc.pattern, "GET /api/") {
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Errorf("%s: the body is not one JSON error: %v\n%s", tc.name, err, body)
			}
		}
	}
}

// TestAPIHeaders checks the headers of API answers of every kind, and that
// the scorecard's HTML carries the policy of the pages' scorecard.
func TestAPIHeaders(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		for _, tc := range []struct {
			method, path string
			role         tandem.Role
			status       int
		}{
			{"GET", "/api/v1/leads", tandem.RoleAdmin, 200},
			{"GET", "/api/v1/leads", "", 401},
			{"GET", "/api/v1/nothing", tandem.RoleAdmin, 404},
			{"DELETE", "/api/v1/leads", tandem.RoleAdmin, 405},
			{"GET", "/api/v1/leads/1", tandem.RoleAdmin, 404},
			{"POST", "/api/v1/leads", tandem.RoleExecutive, 403},
			{"GET", "/api/v1/scorecard?period=9999", tandem.RoleAdmin, 422},
			{"GET", "/api/v1/scorecard?period=2026-10&format=html", tandem.RoleAdmin, 200},
			{"GET", "/api/v1/scorecard?period=2026-10&format=csv", tandem.RoleAdmin, 200},
			{"GET", "/api/v1/openapi.yaml", "", 200},
			{"GET", "/healthz", "", 200},
		} {
			r := ts.do(tc.method, tc.path, tc.role, "")
			what := fmt.Sprintf("%s %s as %q", tc.method, tc.path, tc.role)
			if r.status != tc.status {
				t.Errorf("%s = %v; want %d", what, r, tc.status)
			}
			for name, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
				if got := r.header.Get(name); got != v {
					t.Errorf("%s: %s = %q; want %q", what, name, got, v)
				}
			}
			if r.header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: no Content-Security-Policy", what)
			}
		}
		api := ts.do("GET", "/api/v1/scorecard?period=2026-10&format=html", tandem.RoleAdmin, "")
		users := pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		want(t, "sign in", wc.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		page := wc.get("/scorecard/print?period=2026-10")
		if a, p := api.header.Get("Content-Security-Policy"), page.header.Get("Content-Security-Policy"); a != p || !strings.Contains(a, "default-src 'none'") {
			t.Errorf("the API's scorecard HTML has CSP %q; the page's has %q; want the same, with default-src 'none'", a, p)
		}
		if !strings.HasPrefix(api.header.Get("Content-Type"), "text/html") {
			t.Errorf("the API's scorecard HTML: Content-Type %q", api.header.Get("Content-Type"))
		}
	})
}

// TestRepProbing asks for the tasks and the queue of an email that is
// nobody's and of a rep the caller may not see: both answers are the same
// (but for the email they echo), so a signed-in user cannot learn which
// emails are users'.
func TestRepProbing(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		same := func(what string, ghost, real response, ghostEmail, realEmail string) {
			t.Helper()
			g := strings.ReplaceAll(string(ghost.body), ghostEmail, "EMAIL")
			r := strings.ReplaceAll(string(real.body), realEmail, "EMAIL")
			if ghost.status != real.status || g != r {
				t.Errorf("%s: an unknown email answers %d, a forbidden one %d; want the same answer:\n%s", what, ghost.status, real.status, cmp.Diff(g, r))
			}
			if ghost.status != 403 {
				t.Errorf("%s: %v; want 403", what, ghost)
			}
		}
		const ghost = "ghost@example.com"
		for _, who := range []string{"rita@example.com", "mo@example.com"} {
			// rob is in nina's team: neither rita nor mo may see him.
			same("GET /api/v1/tasks?rep= as "+who,
				ws.as(who, "GET", "/api/v1/tasks?rep="+ghost, ""), ws.as(who, "GET", "/api/v1/tasks?rep=rob@example.com", ""),
				ghost, "rob@example.com")
			wc := ws.signIn(who)
			same("GET /queue?rep= as "+who, wc.get("/queue?rep="+ghost), wc.get("/queue?rep=rob@example.com"), ghost, "rob@example.com")
		}
		// An admin may see anyone, and is told that nobody has the email.
		r := ws.do("GET", "/api/v1/tasks?rep="+ghost, tandem.RoleAdmin, "")
		e := checkError(t, "GET /api/v1/tasks?rep=ghost as admin", r, 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"rep"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("GET /api/v1/tasks?rep=ghost as admin: fields (-want +got):\n%s", diff)
		}
	})
}
