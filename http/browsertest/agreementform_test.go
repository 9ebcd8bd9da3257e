package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestAgreementForm has the sales head type a bad first-touch window in
// the agreement form: the page comes back with the problem beside that
// field and the typed value kept, and nothing is stored. Then a good value
// is proposed as version 2.
func TestAgreementForm(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		c := tandemtest.People(t, e.DB, tandemtest.Signers...)
		c.Sign(t, e.DB, string(agreement.Default()))
		const pw = "a long test password"
		head := c.Sam.Email
		if _, err := e.DB.SetPassword(ctx, head, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", head, "#password", pw)

		e.Open("/agreement")
		field := `[data-path="sales.first_touch_within"]`
		e.Do("type a bad window", chromedp.SetValue(chromedp.CSS(field+" input"), "banana"))
		e.Submit(`[data-testid=propose-form]`)
		if got := e.Text(field + ` [data-testid=field-error]`); !strings.Contains(got, "is not a span") {
			t.Errorf("beside the first-touch field: %q; want the problem, is not a span", got)
		}
		if got := Run(e, "the typed value", chromedp.Evaluate[string](`document.querySelector('[data-path="sales.first_touch_within"] input').value`)); got != "banana" {
			t.Errorf("the first-touch field holds %q after the refusal; want what was typed, banana", got)
		}
		e.Screenshot("agreement-form-error")
		if vs, _ := e.DB.AgreementVersions(ctx); len(vs) != 1 {
			t.Errorf("%d versions after a refused form; want 1", len(vs))
		}

		e.Do("type a good window", chromedp.SetValue(chromedp.CSS(field+" input"), "20m"))
		e.Submit(`[data-testid=propose-form]`)
		if got := e.Path(); !strings.HasPrefix(got, "/agreement?proposed=2") {
			t.Errorf("after proposing: at %s; want /agreement?proposed=2", got)
		}
	})
}
