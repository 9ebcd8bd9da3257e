package sqldb_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

var newYork, _ = time.LoadLocation("America/New_York")

// ny is a wall-clock time in the default agreement's time zone.
func ny(day, hour, min int) time.Time {
	return time.Date(2026, time.November, day, hour, min, 0, 0, newYork).UTC()
}

// slaWorld is a signed default agreement with a sales team: sam (head),
// manu (manager, under sam), rex and ria (reps, under manu).
type slaWorld struct {
	db                  *sqldb.DB
	clk                 *clock.Fake
	sam, manu, rex, ria tandem.User
}

func newSLAWorld(t *testing.T, b sqldbtest.Backend) *slaWorld {
	t.Helper()
	return newSLAWorldAt(t, b, ny(23, 9, 0)) // Monday
}

// newSLAWorldAt builds the world with the agreement signed at the instant.
func newSLAWorldAt(t *testing.T, b sqldbtest.Backend, at time.Time) *slaWorld {
	t.Helper()
	// Escalations go out by email and chat besides the inbox.
	db, clk := openChannels(t, b, notify.Channels())
	clk.Set(at)
	c := tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex, tandemtest.Ria)
	c.Sign(t, db, string(agreement.Default()))
	return &slaWorld{db: db, clk: clk, sam: c.Sam, manu: c.Manu, rex: c.Rex, ria: c.Ria}
}

func tokenOf(u tandem.User) tandem.Token { return tandemtest.Token(u) }

// mql takes in a lead that meets the default mql rule and returns it.
func (w *slaWorld) mql(t *testing.T, ext string) tandem.Lead {
	t.Helper()
	ctx := context.Background()
	rs, err := w.db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", ext, "email", ext+"@example.com", "score", "70", "company", "Co "+ext)}, sqldb.IntakeOptions{})
	if err != nil || rs[0].Err != nil {
		t.Fatal(err, rs)
	}
	l, err := w.db.Lead(ctx, rs[0].ID)
	if err != nil {
		t.Fatalf("Lead: %v", err)
	}
	if l.Stage != "mql" {
		t.Fatalf("lead %s is %s; want mql", ext, l.Stage)
	}
	return l
}

func (w *slaWorld) fire(t *testing.T) int {
	t.Helper()
	n, err := w.db.FireDue(context.Background(), "test", 10000, w.db.FireSLA())
	if err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	return n
}

func TestHandoffRoutesAndRunsTheCadence(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		a, c := w.mql(t, "a"), w.mql(t, "b")
		if a.OwnerID != w.rex.ID || c.OwnerID != w.ria.ID {
			t.Fatalf("round robin gave owners %d, %d; want rex %d then ria %d", a.OwnerID, c.OwnerID, w.rex.ID, w.ria.ID)
		}
		q, err := w.db.Queue(ctx, []int64{w.rex.ID}, 0)
		if err != nil {
			t.Fatalf("Queue: %v", err)
		}
		if len(q) != 1 || q[0].LeadID != a.ID || q[0].Step != 1 || q[0].Channel != "call" || q[0].Template != "first-call" ||
			!q[0].StartsAt.Equal(ny(23, 10, 0)) || !q[0].DueAt.Equal(ny(23, 10, 10)) {
			t.Fatalf("rex's queue = %+v; want the first call, due 10:10", q)
		}

		// A call that leaves a voicemail does steps 1 and 2; the email is next.
		w.clk.Set(ny(23, 10, 7))
		res, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "call", Outcome: "voicemail"}, tokenOf(w.rex))
		if err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		if len(res.Done) != 2 || res.Next == nil || res.Next.Step != 3 || res.Next.Channel != "email" || res.Handoff.Touches != 1 ||
			!res.Handoff.FirstTouchAt.Equal(ny(23, 10, 7)) {
			t.Fatalf("touch result = %+v; want steps 1-2 done and the email next", res)
		}
		// A touch with a bad outcome changes nothing.
		if _, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "call", Outcome: "maybe"}, tokenOf(w.rex)); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("bad outcome: %v; want invalid", err)
		}
		// Ria may not touch rex's lead; their manager may.
		if _, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "email", Outcome: "sent"}, tokenOf(w.ria)); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("ria touching rex's lead: %v; want forbidden", err)
		}
		// Recycling before six touches is refused.
		if _, err := w.db.Decide(ctx, a.ID, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_budget"}, tokenOf(w.rex)); tandem.ErrorCode(err) != tandem.ECONFLICT ||
			!strings.Contains(tandem.ErrorMessage(err), "log 5 more") {
			t.Errorf("early reject: %v; want conflict asking for 5 more touches", err)
		}
		// Contact switches to the connected cadence.
		res, err = w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "call", Outcome: "connected"}, tokenOf(w.manu))
		if err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		if res.Handoff.Cadence != tandem.CadenceConnected || res.Next == nil || res.Next.Template != "meeting-booking" || len(res.Skipped) != 1 {
			t.Fatalf("after contact: %+v; want the connected cadence's meeting-booking email next and the open email step passed over", res)
		}
		if _, err := w.db.Decide(ctx, a.ID, sqldb.Decision{Decision: tandem.DecisionAccepted}, tokenOf(w.rex)); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		if l, _ := w.db.Lead(ctx, a.ID); l.Stage != "sal" {
			t.Errorf("accepted lead is %s; want sal", l.Stage)
		}

		// Ria's lead is left alone: at 10:10 its first-touch and first-step
		// clocks breach; ria hears at once, manu at 10:40, sam at 12:10.
		w.clk.Set(ny(23, 10, 11))
		w.fire(t)
		events, _ := w.db.LeadEvents(ctx, c.ID)
		breaches := 0
		for _, e := range events {
			if e.Type == tandem.EventBreached {
				breaches++
			}
		}
		if breaches != 2 {
			t.Errorf("lead b has %d breach events; want 2 (first touch, step 1)", breaches)
		}
		// A lead routed to a rep tells them in the inbox (handoff.assigned,
		// "Lead N is yours"); the clocks' notices are counted apart.
		assigned := func(n sqldb.Notification) bool { return strings.HasSuffix(n.Subject, " is yours") }
		inbox := func(u tandem.User) int {
			ns, err := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: u.ID, Channel: "inbox"})
			if err != nil {
				t.Fatalf("Notifications: %v", err)
			}
			n := 0
			for _, x := range ns {
				if !assigned(x) {
					n++
				}
			}
			return n
		}
		for _, u := range []tandem.User{w.rex, w.ria} {
			ns, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: u.ID, Channel: "inbox"})
			if got := len(slices.DeleteFunc(ns, func(n sqldb.Notification) bool { return !assigned(n) })); got != 1 {
				t.Errorf("%s has %d assignment notices; want 1 (one lead routed to each)", u.Email, got)
			}
		}
		if inbox(w.ria) != 2 || inbox(w.manu) != 0 {
			t.Errorf("after the breach: ria %d, manu %d notifications; want 2, 0", inbox(w.ria), inbox(w.manu))
		}
		w.clk.Set(ny(23, 10, 41))
		w.fire(t)
		if inbox(w.manu) != 2 || inbox(w.sam) != 0 {
			t.Errorf("30 minutes on: manu %d, sam %d; want 2, 0", inbox(w.manu), inbox(w.sam))
		}
		// Ria calls now: the first touch and step 1 are met late, so the
		// head, told at 12:10, hears of neither.
		if _, err := w.db.LogTouch(ctx, c.ID, tandem.Touch{Channel: "call", Outcome: "no_answer"}, tokenOf(w.ria)); err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		w.clk.Set(ny(23, 12, 11))
		w.fire(t)
		sams, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: w.sam.ID, LeadID: c.ID})
		for _, n := range sams {
			if strings.Contains(n.Subject, "first touch") || strings.Contains(n.Subject, "step 1 ") {
				t.Errorf("sam was told of a clock met before 12:10: %s", n.Subject)
			}
		}
		tasks, _ := w.db.LeadTasks(ctx, c.ID)
		if len(tasks) < 2 || tasks[0].State != tandem.TaskDone || !tasks[0].Breached || !tasks[0].DoneAt.Equal(ny(23, 10, 41)) {
			t.Errorf("lead b's tasks = %+v; want step 1 done late (breached)", tasks)
		}
		// Every inbox row has its email; chat gets one message per step.
		all, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{Channel: "inbox", Limit: 1000})
		all = slices.DeleteFunc(all, assigned) // the assignment notices go to the inbox only
		mails, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{Channel: "email", Limit: 1000})
		chats, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{Channel: "chat", Limit: 1000})
		if len(all) == 0 || len(mails) != len(all) || len(chats) != len(all) {
			t.Errorf("inbox %d, email %d, chat %d; want equal and not zero (one person per step here)", len(all), len(mails), len(chats))
		}
		for _, m := range mails {
			if m.State != "pending" || m.Address == "" {
				t.Errorf("email notification %+v; want pending with an address", m)
			}
		}
	})
}

func TestHandoffClocksCountBusinessHours(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		// Friday 27 November 2026 16:55: a 10-minute clock falls due
		// Monday 09:05 (the 26th is Thanksgiving, the 28th-29th a weekend).
		w.clk.Set(ny(27, 16, 55))
		l := w.mql(t, "fri")
		hs, err := w.db.Handoffs(ctx, l.ID)
		if err != nil || len(hs) != 1 {
			t.Fatal(err, hs)
		}
		if want := ny(30, 9, 5); !hs[0].FirstTouchDue.Equal(want) {
			t.Errorf("first touch due %s; want %s", hs[0].FirstTouchDue, want)
		}
		if want := ny(30, 12, 55); !hs[0].AcceptDue.Equal(want) {
			t.Errorf("accept due %s; want %s", hs[0].AcceptDue, want)
		}
		w.clk.Set(ny(30, 9, 4))
		if n := w.fire(t); n != 0 {
			t.Errorf("%d timers fired before Monday 09:05; want 0", n)
		}
	})
}

func TestRoutingSkipsAbsentAndFullReps(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		if _, err := w.db.UpdateUser(ctx, w.rex.Email, tandem.UserUpdate{Absent: ptr(true)}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		for _, ext := range []string{"x1", "x2"} {
			if l := w.mql(t, ext); l.OwnerID != w.ria.ID {
				t.Errorf("with rex absent, lead %s went to %d; want ria", ext, l.OwnerID)
			}
		}
		if _, err := w.db.UpdateUser(ctx, w.rex.Email, tandem.UserUpdate{Absent: ptr(false)}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		// Back, rex takes turns again without a catch-up burst.
		var owners []int64
		for _, ext := range []string{"y1", "y2", "y3", "y4"} {
			owners = append(owners, w.mql(t, ext).OwnerID)
		}
		rexN := 0
		for _, o := range owners {
			if o == w.rex.ID {
				rexN++
			}
		}
		if rexN != 2 {
			t.Errorf("owners after rex came back: %v; want two each", owners)
		}
		// Nobody present: the hand-off waits, and is routed once a rep is back.
		for _, u := range []tandem.User{w.rex, w.ria} {
			if _, err := w.db.UpdateUser(ctx, u.Email, tandem.UserUpdate{Absent: ptr(true)}); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
		}
		l := w.mql(t, "z")
		if l.OwnerID != 0 {
			t.Fatalf("with every rep absent the lead went to %d", l.OwnerID)
		}
		if _, err := w.db.UpdateUser(ctx, w.ria.Email, tandem.UserUpdate{Absent: ptr(false)}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		w.clk.Advance(2 * time.Minute)
		w.fire(t)
		l, _ = w.db.Lead(ctx, l.ID)
		hs, _ := w.db.Handoffs(ctx, l.ID)
		if l.OwnerID != w.ria.ID || len(hs) != 1 || hs[0].RoutedAt.IsZero() || !hs[0].RoutedAt.After(hs[0].StartedAt) {
			t.Errorf("after ria came back: owner %d, hand-off %+v; want routed to ria with a routing delay", l.OwnerID, hs)
		}
		if q, _ := w.db.Queue(ctx, []int64{w.ria.ID}, 0); len(q) == 0 || q[len(q)-1].LeadID != l.ID && q[0].LeadID != l.ID {
			t.Errorf("ria's queue %+v lacks lead %d", q, l.ID)
		}
	})
}

func TestHandoffKeepsFirstDecisionAndEarliestTouch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 9, 0))
		l := w.mql(t, "d")
		rep := w.rex
		if l.OwnerID == w.ria.ID {
			rep = w.ria
		}
		w.clk.Set(ny(23, 9, 30))
		if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: "email", Outcome: "sent"}, tokenOf(rep)); err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		// Logged after, but made before: the first touch was at 09:05.
		if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: "call", Outcome: "no_answer", At: ny(23, 9, 5)}, tokenOf(rep)); err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
		if _, err := w.db.Decide(ctx, l.ID, sqldb.Decision{Decision: tandem.DecisionAccepted}, tokenOf(rep)); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		for range 4 {
			if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: "email", Outcome: "sent"}, tokenOf(rep)); err != nil {
				t.Fatalf("LogTouch: %v", err)
			}
		}
		w.clk.Set(ny(24, 10, 0))
		if _, err := w.db.Decide(ctx, l.ID, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_budget"}, tokenOf(rep)); err != nil {
			t.Fatalf("Decide: %v", err)
		}
		hs, err := w.db.Handoffs(ctx, l.ID)
		if err != nil || len(hs) != 1 {
			t.Fatal(err, hs)
		}
		h := hs[0]
		if h.Decision != tandem.DecisionAccepted || !h.DecidedAt.Equal(ny(23, 9, 30)) || h.RejectReason != "no_budget" || h.Open() {
			t.Errorf("hand-off = %+v; want accepted at 09:30 (the first decision), recycled later with no_budget, ended", h)
		}
		if !h.FirstTouchAt.Equal(ny(23, 9, 5)) {
			t.Errorf("first touch at %s; want 09:05, the earliest touch", h.FirstTouchAt)
		}
	})
}

// TestCadenceRunsWeeksAcrossDaylightSaving works one lead's whole cadence
// over two fake weeks that cross the end of daylight saving time (New York,
// 1 November 2026) and a weekend: every step starts at the same wall-clock
// time of its business day, each clock fires at its due time and not
// before, and the lead is recycled once it has had its six touches.
func TestCadenceRunsWeeksAcrossDaylightSaving(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		start := time.Date(2026, time.October, 30, 15, 0, 0, 0, newYork).UTC() // Friday, EDT
		w := newSLAWorldAt(t, b, start.Add(-time.Hour))
		w.clk.Set(start)
		l := w.mql(t, "dst")
		rep := w.rex
		if l.OwnerID == w.ria.ID {
			rep = w.ria
		}
		local := func(tm time.Time) string { return tm.In(newYork).Format("Mon 2 Jan 15:04 MST") }
		wantStarts := []string{ // the default cadence's offsets from the hand-off
			"Fri 30 Oct 15:00 EDT", "Fri 30 Oct 15:00 EDT", "Fri 30 Oct 15:00 EDT",
			"Mon 2 Nov 15:00 EST", "Mon 2 Nov 15:00 EST", // 1d: the next business day, the same wall time
			"Tue 3 Nov 15:00 EST", // 2d (Election Day is no federal holiday)
			"Wed 4 Nov 15:00 EST", // 3d
			"Fri 6 Nov 15:00 EST", // 5d
		}
		for i, want := range wantStarts {
			q, err := w.db.Queue(ctx, []int64{rep.ID}, 0)
			if err != nil || len(q) != 1 {
				t.Fatalf("step %d: queue = %+v, %v; want one task", i+1, q, err)
			}
			task := q[0].Task
			if task.Step != i+1 || local(task.StartsAt) != want || !task.DueAt.Equal(task.StartsAt.Add(10*time.Minute)) {
				t.Fatalf("step %d: task %+v starts %s; want step %d starting %s, due 10 minutes later", i+1, task, local(task.StartsAt), i+1, want)
			}
			// Nothing fires a minute before the due time; the step's clock
			// fires at it. Steps with the same start share their due time.
			w.clk.Set(task.DueAt.Add(-time.Minute))
			w.fire(t)
			if tasks, _ := w.db.LeadTasks(ctx, l.ID); tasks[len(tasks)-1].Breached {
				t.Fatalf("step %d breached before its due time", i+1)
			}
			w.clk.Set(task.DueAt.Add(time.Second))
			w.fire(t)
			if tasks, _ := w.db.LeadTasks(ctx, l.ID); !tasks[len(tasks)-1].Breached {
				t.Fatalf("step %d not breached one second after its due time", i+1)
			}
			// Done late, a minute after the due time.
			w.clk.Set(task.DueAt.Add(time.Minute))
			if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: task.Channel, Outcome: map[string]string{
				"call": "no_answer", "voicemail": "left", "email": "sent"}[task.Channel]}, tokenOf(rep)); err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
		}
		if q, _ := w.db.Queue(ctx, []int64{rep.ID}, 0); len(q) != 0 {
			t.Errorf("after the last step the queue holds %+v", q)
		}
		tasks, _ := w.db.LeadTasks(ctx, l.ID)
		for _, tk := range tasks {
			if tk.State != tandem.TaskDone || !tk.DoneAt.After(tk.DueAt) {
				t.Errorf("task %+v; want done late", tk)
			}
		}
		if _, err := w.db.Decide(ctx, l.ID, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_response"}, tokenOf(rep)); err != nil {
			t.Fatalf("recycle after the whole cadence: %v", err)
		}
		if l, _ := w.db.Lead(ctx, l.ID); l.Stage != "recycled" {
			t.Errorf("lead is %s; want recycled", l.Stage)
		}
	})
}
