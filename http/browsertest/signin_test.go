package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// TestSignIn walks the first run, sign-in and sign-out in a real browser,
// and takes a screenshot of each page on the way.
func TestSignIn(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		wantPath := func(what, want string) {
			t.Helper()
			if got := e.Path(); got != want {
				t.Fatalf("%s: at %s; want %s", what, got, want)
			}
		}
		wantText := func(what, css, want string) {
			t.Helper()
			if got := e.Text(css); !strings.Contains(got, want) {
				t.Errorf("%s: %s says %q; want %q in it", what, css, got, want)
			}
		}

		// First run: the sign-in page leads to setup, which makes the admin.
		e.Open("/")
		wantPath("a fresh install", "/setup")
		e.Screenshot("01-setup")
		const adminName = `Ada <script>document.title="pwned"</script>`
		e.Submit("button[type=submit]", "#name", adminName, "#email", "ada@example.com",
			"#password", "ada's long password", "#password2", "ada's long password")
		wantPath("after setup", "/")
		// The name is text on the page, never markup.
		wantText("the admin's home page", "h1", "Hello, "+adminName)
		if title := Run(e, "title", chromedp.Title()); title == "pwned" {
			t.Errorf("a script in the admin's name ran")
		}
		wantText("the admin's home page", "[data-testid=role]", "admin")
		e.Screenshot("02-home-admin")

		// A rep, added the way `tandem user add` does.
		ctx := context.Background()
		rep := tandem.User{Email: "rex@example.com", Name: "Rex Rep", Role: tandem.RoleSalesRep}
		if err := e.DB.CreateUser(ctx, &rep); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		const repPassword = "rex's long password"
		if _, err := e.DB.SetPassword(ctx, rep.Email, password.HashWith(repPassword, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}

		e.Submit("header form button")
		wantPath("after signing out", "/login?out=1")
		wantText("the sign-in page after signing out", "[role=status]", "you have signed out")
		e.Screenshot("03-signed-out")

		e.Submit("button[type=submit]", "#email", rep.Email, "#password", "not rex's password")
		wantPath("a wrong password", "/login")
		wantText("a wrong password", "[role=alert]", "Wrong email or password.")
		e.Screenshot("04-login-wrong-password")

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", rep.Email, "#password", repPassword)
		wantPath("the rep signed in", "/")
		wantText("the rep's home page", "h1", "Hello, Rex Rep")
		wantText("the rep's header", "[data-testid=user]", "Rex Rep")
		wantText("the rep's header", "[data-testid=role]", "sales rep")
		if nav := e.Text("nav"); strings.Contains(nav, "Settings") || !strings.Contains(nav, "Queue") {
			t.Errorf("the rep's navigation = %q; want Queue and no Settings", nav)
		}
		e.Screenshot("05-home-rep")
		e.Viewport(390, 844)
		e.Screenshot("06-home-rep-phone")
		e.Viewport(1280, 900)

		e.Open("/queue")
		wantText("the queue", "main", "No open tasks")
		e.Screenshot("07-queue-empty")
		e.Open("/settings")
		wantText("settings as a rep", "main", "may not open this page")
		e.Screenshot("08-settings-forbidden")
		e.Open("/account/password")
		e.Screenshot("09-password")

		// Signing out ends the session: the old cookie signs nobody in.
		var old string
		for _, c := range e.Cookies() {
			if c.Name == "tandem_session" {
				old = c.Value
				if !c.HTTPOnly {
					t.Errorf("the session cookie is not HttpOnly")
				}
			}
		}
		if old == "" {
			t.Fatal("no tandem_session cookie while signed in")
		}
		e.Submit("header form button")
		wantPath("after the rep signs out", "/login?out=1")
		e.SetCookie("tandem_session", old)
		e.Open("/")
		wantPath("the old cookie", "/login?ended=signed-out")
		wantText("the old cookie", "[role=alert]", "You were signed out")
		e.Screenshot("10-old-cookie")

		// A page asked for without a session leads to sign in, and back.
		e.Open("/funnel")
		wantPath("a page without a session", "/login?next=%2Ffunnel")
		e.Submit("button[type=submit]", "#email", rep.Email, "#password", repPassword)
		wantPath("signed in from the funnel's redirect", "/funnel")
	})
}
