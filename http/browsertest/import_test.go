package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestImport has a marketer upload a small CSV with one bad row (a score
// of "many" on line 3), run it, and see the reject with its line number on
// the page, with a screenshot of each step; then import campaign spend
// through an uploaded YAML mapping.
func TestImport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		users := map[tandem.Role]tandem.User{}
		for _, role := range tandem.Roles {
			u := tandem.User{Email: strings.ReplaceAll(string(role), "_", "-") + "@example.com", Name: "Mia " + string(role), Role: role}
			if err := e.DB.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if _, err := e.DB.SetPassword(ctx, u.Email, hash); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			users[role] = u
		}
		v, _, err := e.DB.ProposeAgreement(ctx, "agreement.yaml", string(agreement.Default()), users[tandem.RoleMarketingHead].Email)
		if err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}
		for _, h := range []tandem.Role{tandem.RoleMarketingHead, tandem.RoleSalesHead} {
			if _, err := e.DB.SignAgreement(ctx, v.Version, users[h].Email); err != nil {
				t.Fatalf("SignAgreement: %v", err)
			}
		}

		file := filepath.Join(t.TempDir(), "webinar-leads.csv")
		csv := "Record ID,Email,First Name,Score\n" +
			"w1,ann@example.com,Ann <i>the first</i>,70\n" +
			"w2,bob@example.com,Bob,many\n" +
			"w3,cy@example.com,Cy,40\n"
		if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}

		e.Open("/login")
		e.Submit("main button[type=submit]", "#email", users[tandem.RoleMarketing].Email, "#password", pw)
		e.Open("/import")
		e.Screenshot("import-01-upload")
		e.Do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
		e.Submit("main form button.primary")
		if p := e.Path(); !strings.HasPrefix(p, "/import?upload=") {
			t.Fatalf("after the upload: at %s", p)
		}
		if got := e.Text("[data-testid=preview]"); !strings.Contains(got, `"many" is not a whole number`) ||
			!strings.Contains(got, "Ann <i>the first</i>") {
			t.Errorf("the preview says %q; want line 3's bad score, and the HTML in a name as text", got)
		}
		e.Screenshot("import-02-map-preview")

		run := func(taken string) {
			t.Helper()
			e.Submit("[data-testid=run]")
			e.Do("wait for the import to finish", chromedp.WaitVisible(chromedp.CSS(`#import-status[data-done="true"] [data-testid=rejects]`)))
			if got := e.Text("[data-testid=counts]"); !strings.Contains(got, taken+" taken in") || !strings.Contains(got, "1 rejected") {
				t.Errorf("the counts say %q; want %s taken in and 1 rejected", got, taken)
			}
		}
		run("2")
		if got := e.Text("[data-testid=rejects] tbody tr"); !strings.HasPrefix(got, "3") || !strings.Contains(got, "Score") ||
			!strings.Contains(got, `"many" is not a whole number`) {
			t.Errorf("the reject says %q; want line 3, column Score and the reason", got)
		}
		if href := Run(e, "the rejects link", chromedp.Evaluate[string](`document.querySelector("[data-testid=rejects-link]").getAttribute("href")`)); !strings.Contains(href, "part=rejects") {
			t.Errorf("the rejects link = %q", href)
		}
		e.Screenshot("import-03-done")

		// Spend, mapped by a YAML file uploaded on the map step.
		dir := t.TempDir()
		spend, mapping := filepath.Join(dir, "spend.csv"), filepath.Join(dir, "spend.yaml")
		if err := os.WriteFile(spend, []byte("Campaign,Month,Cost\nspring,2026-02,100.00\nspring,2026-13,5\n"), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		if err := os.WriteFile(mapping, []byte("kind: spend\nfields:\n  campaign: Campaign\n  month: Month\n  amount: Cost\n"), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		e.Open("/import")
		e.Do("choose spend and the file", chromedp.SetValue(chromedp.CSS("#kind"), "spend"), chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{spend}))
		e.Submit("main form button.primary")
		e.Do("choose the mapping", chromedp.SetUploadFiles(chromedp.CSS("#mapping-file"), []string{mapping}))
		e.Submit("[data-testid=mapping-upload] button")
		if got := e.Text("[data-testid=mapping]"); !strings.Contains(got, "spend.yaml") {
			t.Errorf("the map step says %q; want it mapped by spend.yaml", got)
		}
		e.Screenshot("import-04-spend-mapping")
		run("1")
	})
}
