package http

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

var secretRE = regexp.MustCompile(`data-testid="secret-value">([^<]+)</code>`)

// shownSecret returns the secret a settings page shows once, or fails.
func shownSecret(t *testing.T, what string, r response) string {
	t.Helper()
	m := secretRE.FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("%s: the page shows no secret:\n%s", what, r.body)
	}
	return string(m[1])
}

// TestSettingsUsers: an admin adds a user and sees the password once; bad
// input shows the error by its field and stores nothing; an edit, a reset
// and a sign-out everywhere work; other roles get 403.
func TestSettingsUsers(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := openDB(t, b)
		users := pageUsers(t, db)
		s := startServer(t, db, nil)
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "GET /settings", admin.get("/settings"), 200, "page-sales_rep@example.com", "Add a user", "Notification channels", "off: start serve")

		for _, role := range tandem.Roles[1:] {
			wc := newWebClient(t, s.URL())
			want(t, "sign-in as "+string(role), wc.login(users[role].Email, testPassword), 303, "/")
			want(t, string(role)+" GET /settings", wc.get("/settings"), 403, "may not open this page")
			want(t, string(role)+" POST /settings/users", wc.post("/settings/users",
				url.Values{"email": {"sneaky@example.com"}, "role": {"admin"}}), 403)
		}
		if _, err := db.UserByEmail(ctx, "sneaky@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("a non-admin's POST added a user: %v", err)
		}

		// A bad manager: the error is by the manager field and nothing is stored.
		const name = `Rex <b>Bold</b><script>alert(1)</script>`
		r := admin.post("/settings/users", url.Values{"email": {"rex@example.com"}, "name": {name}, "role": {"sales_rep"},
			"team": {"EMEA"}, "manager": {users[tandem.RoleMarketingHead].Email}})
		want(t, "add with a marketing head as a rep's manager", r, 422, "Nothing was changed",
			`<p class="error" role="alert">page-marketing_head@example.com is a marketing_head, but a sales_rep&#39;s manager is`)
		if i, j := strings.Index(string(r.body), `id="add-manager"`), strings.Index(string(r.body), "is a marketing_head, but"); i < 0 || j < i {
			t.Errorf("the manager's error is not after the add form's manager field")
		}
		if !strings.Contains(string(r.body), `value="Rex &lt;b&gt;Bold&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`) {
			t.Errorf("the refused form does not keep the name, as text")
		}
		if _, err := db.UserByEmail(ctx, "rex@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("a refused add stored the user: %v", err)
		}
		want(t, "add with a bad email", admin.post("/settings/users", url.Values{"email": {"nope"}, "role": {"sales_rep"}}), 422, "is not an email address")
		want(t, "add an existing email", admin.post("/settings/users", url.Values{"email": {users[tandem.RoleSalesRep].Email}, "role": {"sales_rep"}}), 422, "already exists")

		// Added: the password is shown once and signs the user in.
		r = admin.post("/settings/users", url.Values{"email": {"rex@example.com"}, "name": {name}, "role": {"sales_rep"},
			"team": {"EMEA"}, "manager": {users[tandem.RoleSalesManager].Email}})
		want(t, "add rex", r, 200, "added rex@example.com", "shown this once", "Rex &lt;b&gt;Bold&lt;/b&gt;&lt;script&gt;")
		if strings.Contains(string(r.body), "<script>alert(1)") {
			t.Errorf("the name is markup on the page")
		}
		pw := shownSecret(t, "add rex", r)
		rex, err := db.UserByEmail(ctx, "rex@example.com")
		if err != nil || rex.Team != "EMEA" || rex.ManagerID != users[tandem.RoleSalesManager].ID || rex.Name != name {
			t.Errorf("rex = %+v, %v; want in EMEA under the sales manager", rex, err)
		}
		r = admin.get("/settings")
		if strings.Contains(string(r.body), pw) || strings.Contains(string(r.body), "secret-value") {
			t.Errorf("the password is shown again")
		}
		want(t, "the teams", r, 200, "<td>EMEA</td>", "rex@example.com (sales rep)")
		rexWeb := newWebClient(t, s.URL())
		want(t, "rex signs in with the shown password", rexWeb.login("rex@example.com", pw), 303, "/")

		// An edit with a bad manager changes nothing, and says so by the field.
		edit := url.Values{"email": {"rex@example.com"}, "role": {"sales_rep"}, "team": {"APAC"},
			"manager": {users[tandem.RoleMarketingHead].Email}, "weight": {"3"}, "absent": {"1"}}
		r = admin.post("/settings/users/edit", edit)
		want(t, "edit with a bad manager", r, 422, "Editing rex@example.com", "<details open>", "is a marketing_head, but")
		if got, _ := db.UserByEmail(ctx, "rex@example.com"); got.Team != "EMEA" || got.Weight != 1 || got.Absent {
			t.Errorf("a refused edit changed rex: %+v", got)
		}
		edit.Set("weight", "0")
		edit.Set("manager", users[tandem.RoleSalesHead].Email)
		want(t, "edit with a bad weight", admin.post("/settings/users/edit", edit), 422, "is not a weight")
		edit.Set("weight", "3")
		want(t, "edit", admin.post("/settings/users/edit", edit), 303, "/settings?done=edited")
		if got, _ := db.UserByEmail(ctx, "rex@example.com"); got.Team != "APAC" || got.Weight != 3 || !got.Absent || got.ManagerID != users[tandem.RoleSalesHead].ID {
			t.Errorf("after the edit rex = %+v; want APAC, weight 3, absent, under the sales head", got)
		}

		self := url.Values{"email": {users[tandem.RoleAdmin].Email}, "role": {"executive"}, "team": {""}, "manager": {""}, "weight": {"1"}}
		want(t, "the admin demotes themselves", admin.post("/settings/users/edit", self), 422, "you cannot take away your own admin role")
		if got, _ := db.UserByEmail(ctx, users[tandem.RoleAdmin].Email); got.Role != tandem.RoleAdmin {
			t.Errorf("the admin demoted themselves: %+v", got)
		}

		// A reset shows a new password once, on the page it redirects to,
		// and signs rex out everywhere. A reload of that page makes no other
		// password and shows none; nor does another admin see it.
		r = admin.post("/settings/users/password", url.Values{"email": {"rex@example.com"}})
		want(t, "reset rex's password", r, 303, "/settings?shown=")
		shownAt := r.header.Get("Location")
		if strings.Contains(string(r.body), "secret-value") {
			t.Errorf("the answer to the reset's POST shows the password")
		}
		other := tandem.User{Email: "ada2@example.com", Role: tandem.RoleAdmin}
		if err := db.CreateUser(ctx, &other); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := db.SetPassword(ctx, other.Email, cheapHash()); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		admin2 := newWebClient(t, s.URL())
		want(t, "admin 2 sign-in", admin2.login(other.Email, testPassword), 303, "/")
		want(t, "another admin at the reset's page", admin2.get(shownAt), 200, "shown once and is not shown again")
		r = admin.get(shownAt)
		want(t, "the reset's page", r, 200, "a new password for rex@example.com")
		pw2 := shownSecret(t, "reset", r)
		_, before, _ := db.UserPassword(ctx, "rex@example.com")
		r = admin.get(shownAt)
		want(t, "the reset's page, reloaded", r, 200, "shown once and is not shown again")
		if strings.Contains(string(r.body), pw2) || strings.Contains(string(r.body), "secret-value") {
			t.Errorf("a reload shows the password again")
		}
		if _, after, _ := db.UserPassword(ctx, "rex@example.com"); after != before {
			t.Errorf("a reload of the reset's page changed rex's password")
		}
		want(t, "rex after the reset", rexWeb.get("/"), 303, "/login?ended=signed-out")
		want(t, "the old password", newWebClient(t, s.URL()).login("rex@example.com", pw), 401)
		want(t, "the new password", rexWeb.login("rex@example.com", pw2), 303, "/")
		want(t, "sign rex out everywhere", admin.post("/settings/users/signout", url.Values{"email": {"rex@example.com"}}), 303, "/settings?done=signedout")
		want(t, "rex after the sign-out", rexWeb.get("/"), 303, "/login?ended=signed-out")
		want(t, "reset an unknown user", admin.post("/settings/users/password", url.Values{"email": {"ghost@example.com"}}), 404)
	})
}

// TestSettingsTokens: a token made on the page works on the API until it is
// revoked on the page.
func TestSettingsTokens(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := openDB(t, b)
		users := pageUsers(t, db)
		s := startServer(t, db, func(s *Server) {
			s.Notify = NotifyFrom("smtp://mailer:hunter2secret@mail.example.com:587?from=tandem@example.com", "https://hooks.example.com/services/T0/B0/XYZsecret")
		})
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		r := admin.get("/settings")
		want(t, "the channels", r, 200, "mail.example.com:587", "tandem@example.com", "hooks.example.com")
		for _, secret := range []string{"hunter2secret", "mailer", "XYZsecret", "/services/"} {
			if strings.Contains(string(r.body), secret) {
				t.Errorf("the settings page shows %q", secret)
			}
		}

		api := func(secret string) int {
			req, _ := http.NewRequest("GET", s.URL()+"/api/v1/leads", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		want(t, "a token without a name", admin.post("/settings/tokens", url.Values{"name": {""}, "role": {"marketing"}}), 422, "a token needs a name")
		want(t, "a token for nobody", admin.post("/settings/tokens", url.Values{"name": {"x"}, "user": {"ghost@example.com"}}), 422, "no user has the email ghost@example.com")
		r = admin.post("/settings/tokens", url.Values{"name": {"<i>zapier</i>"}, "role": {"marketing"}})
		want(t, "create a token", r, 200, "created the token &lt;i&gt;zapier&lt;/i&gt;")
		secret := shownSecret(t, "create a token", r)
		lastUsed := regexp.MustCompile(`data-testid="last-used">([^<]*)(<time datetime="([^"]+)")?`)
		if m := lastUsed.FindSubmatch(admin.get("/settings").body); m == nil || string(m[1]) != "never" {
			t.Errorf("a new token's last use = %q; want never", m)
		}
		if got := api(secret); got != 200 {
			t.Errorf("GET /api/v1/leads with the new token = %d; want 200", got)
		}
		// The use is on the page, as a <time> the script shows in the
		// viewer's zone.
		if m := lastUsed.FindSubmatch(admin.get("/settings").body); m == nil || string(m[3]) != clk.Now().UTC().Format(time.RFC3339) {
			t.Errorf("the token's last use = %q; want <time datetime=%q>", m, clk.Now().UTC().Format(time.RFC3339))
		}
		want(t, "a taken name", admin.post("/settings/tokens", url.Values{"name": {"<i>zapier</i>"}, "role": {"marketing"}}), 422, "already exists")
		r = admin.post("/settings/tokens", url.Values{"name": {"rep laptop"}, "user": {users[tandem.RoleSalesRep].Email}})
		want(t, "a user's token", r, 200, "created the token rep laptop")
		toks, err := db.Tokens(context.Background())
		if err != nil || len(toks) != 2 {
			t.Fatalf("Tokens = %+v, %v; want two", toks, err)
		}
		want(t, "the token list", admin.get("/settings"), 200, "&lt;i&gt;zapier&lt;/i&gt;", "page-sales_rep@example.com (sales rep)")
		want(t, "revoke", admin.post("/settings/tokens/revoke", url.Values{"id": {strconv.FormatInt(toks[0].ID, 10)}}), 303, "/settings?done=revoked")
		if got := api(secret); got != 401 {
			t.Errorf("GET /api/v1/leads with the revoked token = %d; want 401", got)
		}
		want(t, "revoke again", admin.post("/settings/tokens/revoke", url.Values{"id": {strconv.FormatInt(toks[0].ID, 10)}}), 404)
		rep := newWebClient(t, s.URL())
		want(t, "rep sign-in", rep.login(users[tandem.RoleSalesRep].Email, testPassword), 303, "/")
		want(t, "a rep revokes", rep.post("/settings/tokens/revoke", url.Values{"id": {strconv.FormatInt(toks[1].ID, 10)}}), 403)
		if toks, _ := db.Tokens(context.Background()); len(toks) != 1 {
			t.Errorf("after a rep's revoke, tokens = %+v; want the one left", toks)
		}
	})
}
