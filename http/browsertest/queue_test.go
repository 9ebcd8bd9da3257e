package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestQueueTouch: a rep signs in, opens the queue, logs a touch with one
// click, and the first-touch clock on the page stops: it says met, and
// counts down no more.
func TestQueueTouch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		// The server's clock is the browser's, so that the countdowns the
		// page's script draws agree with the server's.
		e := Start(t, b, time.Now().UTC().Truncate(time.Second))
		ctx := context.Background()
		rep := tandem.User{Email: "rex@example.com", Name: "Rex Rep", Role: tandem.RoleSalesRep}
		for _, u := range []*tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
			{Email: "sam@example.com", Role: tandem.RoleSalesHead}, &rep, {Email: "max@example.com", Role: tandem.RoleSalesManager}} {
			if err := e.DB.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
		}
		const repPassword = "rex's long password"
		if _, err := e.DB.SetPassword(ctx, rep.Email, password.HashWith(repPassword, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		tandemtest.Sign(t, e.DB, string(agreement.Default()), "mia@example.com", "sam@example.com")
		res, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{
			{Fields: map[string]string{"external_id": "b1", "email": "lena@example.com", "first_name": "Lena <b>Bold</b>", "company": "Acme", "score": "80"}},
			{Fields: map[string]string{"external_id": "b2", "email": "otto@example.com", "first_name": "Otto", "company": "Globex", "score": "80"}},
		}, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		id := res[0].ID

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", rep.Email, "#password", repPassword)
		e.Open("/queue")
		row := fmt.Sprintf("#lead-%d", id)
		clock := row + ` [data-clock="First touch"] .state`
		if got := e.Text(row + " h2"); !strings.Contains(got, "Lena <b>Bold</b>") {
			t.Errorf("the row's heading = %q; want the lead's name as text", got)
		}
		// The script counts down, and shows times in the browser's zone.
		first := e.Text(clock)
		if !strings.HasPrefix(first, "in ") && !strings.HasPrefix(first, "overdue by ") {
			t.Errorf("the first-touch clock says %q; want a countdown", first)
		}
		e.Do("wait for a tick", chromedp.Sleep(1100*time.Millisecond))
		if n := Run(e, "local times", chromedp.Evaluate[int](`document.querySelectorAll("time[data-local]").length`)); n == 0 {
			t.Errorf("no <time> was rewritten into the browser's zone")
		}
		e.Screenshot("queue-before-touch")

		// One click: a call, no answer.
		e.Do("log a touch",
			chromedp.Click(chromedp.CSS(row+` [data-testid="touch-call:no_answer"]`)),
			chromedp.WaitVisible(chromedp.CSS(row+" .notice")))
		if got := e.Text(row + " .notice"); !strings.Contains(got, "Logged a call touch: no answer.") {
			t.Errorf("after the click the row says %q", got)
		}
		if got := e.Text(clock); !strings.HasPrefix(got, "met") {
			t.Errorf("the first-touch clock says %q after the touch; want met", got)
		}
		// It stays stopped: no countdown is left on it.
		e.Do("wait for a tick", chromedp.Sleep(1100*time.Millisecond))
		n := Run(e, "countdowns on the clock", chromedp.Evaluate[int](
			fmt.Sprintf(`document.querySelectorAll('#lead-%d [data-clock="First touch"] .countdown').length`, id)))
		if n != 0 {
			t.Errorf("the first-touch clock still counts down after the touch")
		}
		if got := e.Text(clock); !strings.HasPrefix(got, "met") {
			t.Errorf("a second later the first-touch clock says %q; want met", got)
		}
		e.Screenshot("queue-after-touch")

		// A refusal comes back into the row, in words. The forms load when
		// the row's <details> opens; htmx binds them as it swaps them in
		// (defaultSettleDelay 0 in the layout), so that a click at once is
		// an htmx post and not a plain one that leaves the queue.
		// (With a settle delay of 1.5 s, as on a very slow machine, this
		// step fails every time; keep it 0.)
		if d := Run(e, "htmx's settle delay", chromedp.Evaluate[int](`htmx.config.defaultSettleDelay`)); d != 0 {
			t.Errorf("htmx.config.defaultSettleDelay = %d; want 0, so that swapped-in forms are bound at once", d)
		}
		e.Do("open the row's forms", chromedp.Click(chromedp.CSS(row+" details summary")))
		// The reject form chooses no reason for the rep: no_response, which
		// needs the cadence first, is chosen by hand.
		e.Do("the reject form loads", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#reason-%d", id))))
		if got := Run(e, "the reject form's reason", chromedp.Evaluate[string](
			fmt.Sprintf(`document.querySelector("#reason-%d").value`, id))); got != "" {
			t.Errorf("the reject form's reason is %q before the rep chooses one; want none", got)
		}
		e.Do("reject too soon",
			chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#reason-%d", id)), "no_response"),
			chromedp.Click(chromedp.CSS(row+` button[value="rejected"]`)),
			chromedp.WaitVisible(chromedp.CSS(row+" .error")))
		if got := e.Text(row + " .error"); !strings.Contains(got, "more") {
			t.Errorf("rejecting with one touch: the row says %q; want how many touches are missing", got)
		}
		if p := e.Path(); p != "/queue" {
			t.Errorf("after the refused reject the tab is at %s; want /queue", p)
		}
		e.Screenshot("queue-reject-refused")

		e.Open(fmt.Sprintf("/leads/%d", id))
		if got := e.Text("h1"); !strings.Contains(got, "Lena <b>Bold</b>") {
			t.Errorf("the lead page's heading = %q", got)
		}
		if got := e.Text(".timeline"); !strings.Contains(got, "Touch logged") {
			t.Errorf("the timeline = %q; want the touch in it", got)
		}
		e.Do("the row of forms loads", chromedp.WaitVisible(chromedp.CSS(row+" .actions")))
		e.Screenshot("lead")

		// Disqualify from the lead page: the reason is required, and shows
		// as text in the timeline.
		const why = "a <i>competitor</i>"
		e.Do("disqualify",
			chromedp.Click(chromedp.CSS(row+" details summary")),
			chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#dq-reason-%d", id)), why),
			chromedp.Click(chromedp.CSS(row+` button[value="disqualified"]`)),
			chromedp.WaitVisible(chromedp.CSS(row+" .notice")))
		if got := e.Text(row + " .notice"); !strings.Contains(got, "Lead disqualified") {
			t.Errorf("after disqualifying the row says %q", got)
		}
		e.Screenshot("lead-disqualified")
		e.Open(fmt.Sprintf("/leads/%d", id))
		if got := e.Text(".timeline"); !strings.Contains(got, "Why: disqualified: "+why) {
			t.Errorf("the timeline = %q; want the reason %q as text", got, why)
		}
		e.Viewport(390, 844)
		e.Open("/queue")
		e.Screenshot("queue-phone")
	})
}
