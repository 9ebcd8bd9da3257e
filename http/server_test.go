package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// epoch is the fake clock's time when a test starts: a Monday morning.
var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// testServer is a real server on a loopback port over a fresh database, with
// one API token per role.
type testServer struct {
	t      testing.TB
	db     *sqldb.DB
	clk    *clock.Fake
	s      *Server
	client *http.Client
	tokens map[tandem.Role]string
}

// openDB opens a fresh database on the backend with a fake clock.
func openDB(t testing.TB, b sqldbtest.Backend) (*sqldb.DB, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	db, err := sqldb.Open(context.Background(), b.DSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

// createTokens makes one API token per role, named after it.
func createTokens(t testing.TB, db *sqldb.DB) map[tandem.Role]string {
	t.Helper()
	tokens := map[tandem.Role]string{}
	for _, role := range tandem.Roles {
		_, secret, err := db.CreateToken(context.Background(), string(role), role)
		if err != nil {
			t.Fatalf("CreateToken(%s): %v", role, err)
		}
		tokens[role] = secret
	}
	return tokens
}

// startServer serves db on 127.0.0.1:0 until the test ends. setup, if not
// nil, may adjust the server before it opens.
func startServer(t testing.TB, db *sqldb.DB, setup func(*Server)) *Server {
	t.Helper()
	s := NewServer(db, nil)
	if setup != nil {
		setup(s)
	}
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newTestServer(t testing.TB, b sqldbtest.Backend) *testServer {
	t.Helper()
	db, clk := openDB(t, b)
	ts := &testServer{t: t, db: db, clk: clk, tokens: createTokens(t, db)}
	ts.s = startServer(t, db, nil)
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	ts.client = &http.Client{Transport: tr, Timeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	return ts
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string {
	b := r.body
	if len(b) > 300 {
		b = append(b[:300:300], "..."...)
	}
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(b))
}

// do sends a request with the role's token ("" for none) and reads the
// whole response.
func (ts *testServer) do(method, path string, role tandem.Role, body string) response {
	ts.t.Helper()
	var secret string
	if role != "" {
		secret = ts.tokens[role]
	}
	return ts.doSecret(method, path, secret, strings.NewReader(body))
}

func (ts *testServer) doSecret(method, path, secret string, body io.Reader) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.s.URL()+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// call sends a request that must answer want and decodes its JSON into out
// (unless out is nil).
func (ts *testServer) call(method, path string, role tandem.Role, body string, want int, out any) response {
	ts.t.Helper()
	r := ts.do(method, path, role, body)
	if r.status != want {
		ts.t.Fatalf("%s %s = %v; want status %d", method, path, r, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			ts.t.Fatalf("%s %s: the response is not the JSON of %T: %v\n%s", method, path, out, err, r.body)
		}
	}
	return r
}

// apiErrorJSON is an error response as a client reads it. The test keeps
// its own copy of the shape so that a renamed key breaks it.
type apiErrorJSON struct {
	Error struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Fields  []tandem.FieldError `json:"fields"`
	} `json:"error"`
}

// checkError checks that r is a JSON error response with the status and
// code, and a message, and returns it.
func checkError(t testing.TB, what string, r response, status int, code string) apiErrorJSON {
	t.Helper()
	var e apiErrorJSON
	if r.status != status {
		t.Errorf("%s = %v; want status %d with code %q", what, r, status, code)
		return e
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type = %q; want application/json", what, ct)
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: the body is not a JSON error: %v\n%s", what, err, r.body)
		return e
	}
	if e.Error.Code != code {
		t.Errorf("%s: error code = %q; want %q (%v)", what, e.Error.Code, code, r)
	}
	if e.Error.Message == "" {
		t.Errorf("%s: the error has no message: %v", what, r)
	}
	return e
}

// fieldNames lists the fields an error names.
func fieldNames(fs []tandem.FieldError) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Field
	}
	return names
}

// signDefault puts the default agreement in force: a marketing head and a
// sales head sign a proposed version.
func signDefault(t testing.TB, db *sqldb.DB) tandem.AgreementVersion {
	t.Helper()
	ctx := context.Background()
	// The heads sign; the default's cadence and escalation need a rep and a
	// sales manager before it can come into force.
	for _, u := range []tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead}, {Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "rex@example.com", Role: tandem.RoleSalesRep}, {Email: "max@example.com", Role: tandem.RoleSalesManager}} {
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	return tandemtest.Sign(t, db, string(agreement.Default()), "mia@example.com", "sam@example.com")
}

func TestAuth(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		// A well-formed secret that was never issued.
		unknown := "tdm_" + strings.Repeat("a", 32)
		for _, tc := range []struct {
			name       string
			method     string
			path       string
			auth       string // the Authorization header, "" for none
			body       string
			wantStatus int
			wantCode   string // "" for a success
		}{
			{"no token", "GET", "/api/v1/leads", "", "", 401, tandem.EUNAUTHORIZED},
			{"no token on a write", "POST", "/api/v1/leads", "", `{"email":"a@example.com"}`, 401, tandem.EUNAUTHORIZED},
			{"empty bearer", "GET", "/api/v1/leads", "Bearer ", "", 401, tandem.EUNAUTHORIZED},
			{"basic auth", "GET", "/api/v1/leads", "Basic " + ts.tokens[tandem.RoleAdmin], "", 401, tandem.EUNAUTHORIZED},
			{"not a tandem token", "GET", "/api/v1/leads", "Bearer hunter2", "", 401, tandem.EUNAUTHORIZED},
			{"unknown token", "GET", "/api/v1/leads", "Bearer " + unknown, "", 401, tandem.EUNAUTHORIZED},
			{"token with a character changed", "GET", "/api/v1/leads", "Bearer " + changed(ts.tokens[tandem.RoleAdmin], 10), "", 401, tandem.EUNAUTHORIZED},
			{"good token", "GET", "/api/v1/leads", "Bearer " + ts.tokens[tandem.RoleExecutive], "", 200, ""},
			{"bearer in lower case", "GET", "/api/v1/leads", "bearer " + ts.tokens[tandem.RoleExecutive], "", 200, ""},
			{"executive may not write", "POST", "/api/v1/leads", "Bearer " + ts.tokens[tandem.RoleExecutive], `{"email":"a@example.com"}`, 403, tandem.EFORBIDDEN},
			{"marketing may not propose an agreement", "POST", "/api/v1/agreements", "Bearer " + ts.tokens[tandem.RoleMarketing], string(agreement.Default()), 403, tandem.EFORBIDDEN},
			{"no route, with a token", "GET", "/api/v1/nothing", "Bearer " + ts.tokens[tandem.RoleAdmin], "", 404, tandem.ENOTFOUND},
			// Without a token, the API says nothing of which routes exist
			// (issue 11, item 9).
			{"no route, without a token", "GET", "/api/nothing", "", "", 401, tandem.EUNAUTHORIZED},
			{"no route, with an unknown token", "GET", "/api/v1/nothing", "Bearer " + unknown, "", 401, tandem.EUNAUTHORIZED},
			{"a route's other method, without a token", "DELETE", "/api/v1/leads", "", "", 401, tandem.EUNAUTHORIZED},
			{"a route's other method, with a token", "DELETE", "/api/v1/leads", "Bearer " + ts.tokens[tandem.RoleAdmin], "", 405, "method_not_allowed"},
			{"a route's path not in its canonical form, without a token", "GET", "/api/v1//leads", "", "", 401, tandem.EUNAUTHORIZED},
			{"healthz needs no token", "GET", "/healthz", "", "", 200, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, ts.s.URL()+tc.path, strings.NewReader(tc.body))
				if err != nil {
					t.Fatalf("http.NewRequest: %v", err)
				}
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				resp, err := ts.client.Do(req)
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				r := response{resp.StatusCode, resp.Header, body}
				what := tc.method + " " + tc.path
				if tc.wantCode == "" {
					if r.status != tc.wantStatus {
						t.Errorf("%s = %v; want %d", what, r, tc.wantStatus)
					}
					return
				}
				checkError(t, what, r, tc.wantStatus, tc.wantCode)
				challenge := r.header.Get("WWW-Authenticate")
				if tc.wantStatus == 401 && !strings.HasPrefix(challenge, "Bearer ") {
					t.Errorf("%s: WWW-Authenticate = %q; want a Bearer challenge", what, challenge)
				}
				if tc.wantStatus != 401 && challenge != "" {
					t.Errorf("%s: WWW-Authenticate = %q on a %d; want none", what, challenge, tc.wantStatus)
				}
			})
		}
		// Nothing the refused requests sent was stored.
		var list leadListJSON
		ts.call("GET", "/api/v1/leads", tandem.RoleAdmin, "", 200, &list)
		if list.Total != 0 {
			t.Errorf("after refused writes, GET /api/v1/leads total = %d; want 0", list.Total)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var got map[string]string
		ts.call("GET", "/healthz", "", "", 200, &got)
		want := map[string]string{"status": "ok", "database": b.Name, "version": "dev"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /healthz (-want +got):\n%s", diff)
		}

		// With the database gone the check says so, and still needs no token.
		ts.db.Close()
		r := ts.do("GET", "/healthz", "", "")
		got = nil
		if err := json.Unmarshal(r.body, &got); err != nil || r.status != 503 || got["status"] != "unavailable" || got["database"] != b.Name {
			t.Errorf("GET /healthz with the database closed = %v; want 503 unavailable %s", r, b.Name)
		}
	})
}

// TestRouteRoles walks the route table with every role's token, and with
// none: a route must let in exactly the roles it lists. A new route gets
// this check for free, so nobody adds one without deciding who may call it.
func TestRouteRoles(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		var created leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `{"external_id":"r1","email":"r1@example.com"}`, 201, &created)

		// A body that the route accepts, for each route that reads one.
		bodies := map[string]string{
			"POST /api/v1/leads":                         `{"external_id":"r1","email":"r1@example.com"}`,
			"POST /api/v1/leads/{id}/stage":              `{"stage":"lead","reason":"checking who may"}`,
			"POST /api/v1/agreements":                    string(agreement.Default()),
			"POST /api/v1/leads/{id}/marketing-touches":  `{"campaign":"spring","kind":"webinar"}`,
			"POST /api/v1/campaigns":                     `{"code":"spring","name":"Spring webinar","channel":"email"}`,
			"PUT /api/v1/campaigns/{code}/spend/{month}": `{"amount_cents":1200050}`,
			"POST /api/v1/accounts":                      `{"name":"Acme","sector":"retail"}`,
			"POST /api/v1/products":                      `{"name":"GTX Pro","series":"GTX"}`,
			"POST /api/v1/inbox/read":                    `{}`,
			"POST /api/v1/webhooks":                      `{"url":"https://hooks.example.com/","event_types":["deal.won"]}`,
			"PATCH /api/v1/webhooks/{id}":                `{"state":"paused"}`,
			"POST /api/v1/content":                       `{"code":"spring","kind":"link","title":"Spring","url":"https://acme.example/spring","status":"live"}`,
			"POST /api/v1/content/{code}/status":         `{"status":"live"}`,
			"POST /api/v1/content/{code}/ratings":        `{"useful":true}`,
			"POST /api/v1/meetings/{period}/items":       `{"what":"check the routes","owner":"page-admin@example.com","due":"2026-12-01"}`,
		}
		// An account and a product with the id the routes' {id} takes.
		if a, _, err := ts.db.UpsertAccount(context.Background(), map[string]string{"name": "Acme"}); err != nil || a.ID != created.ID {
			t.Fatalf("UpsertAccount = %+v, %v; want account %d, the id of the lead", a, err, created.ID)
		}
		if p, _, err := ts.db.UpsertProduct(context.Background(), map[string]string{"name": "GTX Pro"}); err != nil || p.ID != created.ID {
			t.Fatalf("UpsertProduct = %+v, %v; want product %d, the id of the lead", p, err, created.ID)
		}
		if _, _, err := ts.db.SaveCampaign(context.Background(), tandem.Campaign{Code: "spring"}); err != nil {
			t.Fatalf("SaveCampaign: %v", err)
		}
		// A content item for the content routes' {code}.
		if _, _, err := ts.db.SaveContent(context.Background(), content.Item{Code: "spring", Kind: content.KindLink, Title: "Spring",
			URL: "https://acme.example/spring", Status: content.StatusLive}, "test"); err != nil {
			t.Fatalf("SaveContent: %v", err)
		}
		values := map[string]string{"id": fmt.Sprint(created.ID), "version": "1", "code": "spring", "month": "2026-03", "delivery": "1",
			"form": "routes", "source": "routes", "file": "tdmcal_none.ics", "token": "none",
			"period": "2026-11"}
		// A website form and an inbound source for {form} and {source}.
		saveForm(t, ts.db, inbound.Form{Name: "routes"})
		if _, err := ts.db.SaveSource(context.Background(), inbound.Source{Name: "routes", Kind: inbound.KindHubSpot, Secrets: []string{"0123456789abcdef"}}); err != nil {
			t.Fatalf("SaveSource: %v", err)
		}
		// Routes whose answer to an allowed role depends on the lead's
		// state and owner (http/api_work.go).
		stateful := map[string]bool{}
		for _, p := range []string{"POST /api/v1/leads/{id}/touches", "POST /api/v1/leads/{id}/accept", "POST /api/v1/leads/{id}/reject",
			"POST /api/v1/leads/{id}/disqualify", "POST /api/v1/leads/{id}/reviews", "POST /api/v1/leads/{id}/assign",
			"POST /api/v1/handoffs", "GET /api/v1/tasks",
			// and on the deal's state (http/api_deals.go; tested in api_deals_test.go)
			"GET /api/v1/deals/{id}", "POST /api/v1/deals/{id}/won", "POST /api/v1/deals/{id}/lost",
			"POST /api/v1/deals/{id}/stage",
			// and on whose the notification is (an inbox is a person's; tested in page_inbox_test.go)
			"POST /api/v1/inbox/{id}/read",
			// and on the webhook subscription, which DELETE removes
			// (http/api_webhooks.go; tested in api_webhooks_test.go)
			"GET /api/v1/webhooks/{id}", "PATCH /api/v1/webhooks/{id}", "DELETE /api/v1/webhooks/{id}",
			"GET /api/v1/webhooks/{id}/deliveries", "POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
			"POST /api/v1/webhooks/{id}/test",
			// and on whether the token acts for a person: a rating is a
			// person's (http/api_content.go; tested in api_content_test.go)
			"POST /api/v1/content/{code}/ratings",
			// and on the action item's owner, the period's lead review and
			// the version's state (tested in api_meeting_test.go)
			"POST /api/v1/meetings/items/{id}/done", "POST /api/v1/meetings/{period}/responses",
			"POST /api/v1/agreements/{version}/comments", "POST /api/v1/agreements/{version}/answers"} {
			stateful[p] = true
		}

		// Pages take a session rather than a token: one user per role, signed in.
		sessions := map[tandem.Role]string{}
		for role, u := range pageUsers(t, ts.db) {
			_, sessions[role], _ = ts.db.CreateSession(context.Background(), u.ID)
		}
		// Example paths for routes that serve a tree.
		examples := map[string]string{"GET /static/": "/static/style.css"}

		var public []string
		for _, rt := range ts.s.routes() {
			method, path, ok := strings.Cut(rt.pattern, " ")
			if ex, ok := examples[rt.pattern]; ok {
				path = ex
			}
			if !ok || !strings.HasPrefix(path, "/") {
				t.Errorf("route %q: want METHOD /path", rt.pattern)
				continue
			}
			path = strings.ReplaceAll(path, "{$}", "")
			for name, v := range values {
				path = strings.ReplaceAll(path, "{"+name+"}", v)
			}
			if strings.ContainsAny(path, "{}") {
				t.Errorf("route %q: this test has no value for its wildcard; add one to values", rt.pattern)
				continue
			}
			if rt.roles == nil {
				public = append(public, rt.pattern)
			}
			for _, role := range rt.roles {
				if _, err := tandem.ParseRole(string(role)); err != nil {
					t.Errorf("route %q lists role %q: %v", rt.pattern, role, err)
				}
			}
			if rt.isPage() {
				checkPageRoles(t, ts, rt, method, path, sessions)
				continue
			}
			for _, role := range append([]tandem.Role{""}, tandem.Roles...) {
				r := ts.do(method, path, role, bodies[rt.pattern])
				what := fmt.Sprintf("%s %s with a %q token", method, path, role)
				switch {
				case rt.roles == nil && signedRoutes[rt.pattern]:
					checkError(t, what+" unsigned", r, 401, tandem.EUNAUTHORIZED)
				case rt.roles == nil:
					if r.status/100 != 2 {
						t.Errorf("%s = %v; want a success (the route is public)", what, r)
					}
				case role == "":
					checkError(t, what, r, 401, tandem.EUNAUTHORIZED)
				case slices.Contains(rt.roles, role) && stateful[rt.pattern]:
					// The SLA routes answer by the lead's state and who
					// owns it, which a role's token alone cannot satisfy:
					// the route must let the role in, whatever it answers.
					if r.status == 401 || r.status == 403 && strings.Contains(string(r.body), "role may not") {
						t.Errorf("%s = %v; want the route to let %s in", what, r, role)
					}
				case slices.Contains(rt.roles, role):
					// Allowed: a success, or an error that is not about
					// the caller (only the in-force route 404s, and not
					// here: an agreement is in force).
					if r.status/100 != 2 {
						t.Errorf("%s = %v; want a success (%s may call it)", what, r, role)
					}
				default:
					checkError(t, what, r, 403, tandem.EFORBIDDEN)
				}
			}
		}
		// Only the health check, the API's description (as YAML, JSON and
		// the page that renders it), the static files and the pages that
		// sign people in (or out) are open to anyone, with the metrics,
		// which check a token of their own (metrics.go), the calendar
		// feeds, whose token is in their path (page_account.go), and the
		// tracked links to content, likewise (page_content.go);
		// everything else needs a token or a session.
		if diff := cmp.Diff([]string{"GET /healthz", "GET /metrics", "GET /api/v1/openapi.yaml",
			"GET /api/v1/openapi.json", "GET /api/docs",
			"POST /api/v1/hooks/{source}", "POST /f/{form}", "OPTIONS /f/{form}",
			"GET /static/", "GET /login", "POST /login", "POST /logout", "GET /setup", "POST /setup", "GET /cal/{file}",
			"GET /c/{code}/{token}"}, public); diff != "" {
			t.Errorf("routes without roles (-want +got):\n%s", diff)
		}
	})
}

// TestGracefulShutdown starts a request whose body arrives slowly, closes
// the server while the request is in flight, and checks that the request
// still completes and that Close waits for it.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		tokens := createTokens(t, db)
		// Wait for the handler itself: net/http drops a request whose
		// headers it read just as shutdown began, before any handler ran.
		active := make(chan struct{}, 1)
		s := NewServer(db, nil)
		inner := s.server.Handler
		s.server.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case active <- struct{}{}:
			default:
			}
			inner.ServeHTTP(w, r)
		})
		if err := s.Open("127.0.0.1:0"); err != nil {
			t.Fatalf("Open: %v", err)
		}
		addr := s.ln.Addr().String()

		pr, pw := io.Pipe()
		req, err := http.NewRequest("POST", s.URL()+"/api/v1/leads", pr)
		if err != nil {
			t.Fatalf("http.NewRequest: %v", err)
		}
		req.Header.Set("Authorization", "Bearer "+tokens[tandem.RoleMarketing])
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		type result struct {
			status int
			body   string
			err    error
		}
		done := make(chan result, 1)
		go func() {
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				done <- result{err: err}
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			done <- result{resp.StatusCode, string(body), err}
		}()
		// The first half of the batch; the server is now reading the body.
		if _, err := io.WriteString(pw, `[{"external_id":"slow-1","email":"slow1@example.com"},`); err != nil {
			t.Fatalf("io.WriteString: %v", err)
		}
		select {
		case <-active:
		case <-time.After(10 * time.Second):
			t.Fatal("the request never reached the server")
		}

		closed := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			closed <- s.Close(ctx)
		}()
		// Wait until the server stops taking connections: shutdown has begun.
		for deadline := time.Now().Add(10 * time.Second); ; {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatal("the server still accepts connections 10s after Close began")
			}
			time.Sleep(5 * time.Millisecond)
		}
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v while a request was in flight; want it to wait", err)
		default:
		}
		// The rest of the batch, after shutdown began.
		if _, err := io.WriteString(pw, `{"external_id":"slow-2","email":"slow2@example.com"}]`); err != nil {
			t.Fatalf("io.WriteString: %v", err)
		}
		pw.Close()

		res := <-done
		if res.err != nil || res.status != 200 || !strings.Contains(res.body, `"created":2`) {
			t.Errorf("the in-flight POST = %d %s, %v; want 200 with 2 created", res.status, res.body, res.err)
		}
		if err := <-closed; err != nil {
			t.Errorf("Close = %v; want nil", err)
		}
		page, err := db.Leads(context.Background(), tandem.LeadFilter{})
		if err != nil || page.Total != 2 {
			t.Errorf("after shutdown, Leads().Total = %d, %v; want 2", page.Total, err)
		}

		// A closed server takes no new connections.
		resp, err := (&http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}).Get(s.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET /healthz after Close = %d; want a connection error", resp.StatusCode)
		}
	})
}

// TestNoRoute checks that unknown paths and wrong methods get JSON errors:
// 404 not_found, and 405 with the methods the path takes.
func TestNoRoute(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		checkError(t, "GET /api/v1/nothing", ts.do("GET", "/api/v1/nothing", tandem.RoleAdmin, ""), 404, tandem.ENOTFOUND)
		resp := ts.do("DELETE", "/api/v1/leads", tandem.RoleAdmin, "")
		if got := resp.header.Get("Allow"); !strings.Contains(got, "GET") || !strings.Contains(got, "POST") {
			t.Errorf("DELETE /api/v1/leads: Allow = %q; want GET and POST", got)
		}
		checkError(t, "DELETE /api/v1/leads", resp, 405, "method_not_allowed")
	})
}

// changed returns the token with its i-th character replaced by another.
func changed(token string, i int) string {
	c := byte('x')
	if token[i] == c {
		c = 'y'
	}
	return token[:i] + string(c) + token[i+1:]
}
