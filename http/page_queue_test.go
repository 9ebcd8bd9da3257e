package http

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// signIn gives the staff member the test password and returns a client
// signed in as them.
func (ws *workServer) signIn(email string) *webClient {
	ws.t.Helper()
	if _, err := ws.db.SetPassword(context.Background(), email, cheapHash()); err != nil {
		ws.t.Fatal(err)
	}
	wc := newWebClient(ws.t, ws.s.URL())
	want(ws.t, "sign in as "+email, wc.login(email, testPassword), 303, "/")
	return wc
}

// repLeads posts leads until rep owns n, a minute apart, and returns them
// in the order posted.
func (ws *workServer) repLeads(rep string, n int) []tandem.Lead {
	ws.t.Helper()
	var out []tandem.Lead
	for i := 0; len(out) < n; i++ {
		l, owner := ws.routedLead(fmt.Sprintf("q%d-%s", i, strings.Split(rep, "@")[0]))
		if owner == rep {
			out = append(out, l)
		}
		ws.clk.Advance(time.Minute)
	}
	return out
}

// htmx is the header htmx sends with every request.
var htmx = []string{"HX-Request", "true"}

func TestQueuePage(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		leads := ws.repLeads("rita@example.com", 3)
		rita := ws.signIn("rita@example.com")

		// The queue lists rita's tasks, most urgent first, and nobody else's.
		r := rita.get("/queue")
		want(t, "rita's queue", r, 200, "3 open tasks", "First touch", "Accept", "This step", `data-due="`)
		body := string(r.body)
		last := -1
		for _, l := range leads {
			at := strings.Index(body, fmt.Sprintf(`id="lead-%d"`, l.ID))
			if at < 0 || at < last {
				t.Errorf("rita's queue: lead %d at %d, after %d; want her leads in the order they fall due", l.ID, at, last)
			}
			last = at
		}
		if n := strings.Count(body, `data-testid="row"`); n != 3 {
			t.Errorf("rita's queue has %d rows; want 3", n)
		}
		// Times are in the agreement's zone without script.
		if !strings.Contains(body, "America/New_York") || !strings.Contains(body, "EST") {
			t.Errorf("rita's queue does not show times in New York's zone")
		}

		// Overdue in words, once the first-touch clock has passed.
		ws.clk.Advance(time.Hour)
		want(t, "rita's queue an hour later", rita.get("/queue"), 200, "overdue by")

		// One click logs a touch: the row comes back with the clock met, late
		// (an hour after the hand-off, 55 minutes past due): not green.
		l := leads[0]
		path := fmt.Sprintf("/leads/%d/touch", l.ID)
		r = rita.post(path, url.Values{"touch": {"call:no_answer"}, "back": {"/queue"}}, htmx...)
		want(t, "a touch from the queue", r, 200, "Logged a call touch: no answer.", "Step 1 done.", `data-state="late"`, "met late, 55m 0s after the due time", "1 touch<")
		if strings.Contains(string(r.body), "<html") {
			t.Errorf("an htmx post answered a whole page; want the row alone")
		}
		hs := ws.handoffs(l.ID)
		if hs.Handoffs[0].Touches != 1 || hs.Handoffs[0].FirstTouchAt.IsZero() {
			t.Errorf("after the touch the hand-off = %+v; want 1 touch, first touch met", hs.Handoffs[0])
		}
		if hs.Tasks[0].State != tandem.TaskDone {
			t.Errorf("step 1 = %s; want done", hs.Tasks[0].State)
		}
		// The queue now shows the lead's next step.
		want(t, "the queue after the touch", rita.get("/queue"), 200, fmt.Sprintf(`id="lead-%d"`, l.ID), "Step 2 of the main cadence")

		// Without script, the form posts and the browser comes back.
		r = rita.post(path, url.Values{"touch": {"email:sent"}, "back": {"/queue"}})
		want(t, "a touch without script", r, 303, "/queue")

		// Rejecting before the agreement's touches: 409, in words, next to
		// the row, and nothing changes.
		r = rita.post(fmt.Sprintf("/leads/%d/decide", l.ID), url.Values{"decision": {"rejected"}, "reason": {"no_budget"}}, htmx...)
		want(t, "a reject with 2 touches", r, 409, "Not done:", "log 4 more")
		if got, _ := ws.db.Lead(context.Background(), l.ID); got.Stage != "mql" {
			t.Errorf("after a refused reject the lead is in %s; want mql", got.Stage)
		}
		// A bad outcome is refused in words.
		r = rita.post(path, url.Values{"touch": {"call:sent"}}, htmx...)
		want(t, "a bad outcome", r, 422, "not an outcome of a call touch")

		// A step whose start has not come says so.
		want(t, "the queue after two touches", rita.get("/queue"), 200, "it starts", "a touch before then does not complete it")

		// Accepting works from the row.
		r = rita.post(fmt.Sprintf("/leads/%d/decide", leads[1].ID), url.Values{"decision": {"accepted"}}, htmx...)
		want(t, "accept", r, 200, "Lead accepted", "stage sal")
		// A review.
		r = rita.post(fmt.Sprintf("/leads/%d/review", leads[1].ID), url.Values{"rating": {"4"}, "tags": {"good_fit, on_time"}, "text": {"<b>fine</b>"}}, htmx...)
		want(t, "review", r, 200, "Review saved: 4 of 5.")
	})
}

func TestQueuePageOthers(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		ritas := ws.repLeads("rita@example.com", 1)
		robs := ws.repLeads("rob@example.com", 1)
		rita, rob := ws.signIn("rita@example.com"), ws.signIn("rob@example.com")

		// Another rep's lead, by URL: 403 in words, and nothing of it shown.
		lead := fmt.Sprintf("/leads/%d", ritas[0].ID)
		r := rob.get(lead)
		want(t, "rob opens rita's lead", r, 403, "is not yours")
		if strings.Contains(string(r.body), ritas[0].Email) {
			t.Errorf("the 403 page shows the lead's email")
		}
		before := ws.handoffs(ritas[0].ID).Handoffs[0].Touches
		r = rob.post(lead+"/touch", url.Values{"touch": {"call:no_answer"}}, htmx...)
		want(t, "rob touches rita's lead", r, 403, "Not done:", "only its owner")
		if strings.Contains(string(r.body), ritas[0].Email) {
			t.Errorf("the refused row shows the lead's email")
		}
		want(t, "rob touches rita's lead without script", rob.post(lead+"/touch", url.Values{"touch": {"call:no_answer"}}), 403)
		if got := ws.handoffs(ritas[0].ID).Handoffs[0].Touches; got != before {
			t.Errorf("rob's refused touches changed rita's lead: %d touches, want %d", got, before)
		}
		// A post forged by another site is refused before it reaches the
		// lead, even with the owner's session.
		r = rita.post(lead+"/touch", url.Values{"touch": {"call:no_answer"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		want(t, "a forged touch", r, 403, "another web site")
		if got := ws.handoffs(ritas[0].ID).Handoffs[0].Touches; got != before {
			t.Errorf("a forged touch changed rita's lead: %d touches, want %d", got, before)
		}
		want(t, "rob's own lead", rob.get(fmt.Sprintf("/leads/%d", robs[0].ID)), 200, "Timeline", "First touch", "Cadence")
		want(t, "rita asks for rob's queue", rita.get("/queue?rep=rob@example.com"), 403)

		// A manager picks a rep of theirs; not another manager's rep.
		mo := ws.signIn("mo@example.com")
		r = mo.get("/queue?rep=rita@example.com")
		want(t, "mo opens rita's queue", r, 200, "Queue of rita@example.com", fmt.Sprintf(`id="lead-%d"`, ritas[0].ID))
		want(t, "mo's queue lists his reps", mo.get("/queue"), 200, `<option value="rita@example.com"`)
		// A manager's queue opens on their team: rita's task, marked as
		// hers; not rob's, who is nina's. ?rep=me is mo's own, empty.
		r = mo.get("/queue")
		want(t, "mo's queue, opened", r, 200, "Your team&#39;s queue", fmt.Sprintf(`id="lead-%d"`, ritas[0].ID),
			"owner: rita@example.com", `<option value="team" selected>`)
		if strings.Contains(string(r.body), fmt.Sprintf(`id="lead-%d"`, robs[0].ID)) {
			t.Errorf("mo's team queue shows rob's lead; rob is nina's")
		}
		r = mo.get("/queue?rep=me")
		want(t, "mo's own queue", r, 200, "Your queue", "No open tasks", `<option value="me" selected>`)
		// An admin's queue opens on every rep's tasks.
		if err := ws.db.CreateUser(context.Background(), &tandem.User{Email: "ada@example.com", Role: tandem.RoleAdmin}); err != nil {
			t.Fatalf("CreateUser(ada): %v", err)
		}
		ada := ws.signIn("ada@example.com")
		want(t, "the admin's queue", ada.get("/queue"), 200, "Your team&#39;s queue",
			fmt.Sprintf(`id="lead-%d"`, ritas[0].ID), fmt.Sprintf(`id="lead-%d"`, robs[0].ID))
		want(t, "mo opens rob's queue", mo.get("/queue?rep=rob@example.com"), 403)
		want(t, "mo opens rita's lead", mo.get(lead), 200, ritas[0].Email)
		want(t, "mo opens rob's lead", mo.get(fmt.Sprintf("/leads/%d", robs[0].ID)), 403)
		// The head and an admin see any rep's queue.
		want(t, "sam opens rob's queue", ws.signIn("sam@example.com").get("/queue?rep=rob@example.com"), 200, fmt.Sprintf(`id="lead-%d"`, robs[0].ID))
	})
}

func TestLeadPage(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		const evil = `<script>alert("x")</script>`
		var created leadResultJSON
		ws.callAs("mark@example.com", "POST", "/api/v1/leads",
			fmt.Sprintf(`{"external_id": "evil", "email": "evil@example.com", "first_name": %q, "company": "<b>Acme</b>",
				"campaign": "spring", "utm_source": "newsletter", "segment": "smb", "score": 70}`, evil), 201, &created)
		l, err := ws.db.Lead(context.Background(), created.ID)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		owner := ws.byID[l.OwnerID]
		wc := ws.signIn(owner)
		r := wc.get(fmt.Sprintf("/leads/%d", l.ID))
		want(t, "the lead page", r, 200, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;Acme&lt;/b&gt;",
			"spring", "newsletter", "smb", owner, "First touch", "Accept", "Timeline", "Handed off", "No deals yet.", `datetime="`,
			// Fields and events by their labels, stored names at hand.
			`<dt title="utm_source">UTM source</dt>`, `<span title="owner_id">Owner</span>: `+owner, `title="assigned" data-type="assigned">Assigned</strong>`)
		if strings.Contains(string(r.body), "utm_source:") || strings.Contains(string(r.body), ">owner_id") {
			t.Errorf("the lead page prints a stored field name as its label")
		}
		if strings.Contains(string(r.body), evil) {
			t.Errorf("the lead page carries the lead's script as markup")
		}
		// The timeline names people and integrations in words: no stored
		// "user:" or "token:" form shows, only in a title.
		for _, ev := range strings.Split(string(r.body), `data-testid="actor">`)[1:] {
			if words, _, _ := strings.Cut(ev, "<"); strings.HasPrefix(words, "user:") || strings.HasPrefix(words, "token:") || words == "system" {
				t.Errorf("the timeline names an actor %q; want words", words)
			}
		}
		if !strings.Contains(string(r.body), `data-testid="actor">the integration `) && !strings.Contains(string(r.body), `data-testid="actor">Tandem<`) {
			t.Errorf("the timeline names no integration or Tandem; the actors are not worded")
		}
		// Every role outside sales reads it; the row of forms is for sellers.
		want(t, "the executive", ws.signIn("sam@example.com").get(fmt.Sprintf("/leads/%d", l.ID)), 200, "Work this lead")
		want(t, "marketing", ws.signIn("mark@example.com").get(fmt.Sprintf("/leads/%d", l.ID)), 200, "Timeline")
		want(t, "the row of forms", wc.get(fmt.Sprintf("/leads/%d/row", l.ID)), 200, "Log a call", fmt.Sprintf(`hx-get="/leads/%d/forms"`, l.ID))
		forms := fmt.Sprintf("/leads/%d/forms", l.ID)
		r = wc.do("GET", forms, nil, htmx...)
		want(t, "the other forms (htmx)", r, 200, "Reject because", "no_budget: The company cannot afford us now. (after 6 touches)",
			`<option value="duplicate">duplicate: The lead is already being worked by sales.</option>`, "Quality review", "call: no answer",
			// No reason is chosen for the rep: a placeholder, and the
			// select is required.
			fmt.Sprintf(`<select id="reason-%d" name="reason" required>`, l.ID), `<option value="" disabled selected>Choose a reason</option>`)
		_, sel, _ := strings.Cut(string(r.body), fmt.Sprintf(`<select id="reason-%d"`, l.ID))
		sel, _, _ = strings.Cut(sel, "</select>")
		if n := strings.Count(sel, " selected>"); n != 1 {
			t.Errorf("the reject form: %d options selected; want the placeholder alone", n)
		}
		r = wc.get(forms)
		want(t, "the other forms (a page)", r, 200, "<html", "Reject because")
		want(t, "marketing asks for the forms", ws.signIn("mark@example.com").get(forms), 403)
		want(t, "no such lead", wc.get("/leads/999999"), 404)

		// Disqualifying takes a reason; a refusal says why, in words, and
		// changes nothing.
		want(t, "the disqualify form", wc.do("GET", forms, nil, htmx...), 200, "Disqualify because", `name="reason" required`, `value="disqualified"`)
		decide := fmt.Sprintf("/leads/%d/decide", l.ID)
		stage := func() string {
			got, err := ws.db.Lead(context.Background(), l.ID)
			if err != nil {
				t.Fatalf("Lead: %v", err)
			}
			return got.Stage
		}
		want(t, "disqualify without a reason", wc.post(decide, url.Values{"decision": {"disqualified"}, "reason": {"  "}}, htmx...), 422,
			"Not done:", "Reason: say why the lead is disqualified")
		want(t, "disqualify without a reason, without script", wc.post(decide, url.Values{"decision": {"disqualified"}}), 422,
			"Reason: say why the lead is disqualified")
		want(t, "marketing disqualifies", ws.signIn("mark@example.com").post(decide, url.Values{"decision": {"disqualified"}, "reason": {"spam"}}, htmx...), 403)
		otherRep := "rob@example.com"
		if owner == otherRep {
			otherRep = "rita@example.com"
		}
		other := ws.signIn(otherRep)
		want(t, "another rep disqualifies", other.post(decide, url.Values{"decision": {"disqualified"}, "reason": {"spam"}}, htmx...), 403, "Not done:", "only its owner")
		if got := stage(); got != "mql" {
			t.Fatalf("after refused disqualifies the lead is in %s; want mql", got)
		}
		r = wc.post(decide, url.Values{"decision": {"disqualified"}, "reason": {evil}}, htmx...)
		want(t, "disqualify", r, 200, "Done:", "Lead disqualified", "&lt;script&gt;")
		if got := stage(); got != "disqualified" {
			t.Errorf("after the disqualify the lead is in %s; want disqualified", got)
		}
		r = wc.get(fmt.Sprintf("/leads/%d", l.ID))
		want(t, "the lead page after the disqualify", r, 200, "Decision: <strong>disqualified</strong>",
			"Why: disqualified: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", `title="stage_changed" data-type="stage_changed">Stage changed</strong>`)
		if strings.Contains(string(r.body), evil) {
			t.Errorf("the lead page carries the reason's script as markup")
		}
		want(t, "disqualify again", wc.post(decide, url.Values{"decision": {"disqualified"}, "reason": {"twice"}}, htmx...), 409, "Not done:", "no open hand-off")
	})
}
