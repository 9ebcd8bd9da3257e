package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestMeetingPage: the agreement is in force from 1 October, and October
// fell short. On 2 November the sales head opens October's meeting, sees
// the agenda, is told that an action item needs an owner (nothing is
// recorded), then records one for Rex answering the agenda's first line.
// November's scorecard opens with it: "0 of 1 done". Rex finds it in his
// inbox and his queue, marks it done from the queue, and November's
// scorecard then says "1 of 1 done".
func TestMeetingPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))
		ctx := context.Background()
		c := tandemtest.People(t, e.DB)
		c.Sign(t, e.DB, string(agreement.Default()))
		e.Clock.Set(epoch)
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		for _, u := range []tandem.User{c.Sam, c.Rex} {
			if _, err := e.DB.SetPassword(ctx, u.Email, hash); err != nil {
				t.Fatalf("SetPassword(%s): %v", u.Email, err)
			}
		}
		signIn := func(u tandem.User) {
			t.Helper()
			e.Open("/login")
			e.Submit("button[type=submit]", "#email", u.Email, "#password", pw)
			if got := e.Path(); got != "/" {
				t.Fatalf("sign in as %s: at %s", u.Email, got)
			}
		}
		setSelect := func(css, value string) {
			t.Helper()
			Run(e, "choose "+value+" in "+css, chromedp.Evaluate[string](`(() => { const s = document.querySelector(`+"`"+css+"`"+`); s.value = `+"`"+value+"`"+`; return s.value })()`))
		}

		signIn(c.Sam)
		e.Open("/meeting/2026-10")
		agenda := e.Text("[data-testid=agenda]")
		first := Run(e, "the agenda's first topic", chromedp.Evaluate[string](`document.querySelector("[data-testid=agenda] li").dataset.topic`))
		if !strings.Contains(agenda, "qualified leads") || first == "" {
			t.Fatalf("October's agenda = %q (first topic %q); want the qualified-lead shortfall", agenda, first)
		}
		// No owner: refused, saying so, nothing recorded.
		e.Submit("[data-testid=add-item]", "#i-what", "Fix the lead form", "#i-due", "2026-11-20")
		if got := e.Text("[data-testid=item-form]"); !strings.Contains(got, "every action item has an owner") {
			t.Errorf("the form without an owner says %q; want the owner's error", got)
		}
		if its, err := e.DB.ActionItems(ctx, sqldb.ActionItemFilter{}); err != nil || len(its) != 0 {
			t.Fatalf("after the refused item, ActionItems = %d, %v; want none", len(its), err)
		}
		e.Open("/meeting/2026-10")
		setSelect("#i-owner", c.Rex.Email)
		setSelect("#i-topic", first)
		e.Submit("[data-testid=add-item]", "#i-what", "Fix the lead form", "#i-due", "2026-11-20")
		if got := e.Text("[role=status]"); !strings.Contains(got, "recorded") {
			t.Errorf("after recording, the notice = %q", got)
		}
		its, err := e.DB.ActionItems(ctx, sqldb.ActionItemFilter{Period: "2026-10"})
		if err != nil || len(its) != 1 || its[0].OwnerID != c.Rex.ID || its[0].Topic != first || its[0].DueOn != "2026-11-20" {
			t.Fatalf("ActionItems = %+v, %v; want Rex's one item due 2026-11-20 answering %s", its, err, first)
		}
		if got := e.Text("[data-testid=items]"); !strings.Contains(got, "Fix the lead form") || !strings.Contains(got, "open") {
			t.Errorf("the items table = %q; want the open item", got)
		}
		e.Screenshot("meeting")
		e.Open("/scorecard?period=2026-11")
		if got := e.Text("[data-testid=carried-text]"); got != "0 of 1 done" {
			t.Errorf("November's scorecard opens with %q; want 0 of 1 done", got)
		}
		e.Submit("header form button") // sign out

		signIn(c.Rex)
		e.Open("/inbox")
		if got := e.Text("[data-testid=inbox]"); !strings.Contains(got, "Fix the lead form") {
			t.Errorf("Rex's inbox = %q; want the action item", got)
		}
		e.Open("/queue")
		id := its[0].ID
		if got := e.Text("[data-testid=queue-items]"); !strings.Contains(got, "Fix the lead form") || !strings.Contains(got, "2026-11-20") {
			t.Errorf("Rex's queue lists %q; want the item due 2026-11-20", got)
		}
		e.Clock.Set(epoch.Add(time.Hour))
		e.Submit("[data-testid=queue-done-" + itoa(id) + "]")
		n := Run(e, "count the queue's items", chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=queue-items]").length`))
		if n != 0 {
			t.Errorf("after marking it done, the queue still lists %d item sections", n)
		}
		e.Open("/scorecard?period=2026-11")
		if got := e.Text("[data-testid=carried-text]"); got != "1 of 1 done" {
			t.Errorf("November's scorecard after the item is done opens with %q; want 1 of 1 done", got)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
