package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSettingsAddUser has the admin add a rep on the settings page (first
// with a manager of the wrong role, refused by the field), and the rep sign
// in with the password the page showed once.
func TestSettingsAddUser(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		admin := tandem.User{Email: "ada@example.com", Name: "Ada Admin", Role: tandem.RoleAdmin}
		mgr := tandem.User{Email: "mia@example.com", Name: "Mia Manager", Role: tandem.RoleSalesManager, Team: "EMEA"}
		mkt := tandem.User{Email: "meg@example.com", Name: "Meg Marketing", Role: tandem.RoleMarketingHead}
		for _, u := range []*tandem.User{&admin, &mgr, &mkt} {
			if err := e.DB.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
		}
		if _, err := e.DB.SetPassword(ctx, admin.Email, hash); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if _, _, err := e.DB.CreateToken(ctx, "zapier", tandem.RoleMarketing); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", admin.Email, "#password", pw)
		e.Open("/settings")
		e.Screenshot("settings")

		const name = `Rex <i>Rep</i>`
		fill := func(manager string) {
			t.Helper()
			e.Do("choose the role and manager",
				chromedp.SetValue(chromedp.CSS("#add-role"), string(tandem.RoleSalesRep)),
				chromedp.SetValue(chromedp.CSS("#add-manager"), manager))
			e.Submit("#add-user", "#add-email", "rex@example.com", "#add-name", name, "#add-team", "EMEA")
		}
		fill(mkt.Email)
		if got := e.Text("[data-testid=add-user]"); !strings.Contains(got, "meg@example.com is a marketing_head, but a sales_rep's manager is") {
			t.Errorf("the add form after a bad manager says %q; want the manager's error", got)
		}
		e.Screenshot("settings-add-user-refused")
		if _, err := e.DB.UserByEmail(ctx, "rex@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Fatalf("a refused add stored rex: %v", err)
		}

		e.Open("/settings")
		fill(mgr.Email)
		if got := e.Text("main [role=status]"); !strings.Contains(got, "added rex@example.com") {
			t.Errorf("after adding rex the page says %q", got)
		}
		secret := strings.TrimSpace(e.Text("[data-testid=secret-value]"))
		if len(secret) < 10 {
			t.Fatalf("the shown password is %q", secret)
		}
		if got := e.Text("[data-testid=users]"); !strings.Contains(got, name) {
			t.Errorf("the users table = %q; want rex's name as text", got)
		}
		e.Screenshot("settings-user-added")

		e.Submit("header form button")
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", "rex@example.com", "#password", secret)
		if got := e.Path(); got != "/" {
			t.Fatalf("rex signing in with the shown password: at %s", got)
		}
		if got := e.Text("[data-testid=role]"); got != "sales rep" {
			t.Errorf("rex's role = %q", got)
		}
	})
}
