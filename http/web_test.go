package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// testPassword is every test user's password. Its hash is made at a tiny
// cost, once: the hash carries its cost, so the server checks it as fast.
const testPassword = "correct horse battery"

var (
	testHashOnce sync.Once
	testHash     string
)

func cheapHash() string {
	testHashOnce.Do(func() { testHash = password.HashWith(testPassword, password.Params{Time: 1, Memory: 64, Threads: 1}) })
	return testHash
}

// pageUsers adds one user per role, named after it (sales_rep@example.com),
// with testPassword.
func pageUsers(t testing.TB, db *sqldb.DB) map[tandem.Role]tandem.User {
	t.Helper()
	ctx := context.Background()
	users := map[tandem.Role]tandem.User{}
	for _, role := range tandem.Roles {
		u := tandem.User{Email: "page-" + string(role) + "@example.com", Name: "Page " + string(role), Role: role}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := db.SetPassword(ctx, u.Email, cheapHash()); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		users[role] = u
	}
	return users
}

// checkPageRoles asks for a page route without a session and with each
// role's, and checks who gets in.
func checkPageRoles(t *testing.T, ts *testServer, rt route, method, path string, sessions map[tandem.Role]string) {
	t.Helper()
	if rt.roles == nil {
		return // the sign-in pages: their own tests below
	}
	for _, role := range append([]tandem.Role{""}, tandem.Roles...) {
		wc := newWebClient(t, ts.s.URL())
		wc.cookie = sessions[role]
		r := wc.do(method, path, url.Values{})
		what := fmt.Sprintf("%s %s with a %q session", method, path, role)
		toLogin := r.status == 303 && strings.HasPrefix(r.header.Get("Location"), "/login")
		switch {
		case role == "":
			if !toLogin {
				t.Errorf("%s = %v; want a redirect to /login", what, r)
			}
		case slices.Contains(rt.roles, role):
			// A lead's pages answer by who owns the lead (page_queue_test.go),
			// a deal's by its lead, and a page of one deal or account by
			// whether it exists (page_deals_test.go): the role must get in,
			// whatever the lead says. Closing an action item answers by
			// whose it is (page_meeting_test.go).
			byLead := strings.HasPrefix(path, "/leads/") || strings.HasPrefix(path, "/deals/") || strings.HasPrefix(path, "/accounts/") ||
				strings.HasPrefix(path, "/meeting/items/")
			if toLogin || r.status == 403 && (!byLead || strings.Contains(string(r.body), "may not open this page")) ||
				method == "GET" && r.status != 200 && !byLead {
				t.Errorf("%s = %v (Location %q); want the page (%s may open it)", what, r, r.header.Get("Location"), role)
			}
		default:
			if r.status != 403 || !strings.Contains(string(r.body), "may not open this page") {
				t.Errorf("%s = %v; want 403 with a page saying why", what, r)
			}
		}
	}
}

// webClient is a browser without the browser: it keeps one session cookie,
// follows no redirects, and sends the headers a test asks for.
type webClient struct {
	t      testing.TB
	base   string
	client *http.Client
	cookie string // the session secret, "" for none
}

func newWebClient(t testing.TB, base string) *webClient {
	return &webClient{t: t, base: base, client: &http.Client{
		Timeout:       time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (wc *webClient) get(path string) response { return wc.do("GET", path, nil) }

func (wc *webClient) post(path string, form url.Values, header ...string) response {
	return wc.do("POST", path, form, header...)
}

// do sends a request (a form if form is not nil) with header's name, value
// pairs, and keeps the session cookie the answer sets.
func (wc *webClient) do(method, path string, form url.Values, header ...string) response {
	wc.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, wc.base+path, body)
	if err != nil {
		wc.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if wc.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: wc.cookie})
	}
	resp, err := wc.client.Do(req)
	if err != nil {
		wc.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		wc.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			wc.cookie = c.Value
			if c.MaxAge < 0 {
				wc.cookie = ""
			}
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// login posts the sign-in form.
func (wc *webClient) login(email, pw string) response {
	return wc.post("/login", url.Values{"email": {email}, "password": {pw}})
}

// want checks a response's status, its redirect target (when want is a
// 3xx, a prefix of it) and that its body holds each of the texts.
func want(t testing.TB, what string, r response, status int, texts ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s = %v (Location %q); want status %d", what, r, r.header.Get("Location"), status)
		return
	}
	for _, s := range texts {
		if status/100 == 3 {
			if loc := r.header.Get("Location"); !strings.HasPrefix(loc, s) {
				t.Errorf("%s: Location = %q; want %q", what, loc, s)
			}
			continue
		}
		if !strings.Contains(string(r.body), s) {
			t.Errorf("%s: the page does not say %q:\n%s", what, s, r.body)
		}
	}
}

func TestFirstRun(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())

		want(t, "GET / on a fresh install", wc.get("/"), 303, "/login")
		want(t, "GET /login on a fresh install", wc.get("/login"), 303, "/setup")
		want(t, "GET /setup", wc.get("/setup"), 200, "Create the first admin", `name="password2"`)
		form := url.Values{"email": {"Ada@Example.com"}, "name": {"Ada <b>Admin</b>"}, "password": {"long enough pw"}, "password2": {"long enough pw!"}}
		want(t, "POST /setup with two passwords", wc.post("/setup", form), 422, "The two passwords differ.", `value="ada@example.com"`)
		form.Set("password", "short")
		form.Set("password2", "short")
		want(t, "POST /setup with a short password", wc.post("/setup", form), 422, "at least 12 characters")
		if open, _ := db.SetupOpen(context.Background()); !open {
			t.Fatal("a refused setup closed setup")
		}
		form.Set("password", "long enough pw")
		form.Set("password2", "long enough pw")
		want(t, "POST /setup", wc.post("/setup", form), 303, "/")
		if wc.cookie == "" {
			t.Fatal("POST /setup set no session cookie")
		}
		// The name is shown as text, never as markup.
		want(t, "GET / as the first admin", wc.get("/"), 200, "Hello, Ada &lt;b&gt;Admin&lt;/b&gt;", ">Settings</a>")

		// Setup is closed now, to everyone.
		other := newWebClient(t, s.URL())
		want(t, "GET /setup once set up", other.get("/setup"), 303, "/login")
		form.Set("email", "mallory@example.com")
		want(t, "POST /setup once set up", other.post("/setup", form), 409, "already set up")
		want(t, "GET /login once set up", other.get("/login"), 200, `name="email"`, `name="password"`)
		if _, err := db.UserByEmail(context.Background(), "mallory@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("a second setup made a user (%v)", err)
		}
	})
}

func TestSignInOut(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		users := pageUsers(t, db)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())

		want(t, "GET /queue without a session", wc.get("/queue?x=1"), 303, "/login?next=%2Fqueue%3Fx%3D1")
		want(t, "GET /login?next=/queue", wc.get("/login?next=/queue"), 200, `name="next" value="/queue"`)
		want(t, "wrong password", wc.login("page-sales_rep@example.com", "not the password"), 401, msgWrong)
		want(t, "unknown email", wc.login("nobody@example.com", testPassword), 401, msgWrong)
		want(t, "no password", wc.login("page-sales_rep@example.com", ""), 422, msgMissing)
		if wc.cookie != "" {
			t.Fatal("a refused sign-in set a session cookie")
		}

		r := wc.post("/login", url.Values{"email": {" PAGE-sales_rep@example.com "}, "password": {testPassword}, "next": {"/queue"}})
		want(t, "sign-in with next", r, 303, "/queue")
		c := r.header.Get("Set-Cookie")
		for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(c, attr) {
				t.Errorf("Set-Cookie %q lacks %s", c, attr)
			}
		}
		if strings.Contains(c, "Secure") {
			t.Errorf("Set-Cookie %q is Secure over plain HTTP", c)
		}
		home := wc.get("/")
		want(t, "GET / as a rep", home, 200, "Hello, Page sales_rep", "sales rep", `href="/queue"`, "Sign out")
		if strings.Contains(string(home.body), `href="/settings"`) {
			t.Errorf("a rep's home page links to Settings")
		}
		want(t, "GET /settings as a rep", wc.get("/settings"), 403, "may not open this page")
		want(t, "GET /login signed in", wc.get("/login?next=/funnel"), 303, "/funnel")

		// Only local paths are followed after sign-in.
		for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"} {
			o := newWebClient(t, s.URL())
			r := o.post("/login", url.Values{"email": {users[tandem.RoleSalesRep].Email}, "password": {testPassword}, "next": {next}})
			if loc := r.header.Get("Location"); r.status != 303 || loc != "/" {
				t.Errorf("sign-in with next=%q = %v to %q; want 303 to /", next, r, loc)
			}
		}

		old := wc.cookie
		want(t, "POST /logout", wc.post("/logout", url.Values{}), 303, "/login?out=1")
		if wc.cookie != "" {
			t.Error("POST /logout did not clear the cookie")
		}
		want(t, "GET /login?out=1", wc.get("/login?out=1"), 200, "you have signed out")
		wc.cookie = old
		want(t, "GET / with the old cookie", wc.get("/"), 303, "/login?ended=signed-out")
		want(t, "GET /login?ended=signed-out", wc.get("/login?ended=signed-out"), 200, "You were signed out")
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := openDB(t, b)
		pageUsers(t, db)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())
		want(t, "sign-in", wc.login("page-executive@example.com", testPassword), 303, "/")
		clk.Advance(tandem.IdleTimeout - time.Minute)
		want(t, "GET / before the idle timeout", wc.get("/"), 200, "Hello")
		clk.Advance(tandem.IdleTimeout + time.Second)
		r := wc.get("/funnel")
		want(t, "GET /funnel after the idle timeout", r, 303, "/login?ended=expired&next=%2Ffunnel")
		if wc.cookie != "" {
			t.Error("an expired session's cookie was not cleared")
		}
		want(t, "the sign-in page after expiry", wc.get(r.header.Get("Location")), 200, "Your session has expired")

		// An htmx request is told where to go rather than redirected.
		want(t, "sign-in again", wc.login("page-executive@example.com", testPassword), 303, "/")
		clk.Advance(tandem.MaxSessionAge)
		r = wc.do("GET", "/funnel", nil, "HX-Request", "true")
		if r.status != 401 || !strings.HasPrefix(r.header.Get("HX-Redirect"), "/login?ended=expired") {
			t.Errorf("htmx GET /funnel after the maximum age = %v, HX-Redirect %q; want 401 to /login?ended=expired", r, r.header.Get("HX-Redirect"))
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := openDB(t, b)
		pageUsers(t, db)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())
		const rep = "page-sales_rep@example.com"
		for i := range pairFailures {
			want(t, fmt.Sprintf("wrong password %d", i+1), wc.login(rep, "guess"), 401, msgWrong)
		}
		r := wc.login(rep, testPassword)
		want(t, "the right password once throttled", r, 429, msgThrottled)
		if wc.cookie != "" || r.header.Get("Retry-After") == "" {
			t.Errorf("a throttled sign-in: cookie %q, Retry-After %q; want none and a delay", wc.cookie, r.header.Get("Retry-After"))
		}
		// Another email from the same address is still let in...
		want(t, "another user", wc.login("page-sales_manager@example.com", testPassword), 303, "/")
		// ... and the locked pair is let in again after the lockout.
		clk.Advance(pairLockout)
		want(t, "after the wait", newWebClient(t, s.URL()).login(rep, testPassword), 303, "/")

		// Per address: many emails from one address.
		for i := range addrBurst {
			wc.login(fmt.Sprintf("who%d@example.com", i), "guess")
		}
		want(t, "one address, many emails", wc.login("page-admin@example.com", testPassword), 429, msgThrottled)
	})
}

func TestCrossOriginForgery(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		want(t, "sign-in", wc.login("page-sales_rep@example.com", testPassword), 303, "/")

		// Another site's page posts to /logout and /login.
		for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			want(t, "forged POST /logout ("+h[0]+")", wc.post("/logout", url.Values{}, h...), 403, "another web site")
			want(t, "GET / after a forged sign-out", wc.get("/"), 200, "Hello")
			o := newWebClient(t, ts.s.URL())
			want(t, "forged POST /login ("+h[0]+")", o.post("/login", url.Values{"email": {"page-admin@example.com"}, "password": {testPassword}}, h...), 403, "another web site")
			if o.cookie != "" {
				t.Errorf("a forged sign-in set a cookie")
			}
			r := ts.doSecretHeader("POST", "/api/v1/leads", ts.tokens[tandem.RoleAdmin], `{"email":"x@example.com"}`, h...)
			checkError(t, "forged POST /api/v1/leads ("+h[0]+")", r, 403, tandem.EFORBIDDEN)
		}
		// The same site's own form, and an API client that says nothing.
		want(t, "same-origin POST /logout", wc.post("/logout", url.Values{}, "Sec-Fetch-Site", "same-origin", "Origin", ts.s.URL()), 303, "/login")
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `{"email":"x@example.com"}`, 201, nil)
	})
}

// doSecretHeader is doSecret with extra headers (name, value pairs).
func (ts *testServer) doSecretHeader(method, path, secret, body string, header ...string) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.s.URL()+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		pageUsers(t, db)
		s := startServer(t, db, nil)
		const email = "page-marketing@example.com"
		wc, other := newWebClient(t, s.URL()), newWebClient(t, s.URL())
		want(t, "sign-in", wc.login(email, testPassword), 303, "/")
		want(t, "sign-in elsewhere", other.login(email, testPassword), 303, "/")
		want(t, "GET /account/password", wc.get("/account/password"), 200, `name="current"`, `name="new2"`)

		change := func(cur, n, n2 string) response {
			return wc.post("/account/password", url.Values{"current": {cur}, "new": {n}, "new2": {n2}})
		}
		const newPW = "a new and long password"
		want(t, "wrong current password", change("nope", newPW, newPW), 401, "current password is not right")
		want(t, "new passwords differ", change(testPassword, newPW, newPW+"x"), 422, "differ")
		want(t, "new password too short", change(testPassword, "short", "short"), 422, "at least 12")
		want(t, "GET / elsewhere, after refused changes", other.get("/"), 200, "Hello")
		want(t, "change", change(testPassword, newPW, newPW), 200, "your password is changed")
		want(t, "GET / here, after the change", wc.get("/"), 200, "Hello")
		want(t, "GET / elsewhere, after the change", other.get("/"), 303, "/login?ended=signed-out")
		want(t, "the old password", newWebClient(t, s.URL()).login(email, testPassword), 401, msgWrong)
		want(t, "the new password", newWebClient(t, s.URL()).login(email, newPW), 303, "/")
	})
}

func TestWebBasics(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		pageUsers(t, db)
		s := startServer(t, db, nil)
		wc := newWebClient(t, s.URL())

		r := wc.get("/static/htmx.min.js")
		want(t, "GET /static/htmx.min.js", r, 200, "htmx")
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("static Cache-Control = %q; want a year", cc)
		}
		want(t, "GET /static/nope.js", wc.get("/static/nope.js"), 404)

		r = wc.get("/login")
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("page Content-Security-Policy = %q; want scripts only from Tandem", csp)
		}
		if !strings.Contains(string(r.body), "/static/htmx.min.js?v=") || !strings.Contains(string(r.body), "/static/style.css?v=") {
			t.Errorf("the layout does not load the versioned static files:\n%s", r.body)
		}
		want(t, "GET /nope", wc.get("/nope"), 404, "There is no page at /nope")
		// Without a token, not even a 404 (issue 11, item 9).
		checkError(t, "GET /api/v1/nope", wc.get("/api/v1/nope"), 401, tandem.EUNAUTHORIZED)

		want(t, "sign-in", wc.login("page-admin@example.com", testPassword), 303, "/")
		want(t, "GET /scorecard", wc.get("/scorecard"), 200, "The unified KPI")
		// Pages do not take API tokens, nor the API session cookies.
		_, secret, _ := db.CreateToken(context.Background(), "t", tandem.RoleAdmin)
		o := newWebClient(t, s.URL())
		want(t, "GET / with a bearer token", o.do("GET", "/", nil, "Authorization", "Bearer "+secret), 303, "/login")
		checkError(t, "GET /api/v1/leads with a session cookie", wc.get("/api/v1/leads"), 401, tandem.EUNAUTHORIZED)
	})
}
