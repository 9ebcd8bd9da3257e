package http

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// newYork is the time zone of the default agreement's business hours.
var newYork = mustLoad("America/New_York")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// workStart is when the SLA tests sign the agreement and post their leads:
// Monday 2 November 2026, 10:00 in New York, inside the default
// agreement's business hours (09:00 to 17:00), so that clocks run at once.
var workStart = time.Date(2026, 11, 2, 10, 0, 0, 0, newYork)

// nyTime is a wall time in New York in November 2026, as UTC.
func nyTime(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, newYork).UTC()
}

// The people of the SLA tests: two teams of one rep each under their own
// manager, both managers under the sales head.
var staff = []struct {
	email   string
	role    tandem.Role
	manager string // email, "" for none
}{
	{"mia@example.com", tandem.RoleMarketingHead, ""},
	{"mark@example.com", tandem.RoleMarketing, "mia@example.com"},
	{"sam@example.com", tandem.RoleSalesHead, ""},
	{"mo@example.com", tandem.RoleSalesManager, "sam@example.com"},
	{"nina@example.com", tandem.RoleSalesManager, "sam@example.com"},
	{"rita@example.com", tandem.RoleSalesRep, "mo@example.com"},
	{"rob@example.com", tandem.RoleSalesRep, "nina@example.com"},
}

// workServer is a test server with the staff above, a token per person,
// and the default agreement in force from workStart.
type workServer struct {
	*testServer
	users  map[string]tandem.User // by email
	byID   map[int64]string       // email by id
	secret map[string]string      // user token by email
}

func newWorkServer(t *testing.T, b sqldbtest.Backend) *workServer {
	t.Helper()
	ts := newTestServer(t, b)
	ts.clk.Set(workStart)
	ws := &workServer{testServer: ts, users: map[string]tandem.User{}, byID: map[int64]string{}, secret: map[string]string{}}
	ctx := context.Background()
	// Signing needs every role the agreement names to be held before the
	// second signature: the staff come first.
	for _, s := range staff {
		u := tandem.User{Email: s.email, Role: s.role}
		if s.manager != "" {
			u.ManagerID = ws.users[s.manager].ID
		}
		if err := ts.db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser(%s): %v", s.email, err)
		}
		ws.users[u.Email], ws.byID[u.ID] = u, u.Email
		_, secret, err := ts.db.CreateUserToken(ctx, strings.Split(s.email, "@")[0], s.email)
		if err != nil {
			t.Fatalf("CreateUserToken(%s): %v", s.email, err)
		}
		ws.secret[u.Email] = secret
	}
	tandemtest.Sign(t, ts.db, string(agreement.Default()), "mia@example.com", "sam@example.com")
	return ws
}

// as sends a request with the user's token.
func (ws *workServer) as(email, method, path, body string) response {
	ws.t.Helper()
	secret, ok := ws.secret[email]
	if !ok {
		ws.t.Fatalf("no user %s in the test's staff", email)
	}
	return ws.doSecret(method, path, secret, strings.NewReader(body))
}

// callAs is [testServer.call] with a user's token.
func (ws *workServer) callAs(email, method, path, body string, want int, out any) response {
	ws.t.Helper()
	r := ws.as(email, method, path, body)
	if r.status != want {
		ws.t.Fatalf("%s %s as %s = %v; want status %d", method, path, email, r, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			ws.t.Fatalf("%s %s as %s: the response is not the JSON of %T: %v\n%s", method, path, email, out, err, r.body)
		}
	}
	return r
}

// postLead posts a lead as marketing and returns it as GET shows it.
func (ws *workServer) postLead(body string) tandem.Lead {
	ws.t.Helper()
	var created leadResultJSON
	ws.callAs("mark@example.com", "POST", "/api/v1/leads", body, 201, &created)
	var l tandem.Lead
	ws.call("GET", fmt.Sprintf("/api/v1/leads/%d", created.ID), tandem.RoleExecutive, "", 200, &l)
	return l
}

// coldLead posts a lead that stays in stage lead (its score is under the
// mql rule's 60), for a hand-off by hand.
func (ws *workServer) coldLead(externalID string) tandem.Lead {
	ws.t.Helper()
	l := ws.postLead(fmt.Sprintf(`{"external_id": %q, "email": "%s@example.com", "score": 20}`, externalID, externalID))
	if l.Stage != "lead" || l.OwnerID != 0 {
		ws.t.Fatalf("lead %s with score 20 = stage %q, owner %d; want stage lead, no owner", externalID, l.Stage, l.OwnerID)
	}
	return l
}

// routedLead posts a lead that the mql rule hands to sales and returns it
// with the email of the rep it was routed to.
func (ws *workServer) routedLead(externalID string) (tandem.Lead, string) {
	ws.t.Helper()
	l := ws.postLead(fmt.Sprintf(`{"external_id": %q, "email": "%s@example.com", "first_name": "Lena", "company": "Acme", "score": 70}`, externalID, externalID))
	owner, ok := ws.byID[l.OwnerID]
	if l.Stage != "mql" || !ok || ws.users[owner].Role != tandem.RoleSalesRep {
		ws.t.Fatalf("lead %s with score 70 = stage %q, owner %d; want stage mql, routed to a sales rep", externalID, l.Stage, l.OwnerID)
	}
	return l, owner
}

// otherRep returns the rep who is not rep.
func otherRep(rep string) string {
	if rep == "rita@example.com" {
		return "rob@example.com"
	}
	return "rita@example.com"
}

// managerOf returns the email of the user's manager.
func (ws *workServer) managerOf(email string) string {
	return ws.byID[ws.users[email].ManagerID]
}

// handoffsJSON is the answer of GET /api/v1/leads/{id}/handoffs.
type handoffsJSON struct {
	Handoffs []tandem.Handoff `json:"handoffs"`
	Tasks    []tandem.Task    `json:"tasks"`
}

func (ws *workServer) handoffs(leadID int64) handoffsJSON {
	ws.t.Helper()
	var got handoffsJSON
	ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/handoffs", leadID), tandem.RoleExecutive, "", 200, &got)
	return got
}

// touchResultJSON is the answer of POST /api/v1/leads/{id}/touches.
type touchResultJSON struct {
	Lead    tandem.Lead    `json:"lead"`
	Handoff tandem.Handoff `json:"handoff"`
	Done    []tandem.Task  `json:"done"`
	Skipped []tandem.Task  `json:"skipped"`
	Next    *tandem.Task   `json:"next"`
}

// queueItemJSON is one task of GET /api/v1/tasks.
type queueItemJSON struct {
	tandem.Task
	Lead struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		Company   string `json:"company"`
		Email     string `json:"email"`
		Stage     string `json:"stage"`
	} `json:"lead"`
	Hot  bool   `json:"hot"`
	Note string `json:"note"`
}

type tasksJSON struct {
	Tasks []queueItemJSON `json:"tasks"`
}

// step is the part of a task a test can predict.
type step struct {
	Cadence  string
	Step     int
	Channel  string
	Template string
	StartsAt time.Time
	DueAt    time.Time
	State    string
}

func stepOf(t tandem.Task) step {
	return step{t.Cadence, t.Step, t.Channel, t.Template, t.StartsAt, t.DueAt, t.State}
}

func TestWorkRoutingAndCadence(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("c1")

		// The owner's queue holds the first step of the cadence: a call,
		// due with the first-touch clock, ten business minutes on.
		var q tasksJSON
		ws.callAs(rep, "GET", "/api/v1/tasks", "", 200, &q)
		if len(q.Tasks) != 1 {
			t.Fatalf("GET /api/v1/tasks as %s = %+v; want one task", rep, q)
		}
		first := q.Tasks[0]
		want := step{"main", 1, "call", "first-call", nyTime(2, 10, 0), nyTime(2, 10, 10), "open"}
		if diff := cmp.Diff(want, stepOf(first.Task)); diff != "" {
			t.Errorf("the first task (-want +got):\n%s", diff)
		}
		if first.LeadID != l.ID || first.OwnerID != l.OwnerID || first.Lead.ID != l.ID || first.Lead.Email != "c1@example.com" ||
			first.Lead.Company != "Acme" || first.Lead.Stage != "mql" || first.Hot {
			t.Errorf("the first task = %+v; want lead %d (c1@example.com, Acme, mql) owned by %d, not hot", first, l.ID, l.OwnerID)
		}
		// The other rep has nothing to do.
		var other tasksJSON
		ws.callAs(otherRep(rep), "GET", "/api/v1/tasks", "", 200, &other)
		if len(other.Tasks) != 0 {
			t.Errorf("GET /api/v1/tasks as %s = %+v; want no tasks", otherRep(rep), other)
		}

		hs := ws.handoffs(l.ID)
		if len(hs.Handoffs) != 1 {
			t.Fatalf("GET .../handoffs = %+v; want one hand-off", hs)
		}
		h := hs.Handoffs[0]
		if h.OwnerID != l.OwnerID || h.Hot || h.Cadence != "main" || h.Touches != 0 || !h.StartedAt.Equal(workStart) ||
			!h.RoutedAt.Equal(workStart) || !h.FirstTouchDue.Equal(nyTime(2, 10, 10)) || !h.AcceptDue.Equal(nyTime(2, 14, 0)) {
			t.Errorf("the hand-off = %+v; want owner %d, main cadence, started and routed at %v, first touch due 10:10, accept due 14:00 New York",
				h, l.OwnerID, workStart)
		}

		// Each touch completes the step it matches and writes the next.
		path := fmt.Sprintf("/api/v1/leads/%d/touches", l.ID)
		for i, tc := range []struct {
			after       time.Duration
			body        string
			wantDone    []int
			wantNext    *step
			wantCadence string
		}{
			{time.Minute, `{"channel": "call", "outcome": "no_answer"}`, []int{1},
				&step{"main", 2, "voicemail", "first-voicemail", nyTime(2, 10, 0), nyTime(2, 10, 10), "open"}, "main"},
			{time.Minute, `{"channel": "call", "outcome": "voicemail", "note": "left a message"}`, []int{2},
				&step{"main", 3, "email", "first-follow-up", nyTime(2, 10, 0), nyTime(2, 10, 10), "open"}, "main"},
			{time.Minute, `{"channel": "email", "outcome": "sent"}`, []int{3},
				&step{"main", 4, "call", "day-1-call", nyTime(3, 10, 0), nyTime(3, 10, 10), "open"}, "main"},
			// A call before the day-1 call starts is an extra touch: it
			// completes nothing.
			{time.Minute, `{"channel": "call", "outcome": "no_answer"}`, nil, nil, "main"},
		} {
			ws.clk.Advance(tc.after)
			var res touchResultJSON
			ws.callAs(rep, "POST", path, tc.body, 201, &res)
			var done []int
			for _, d := range res.Done {
				done = append(done, d.Step)
				if d.State != "done" || !d.DoneAt.Equal(ws.clk.Now()) {
					t.Errorf("touch %d: done step %+v; want state done at %v", i, d, ws.clk.Now())
				}
			}
			if !slices.Equal(done, tc.wantDone) {
				t.Errorf("touch %d (%s): done steps %v; want %v", i, tc.body, done, tc.wantDone)
			}
			if len(res.Skipped) != 0 {
				t.Errorf("touch %d: skipped %+v; want none", i, res.Skipped)
			}
			switch {
			case tc.wantNext == nil && res.Next != nil:
				t.Errorf("touch %d: next = %+v; want none", i, res.Next)
			case tc.wantNext != nil && res.Next == nil:
				t.Errorf("touch %d: no next step; want %+v", i, *tc.wantNext)
			case tc.wantNext != nil:
				if diff := cmp.Diff(*tc.wantNext, stepOf(*res.Next)); diff != "" {
					t.Errorf("touch %d: next (-want +got):\n%s", i, diff)
				}
			}
			if res.Handoff.Touches != i+1 || res.Handoff.Cadence != tc.wantCadence || res.Lead.ID != l.ID {
				t.Errorf("touch %d: hand-off = %+v, lead %d; want %d touches, cadence %s, lead %d", i, res.Handoff, res.Lead.ID, i+1, tc.wantCadence, l.ID)
			}
			if !res.Handoff.FirstTouchAt.Equal(workStart.Add(time.Minute)) {
				t.Errorf("touch %d: first_touch_at = %v; want the first touch's time, %v", i, res.Handoff.FirstTouchAt, workStart.Add(time.Minute))
			}
		}

		// The queue now shows the day-1 call; the record shows every step.
		ws.callAs(rep, "GET", "/api/v1/tasks", "", 200, &q)
		if len(q.Tasks) != 1 || q.Tasks[0].Template != "day-1-call" {
			t.Errorf("GET /api/v1/tasks after the touches = %+v; want the day-1 call", q)
		}
		hs = ws.handoffs(l.ID)
		var templates []string
		for _, tk := range hs.Tasks {
			templates = append(templates, tk.Template+":"+tk.State)
		}
		if diff := cmp.Diff([]string{"first-call:done", "first-voicemail:done", "first-follow-up:done", "day-1-call:open"}, templates); diff != "" {
			t.Errorf("GET .../handoffs tasks (-want +got):\n%s", diff)
		}

		// Contact switches to the connected cadence, from the touch.
		ws.clk.Set(nyTime(3, 10, 5))
		var res touchResultJSON
		ws.callAs(rep, "POST", path, `{"channel": "call", "outcome": "connected"}`, 201, &res)
		if res.Handoff.Cadence != "connected" || !res.Handoff.CadenceFrom.Equal(nyTime(3, 10, 5)) || res.Next == nil ||
			res.Next.Cadence != "connected" || res.Next.Template != "meeting-booking" {
			t.Errorf("a connected call: hand-off %+v, next %+v; want the connected cadence from 10:05 and its meeting-booking email next", res.Handoff, res.Next)
		}
	})
}

// nonUTCTimes returns the JSON paths of the times in v written with an
// offset other than Z.
func nonUTCTimes(path string, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			out = append(out, nonUTCTimes(path+"."+k, x)...)
		}
	case []any:
		for i, x := range v {
			out = append(out, nonUTCTimes(fmt.Sprintf("%s[%d]", path, i), x)...)
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, v); err == nil && !strings.HasSuffix(v, "Z") {
			out = append(out, path+" = "+v)
		}
	}
	return out
}

// TestWorkTimesInUTC checks that the routes that compute due times answer
// them in UTC, like every other answer of the API, so that the same task
// or clock reads the same there and in GET .../handoffs.
func TestWorkTimesInUTC(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		touched, rep := ws.routedLead("utc1")
		madeHot, _ := ws.routedLead("utc2")
		ws.clk.Advance(time.Minute)
		for _, tc := range []struct {
			what string
			r    response
		}{
			{"POST .../touches", ws.callAs(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", touched.ID), `{"channel": "call", "outcome": "voicemail"}`, 201, nil)},
			{"POST /api/v1/handoffs on a routed lead", ws.callAs("mark@example.com", "POST", "/api/v1/handoffs", fmt.Sprintf(`{"lead_id": %d, "note": "asked for a demo"}`, madeHot.ID), 201, nil)},
		} {
			var v any
			if err := json.Unmarshal(tc.r.body, &v); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if bad := nonUTCTimes("$", v); len(bad) > 0 {
				slices.Sort(bad)
				t.Errorf("%s answered times that are not in UTC (computed due times keep the agreement's time zone):\n%s", tc.what, strings.Join(bad, "\n"))
			}
		}
	})
}

func TestWorkTouchErrors(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("e1")
		path := fmt.Sprintf("/api/v1/leads/%d/touches", l.ID)
		before := ws.handoffs(l.ID)

		for _, tc := range []struct {
			name       string
			body       string
			wantStatus int
			wantCode   string
			wantFields []string
		}{
			{"unknown channel", `{"channel": "fax", "outcome": "sent"}`, 422, tandem.EINVALID, []string{"channel"}},
			{"no channel", `{"outcome": "sent"}`, 422, tandem.EINVALID, []string{"channel"}},
			{"unknown outcome", `{"channel": "call", "outcome": "sent"}`, 422, tandem.EINVALID, []string{"outcome"}},
			{"no outcome", `{"channel": "email"}`, 422, tandem.EINVALID, []string{"outcome"}},
			{"in the future", `{"channel": "call", "outcome": "no_answer", "at": "2026-11-02T18:00:00Z"}`, 422, tandem.EINVALID, []string{"at"}},
			{"before the hand-off", `{"channel": "call", "outcome": "no_answer", "at": "2026-11-02T14:00:00Z"}`, 422, tandem.EINVALID, []string{"at"}},
			{"unknown key", `{"channel": "call", "outcome": "no_answer", "duration": 30}`, 422, tandem.EINVALID, []string{"duration"}},
			{"empty body", ``, 400, tandem.EMALFORMED, nil},
			{"not JSON", `call, no answer`, 400, tandem.EMALFORMED, nil},
		} {
			e := checkError(t, tc.name+": POST "+path, ws.as(rep, "POST", path, tc.body), tc.wantStatus, tc.wantCode)
			if diff := cmp.Diff(tc.wantFields, fieldNames(e.Error.Fields), cmpEmpty); diff != "" {
				t.Errorf("%s: fields named (-want +got):\n%s", tc.name, diff)
			}
			if tc.wantCode == tandem.EINVALID && len(tc.wantFields) > 0 && !strings.Contains(e.Error.Message, tc.wantFields[0]) {
				t.Errorf("%s: message %q does not name %s", tc.name, e.Error.Message, tc.wantFields[0])
			}
		}
		// Nothing the refused touches sent was recorded.
		if diff := cmp.Diff(before, ws.handoffs(l.ID)); diff != "" {
			t.Errorf("GET .../handoffs after refused touches changed (-before +after):\n%s", diff)
		}
		var got tandem.Lead
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d", l.ID), tandem.RoleExecutive, "", 200, &got)
		if got.Version != l.Version {
			t.Errorf("lead version after refused touches = %d; want %d", got.Version, l.Version)
		}

		// An unknown lead, and a lead sales does not work.
		for _, p := range []string{"/api/v1/leads/99999/touches", "/api/v1/leads/abc/touches"} {
			checkError(t, "POST "+p, ws.as(rep, "POST", p, `{"channel": "call", "outcome": "no_answer"}`), 404, tandem.ENOTFOUND)
		}
		cold := ws.coldLead("e2")
		p := fmt.Sprintf("/api/v1/leads/%d/touches", cold.ID)
		e := checkError(t, "POST "+p+" (stage lead)", ws.as(rep, "POST", p, `{"channel": "call", "outcome": "no_answer"}`), 409, tandem.ECONFLICT)
		if !strings.Contains(e.Error.Message, "stage lead") {
			t.Errorf("touch on a lead in stage lead: message %q; want it to name the stage", e.Error.Message)
		}
		checkError(t, "GET .../handoffs of no lead", ws.do("GET", "/api/v1/leads/99999/handoffs", tandem.RoleExecutive, ""), 404, tandem.ENOTFOUND)
		var none handoffsJSON
		r := ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/handoffs", cold.ID), tandem.RoleExecutive, "", 200, &none)
		if len(none.Handoffs) != 0 || len(none.Tasks) != 0 || !strings.Contains(string(r.body), `"handoffs":[]`) {
			t.Errorf("GET .../handoffs of a lead never handed off = %v; want empty lists", r)
		}
	})
}

// cmpEmpty treats a nil and an empty list as equal.
var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) })

// TestWorkWhoMayWork checks the rule every route that works a lead follows:
// its owner, a manager above the owner, or an admin.
func TestWorkWhoMayWork(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("w1")
		path := fmt.Sprintf("/api/v1/leads/%d/touches", l.ID)
		touch := `{"channel": "email", "outcome": "sent"}`
		touches := 0
		for _, tc := range []struct {
			who  string // a user's email, or a role for a token that acts for no user
			want int
		}{
			{otherRep(rep), 403},
			{ws.managerOf(otherRep(rep)), 403}, // a manager, but not above the owner
			{"mark@example.com", 403},          // marketing does not work leads
			{rep, 201},
			{ws.managerOf(rep), 201},
			{"sam@example.com", 201}, // the head, above the owner's manager
			{string(tandem.RoleAdmin), 201},
			{string(tandem.RoleSalesRep), 403}, // a rep's token that acts for nobody
		} {
			var r response
			if strings.Contains(tc.who, "@") {
				r = ws.as(tc.who, "POST", path, touch)
			} else {
				r = ws.do("POST", path, tandem.Role(tc.who), touch)
			}
			what := fmt.Sprintf("POST %s as %s", path, tc.who)
			if tc.want != 201 {
				e := checkError(t, what, r, 403, tandem.EFORBIDDEN)
				if tc.who == otherRep(rep) && !strings.Contains(e.Error.Message, rep) {
					t.Errorf("%s: message %q; want it to name the owner %s", what, e.Error.Message, rep)
				}
				continue
			}
			if r.status != 201 {
				t.Errorf("%s = %v; want 201", what, r)
				continue
			}
			touches++
		}
		if got := ws.handoffs(l.ID).Handoffs[0].Touches; got != touches {
			t.Errorf("touches on the hand-off = %d; want %d, one per allowed touch", got, touches)
		}
		// The ledger says who touched.
		var events eventListJSON
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", l.ID), tandem.RoleExecutive, "", 200, &events)
		var actors []string
		for _, e := range events.Items {
			if e.Type == tandem.EventTouched {
				actors = append(actors, e.Actor)
			}
		}
		want := []string{"user:" + rep, "user:" + ws.managerOf(rep), "user:sam@example.com", "token:admin"}
		if diff := cmp.Diff(want, actors); diff != "" {
			t.Errorf("actors of the touched events (-want +got):\n%s", diff)
		}
	})
}

func TestWorkDecisions(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("d1")
		id := l.ID
		reject := fmt.Sprintf("/api/v1/leads/%d/reject", id)

		// Too few touches to send the lead back to marketing.
		e := checkError(t, "reject with no touches", ws.as(rep, "POST", reject, `{"reason": "no_budget"}`), 409, tandem.ECONFLICT)
		if !strings.Contains(e.Error.Message, "log 6 more") {
			t.Errorf("reject with no touches: message %q; want it to say to log 6 more", e.Error.Message)
		}
		ws.clk.Advance(time.Minute)
		ws.callAs(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", id), `{"channel": "call", "outcome": "no_answer"}`, 201, nil)
		e = checkError(t, "reject with one touch", ws.as(rep, "POST", reject, `{"reason": "no_budget", "note": "startup"}`), 409, tandem.ECONFLICT)
		if !strings.Contains(e.Error.Message, "log 5 more") {
			t.Errorf("reject with one touch: message %q; want it to say to log 5 more", e.Error.Message)
		}
		for _, tc := range []struct{ name, body string }{
			{"unknown reason", `{"reason": "too_expensive"}`},
			{"no reason", `{}`},
		} {
			e := checkError(t, "reject, "+tc.name, ws.as(rep, "POST", reject, tc.body), 422, tandem.EINVALID)
			if diff := cmp.Diff([]string{"reason"}, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("reject, %s: fields (-want +got):\n%s", tc.name, diff)
			}
		}
		checkError(t, "reject as another rep", ws.as(otherRep(rep), "POST", reject, `{"reason": "no_budget"}`), 403, tandem.EFORBIDDEN)
		checkError(t, "accept as another rep", ws.as(otherRep(rep), "POST", fmt.Sprintf("/api/v1/leads/%d/accept", id), ""), 403, tandem.EFORBIDDEN)
		checkError(t, "accept with a reason", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/accept", id), `{"reason": "no_budget"}`), 422, tandem.EINVALID)
		checkError(t, "disqualify without a reason", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/disqualify", id), `{}`), 422, tandem.EINVALID)
		checkError(t, "reject an unknown lead", ws.as(rep, "POST", "/api/v1/leads/99999/reject", `{"reason": "no_budget"}`), 404, tandem.ENOTFOUND)
		cold := ws.coldLead("d0")
		checkError(t, "accept a lead in stage lead", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/accept", cold.ID), ""), 409, tandem.ECONFLICT)

		// Accepting moves the lead on to sal; the hand-off stays open.
		ws.clk.Advance(time.Minute)
		var got tandem.Lead
		ws.callAs(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/accept", id), "", 200, &got)
		if got.Stage != "sal" || got.OwnerID != l.OwnerID {
			t.Errorf("accept = stage %q, owner %d; want sal, owner %d", got.Stage, got.OwnerID, l.OwnerID)
		}
		h := ws.handoffs(id).Handoffs[0]
		if h.Decision != tandem.DecisionAccepted || !h.DecidedAt.Equal(ws.clk.Now()) || !h.Open() {
			t.Errorf("after accept, hand-off = %+v; want decision accepted at %v, still open", h, ws.clk.Now())
		}
		checkError(t, "accept twice", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/accept", id), ""), 409, tandem.ECONFLICT)
		// An accepted lead is still worked.
		ws.callAs(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", id), `{"channel": "email", "outcome": "sent"}`, 201, nil)

		// After the agreement's six touches the owner may send a lead back.
		l2, rep2 := ws.routedLead("d2")
		for i := range 6 {
			ws.clk.Advance(time.Minute)
			ws.callAs(rep2, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l2.ID), `{"channel": "call", "outcome": "no_answer"}`, 201, nil)
			if i == 4 {
				e := checkError(t, "reject with five touches", ws.as(rep2, "POST", fmt.Sprintf("/api/v1/leads/%d/reject", l2.ID), `{"reason": "no_response"}`), 409, tandem.ECONFLICT)
				if !strings.Contains(e.Error.Message, "log 1 more") {
					t.Errorf("reject with five touches: message %q; want it to say to log 1 more", e.Error.Message)
				}
			}
		}
		ws.callAs(rep2, "POST", fmt.Sprintf("/api/v1/leads/%d/reject", l2.ID), `{"reason": "no_response", "note": "six calls, no answer"}`, 200, &got)
		if got.Stage != "recycled" {
			t.Errorf("reject after six touches = stage %q; want recycled", got.Stage)
		}
		hs := ws.handoffs(l2.ID)
		h = hs.Handoffs[0]
		if h.Decision != tandem.DecisionRejected || h.RejectReason != "no_response" || h.Open() || h.Cadence != tandem.CadenceEnded {
			t.Errorf("after reject, hand-off = %+v; want rejected for no_response, ended", h)
		}
		for _, tk := range hs.Tasks {
			if tk.State == tandem.TaskOpen {
				t.Errorf("after reject, task %+v is still open", tk)
			}
		}
		checkError(t, "touch a recycled lead", ws.as(rep2, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l2.ID), `{"channel": "call", "outcome": "no_answer"}`), 409, tandem.ECONFLICT)

		// Disqualifying needs no touches, only a reason.
		l3, rep3 := ws.routedLead("d3")
		ws.callAs(rep3, "POST", fmt.Sprintf("/api/v1/leads/%d/disqualify", l3.ID), `{"reason": "a competitor"}`, 200, &got)
		if got.Stage != "disqualified" {
			t.Errorf("disqualify = stage %q; want disqualified", got.Stage)
		}
		if h := ws.handoffs(l3.ID).Handoffs[0]; h.Decision != tandem.DecisionDisqualified || h.Open() {
			t.Errorf("after disqualify, hand-off = %+v; want disqualified, ended", h)
		}
	})
}

func TestWorkReviews(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("r1")
		path := fmt.Sprintf("/api/v1/leads/%d/reviews", l.ID)
		for _, tc := range []struct {
			name, body string
			want       []string
		}{
			{"rating 0", `{"rating": 0}`, []string{"rating"}},
			{"no rating", `{"text": "fine"}`, []string{"rating"}},
			{"rating 6", `{"rating": 6}`, []string{"rating"}},
			{"a bad tag", `{"rating": 3, "tags": ["Wrong Title"]}`, []string{"tags[0]"}},
		} {
			e := checkError(t, "review, "+tc.name, ws.as(rep, "POST", path, tc.body), 422, tandem.EINVALID)
			if diff := cmp.Diff(tc.want, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("review, %s: fields (-want +got):\n%s", tc.name, diff)
			}
		}
		checkError(t, "review as another rep", ws.as(otherRep(rep), "POST", path, `{"rating": 2}`), 403, tandem.EFORBIDDEN)
		checkError(t, "review with a token that acts for nobody", ws.do("POST", path, tandem.RoleAdmin, `{"rating": 2}`), 403, tandem.EFORBIDDEN)
		checkError(t, "review as marketing", ws.as("mark@example.com", "POST", path, `{"rating": 2}`), 403, tandem.EFORBIDDEN)
		checkError(t, "review of no lead", ws.as(rep, "POST", "/api/v1/leads/99999/reviews", `{"rating": 2}`), 404, tandem.ENOTFOUND)

		ws.clk.Advance(time.Minute)
		var got tandem.Review
		ws.callAs(rep, "POST", path, `{"rating": 4, "tags": ["good_fit"], "text": "Knows what she wants"}`, 201, &got)
		want := tandem.Review{LeadID: l.ID, UserID: l.OwnerID, Rating: 4, Tags: []string{"good_fit"}, Text: "Knows what she wants", Created: ws.clk.Now()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("POST %s (-want +got):\n%s", path, diff)
		}
		var events eventListJSON
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", l.ID), tandem.RoleExecutive, "", 200, &events)
		last := events.Items[len(events.Items)-1]
		wantDetail := map[string]string{"rating": "4", "tags": "good_fit", "text": "Knows what she wants"}
		if last.Type != tandem.EventReviewed || last.Actor != "user:"+rep || !cmp.Equal(wantDetail, last.Detail) {
			t.Errorf("the last event = %+v; want reviewed by %s with detail %v", last, rep, wantDetail)
		}
		// The owner's manager may review too.
		ws.callAs(ws.managerOf(rep), "POST", path, `{"rating": 3}`, 201, nil)
	})
}

func TestWorkAssign(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("a1")
		other := otherRep(rep)
		path := fmt.Sprintf("/api/v1/leads/%d/assign", l.ID)
		body := fmt.Sprintf(`{"owner": %q, "reason": "%s is on leave"}`, other, rep)

		checkError(t, "assign as a sales_rep", ws.as(rep, "POST", path, body), 403, tandem.EFORBIDDEN)
		checkError(t, "assign as marketing", ws.as("mark@example.com", "POST", path, body), 403, tandem.EFORBIDDEN)
		checkError(t, "assign as a manager not above the owner", ws.as(ws.managerOf(other), "POST", path, body), 403, tandem.EFORBIDDEN)
		for _, tc := range []struct {
			name, body string
			field      string
		}{
			{"no reason", fmt.Sprintf(`{"owner": %q}`, other), "reason"},
			{"no owner", `{"reason": "x"}`, "owner"},
			{"an unknown owner", `{"owner": "nobody@example.com", "reason": "x"}`, "owner"},
			{"an owner outside sales", `{"owner": "mark@example.com", "reason": "x"}`, "owner"},
		} {
			e := checkError(t, "assign, "+tc.name, ws.as(ws.managerOf(rep), "POST", path, tc.body), 422, tandem.EINVALID)
			if diff := cmp.Diff([]string{tc.field}, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("assign, %s: fields (-want +got):\n%s", tc.name, diff)
			}
		}
		checkError(t, "assign no lead", ws.as(ws.managerOf(rep), "POST", "/api/v1/leads/99999/assign", body), 404, tandem.ENOTFOUND)
		// Reassigning needs a manager above both reps (package access): the
		// owner's manager is not above the other team's rep; the head is.
		checkError(t, "assign as the owner's manager, not the new owner's", ws.as(ws.managerOf(rep), "POST", path, body), 403, tandem.EFORBIDDEN)

		var got tandem.Lead
		ws.callAs("sam@example.com", "POST", path, body, 200, &got)
		if got.OwnerID != ws.users[other].ID {
			t.Errorf("assign = owner %d; want %d (%s)", got.OwnerID, ws.users[other].ID, other)
		}
		// The hand-off and its open task moved with the lead.
		hs := ws.handoffs(l.ID)
		if hs.Handoffs[0].OwnerID != got.OwnerID {
			t.Errorf("after assign, hand-off owner = %d; want %d", hs.Handoffs[0].OwnerID, got.OwnerID)
		}
		var q tasksJSON
		ws.callAs(other, "GET", "/api/v1/tasks", "", 200, &q)
		if len(q.Tasks) != 1 || q.Tasks[0].LeadID != l.ID {
			t.Errorf("the new owner's tasks = %+v; want the lead's first call", q)
		}
		ws.callAs(rep, "GET", "/api/v1/tasks", "", 200, &q)
		if len(q.Tasks) != 0 {
			t.Errorf("the old owner's tasks = %+v; want none", q)
		}
		// The old owner may no longer work the lead; the new one may.
		touch := `{"channel": "call", "outcome": "no_answer"}`
		checkError(t, "touch by the old owner", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l.ID), touch), 403, tandem.EFORBIDDEN)
		ws.callAs(other, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l.ID), touch, 201, nil)
		// An admin may assign any lead, back again.
		ws.call("POST", path, tandem.RoleAdmin, fmt.Sprintf(`{"owner": %q, "reason": "back from leave"}`, rep), 200, &got)
		if got.OwnerID != ws.users[rep].ID {
			t.Errorf("assign by admin = owner %d; want %d", got.OwnerID, ws.users[rep].ID)
		}
	})
}

func TestWorkHotHandoff(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l := ws.coldLead("hot1")
		ws.clk.Advance(3 * time.Minute)
		start := ws.clk.Now()

		for _, tc := range []struct {
			name, body string
			status     int
			code       string
		}{
			{"no note", fmt.Sprintf(`{"lead_id": %d}`, l.ID), 422, tandem.EINVALID},
			{"a blank note", fmt.Sprintf(`{"lead_id": %d, "note": "  "}`, l.ID), 422, tandem.EINVALID},
			{"no lead", `{"note": "asked for pricing"}`, 422, tandem.EINVALID},
			{"a bad link", fmt.Sprintf(`{"lead_id": %d, "note": "x", "link": "javascript:alert(1)"}`, l.ID), 422, tandem.EINVALID},
			{"an unknown key", fmt.Sprintf(`{"lead_id": %d, "note": "x", "urgency": "high"}`, l.ID), 422, tandem.EINVALID},
			{"an unknown lead", `{"lead_id": 99999, "note": "asked for pricing"}`, 404, tandem.ENOTFOUND},
			{"an empty body", ``, 400, tandem.EMALFORMED},
		} {
			checkError(t, "POST /api/v1/handoffs, "+tc.name, ws.as("mark@example.com", "POST", "/api/v1/handoffs", tc.body), tc.status, tc.code)
		}
		body := fmt.Sprintf(`{"lead_id": %d, "note": "Asked for pricing on LinkedIn", "link": "https://www.linkedin.com/feed/update/123"}`, l.ID)
		checkError(t, "POST /api/v1/handoffs as a sales rep", ws.as("rita@example.com", "POST", "/api/v1/handoffs", body), 403, tandem.EFORBIDDEN)

		var h tandem.Handoff
		ws.callAs("mark@example.com", "POST", "/api/v1/handoffs", body, 201, &h)
		// Five business minutes for a hot lead, against ten for the others.
		if !h.Hot || h.Note != "Asked for pricing on LinkedIn" || h.LeadID != l.ID || h.OwnerID == 0 ||
			!h.StartedAt.Equal(start) || !h.RoutedAt.Equal(start) || !h.FirstTouchDue.Equal(start.Add(5*time.Minute)) ||
			!h.AcceptDue.Equal(start.Add(4*time.Hour)) || h.Cadence != tandem.CadenceMain || h.Touches != 0 {
			t.Errorf("POST /api/v1/handoffs = %+v; want a hot hand-off of lead %d, routed at %v, first touch due 5 minutes later, accept 4 hours later",
				h, l.ID, start)
		}
		var got tandem.Lead
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d", l.ID), tandem.RoleExecutive, "", 200, &got)
		if got.Stage != "mql" || got.OwnerID != h.OwnerID {
			t.Errorf("the hot lead = stage %q, owner %d; want mql, owner %d", got.Stage, got.OwnerID, h.OwnerID)
		}
		rep := ws.byID[h.OwnerID]
		var q tasksJSON
		ws.callAs(rep, "GET", "/api/v1/tasks", "", 200, &q)
		if len(q.Tasks) != 1 || !q.Tasks[0].Hot || q.Tasks[0].Note != h.Note || !q.Tasks[0].DueAt.Equal(start.Add(5*time.Minute)) {
			t.Errorf("the owner's tasks = %+v; want the hot lead's first call, due %v, with marketing's note", q, start.Add(5*time.Minute))
		}
		var events eventListJSON
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", l.ID), tandem.RoleExecutive, "", 200, &events)
		var types []string
		for _, e := range events.Items {
			types = append(types, e.Type)
		}
		if diff := cmp.Diff([]string{"created", "handed_off", "stage_changed", "assigned"}, types); diff != "" {
			t.Errorf("the hot lead's events (-want +got):\n%s", diff)
		}
		// A lead handed off once is not handed off again.
		checkError(t, "POST /api/v1/handoffs twice", ws.as("mark@example.com", "POST", "/api/v1/handoffs", body), 409, tandem.ECONFLICT)

		// A lead routed by the rule and not yet touched becomes hot: its
		// first touch falls due sooner.
		r, _ := ws.routedLead("hot2")
		ws.clk.Advance(time.Minute)
		ws.call("POST", "/api/v1/handoffs", tandem.RoleMarketing, fmt.Sprintf(`{"lead_id": %d, "note": "called our CEO"}`, r.ID), 201, &h)
		if !h.Hot || !h.FirstTouchDue.Equal(ws.clk.Now().Add(5*time.Minute)) {
			t.Errorf("hot hand-off of an untouched routed lead = %+v; want hot, first touch due %v", h, ws.clk.Now().Add(5*time.Minute))
		}
	})
}

func TestWorkInbox(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("i1")
		ctx := context.Background()

		type inboxJSON struct {
			Notifications []sqldb.Notification `json:"notifications"`
		}
		var in inboxJSON
		// Before any breach, the rep's inbox tells them the lead is theirs.
		r := ws.callAs(rep, "GET", "/api/v1/inbox", "", 200, &in)
		if len(in.Notifications) != 1 || in.Notifications[0].LeadID != l.ID || in.Notifications[0].UserID != l.OwnerID ||
			in.Notifications[0].Subject != fmt.Sprintf("Lead %d is yours", l.ID) {
			t.Errorf("GET /api/v1/inbox before any breach = %v; want one notification: lead %d is yours", r, l.ID)
		}
		// An integration's token has an empty inbox.
		if r := ws.do("GET", "/api/v1/inbox", tandem.RoleSalesRep, ""); r.status != 200 || !strings.Contains(string(r.body), `"notifications":[]`) {
			t.Errorf("GET /api/v1/inbox with a token that acts for nobody = %v; want 200 and an empty list", r)
		}

		// Nothing is due yet.
		if n, err := ws.db.FireDue(ctx, "t", 100, ws.db.FireSLA()); err != nil || n != 0 {
			t.Fatalf("FireDue before any due time = %d, %v; want 0", n, err)
		}
		// Past the first touch's due time (10:10), the clock is breached
		// and the owner hears at once.
		ws.clk.Set(nyTime(2, 10, 11))
		if _, err := ws.db.FireDue(ctx, "t", 100, ws.db.FireSLA()); err != nil {
			t.Fatalf("FireDue: %v", err)
		}
		ws.callAs(rep, "GET", "/api/v1/inbox", "", 200, &in)
		var firstTouch *sqldb.Notification
		for i, n := range in.Notifications {
			if n.UserID != l.OwnerID || n.LeadID != l.ID || n.Channel != "inbox" || n.State != "sent" {
				t.Errorf("notification %+v; want one to the owner %d about lead %d, in the inbox, sent", n, l.OwnerID, l.ID)
			}
			if strings.Contains(n.Subject, "the first touch") {
				firstTouch = &in.Notifications[i]
			}
		}
		if firstTouch == nil {
			t.Fatalf("GET /api/v1/inbox after the first touch's due time = %+v; want a breach of the first touch", in)
		}
		if !strings.Contains(firstTouch.Subject, fmt.Sprintf("lead %d", l.ID)) || !strings.Contains(firstTouch.Body, rep) ||
			!firstTouch.CreatedAt.Equal(ws.clk.Now()) {
			t.Errorf("the breach notification = %+v; want it to name lead %d and its owner %s, created now", *firstTouch, l.ID, rep)
		}
		var events eventListJSON
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", l.ID), tandem.RoleExecutive, "", 200, &events)
		var breached []string
		for _, e := range events.Items {
			if e.Type == tandem.EventBreached {
				breached = append(breached, e.Detail["clock"])
				if !e.OccurredAt.Equal(nyTime(2, 10, 10)) {
					t.Errorf("breach %+v occurred at %v; want at the due time, 10:10 New York", e, e.OccurredAt)
				}
			}
		}
		slices.Sort(breached)
		if diff := cmp.Diff([]string{sqldb.TimerFirstTouch, sqldb.TimerStep}, breached); diff != "" {
			t.Errorf("breached clocks in the ledger (-want +got):\n%s", diff)
		}
		// The others hear nothing yet.
		for _, who := range []string{otherRep(rep), ws.managerOf(rep)} {
			ws.callAs(who, "GET", "/api/v1/inbox", "", 200, &in)
			if len(in.Notifications) != 0 {
				t.Errorf("GET /api/v1/inbox as %s = %+v; want nothing", who, in)
			}
		}

		// Thirty business minutes on, the owner's manager hears.
		ws.clk.Set(nyTime(2, 10, 41))
		if _, err := ws.db.FireDue(ctx, "t", 100, ws.db.FireSLA()); err != nil {
			t.Fatalf("FireDue: %v", err)
		}
		ws.callAs(ws.managerOf(rep), "GET", "/api/v1/inbox", "", 200, &in)
		if len(in.Notifications) == 0 || !strings.Contains(in.Notifications[0].Body, "sales_manager") {
			t.Errorf("GET /api/v1/inbox as the owner's manager after 30 minutes = %+v; want the escalation", in)
		}
		ws.callAs(ws.managerOf(otherRep(rep)), "GET", "/api/v1/inbox", "", 200, &in)
		if len(in.Notifications) != 0 {
			t.Errorf("GET /api/v1/inbox as the other manager = %+v; want nothing", in)
		}
	})
}

func TestWorkTasksOfOthers(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		ctx := context.Background()
		teams := map[string]string{"mo@example.com": "east", "rita@example.com": "east", "nina@example.com": "west", "rob@example.com": "west"}
		for email, team := range teams {
			if _, err := ws.db.UpdateUser(ctx, email, tandem.UserUpdate{Team: &team}); err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
		}
		l, rep := ws.routedLead("t1")
		other := otherRep(rep)
		q := "/api/v1/tasks?rep=" + rep

		checkError(t, "GET "+q+" as another rep", ws.as(other, "GET", q, ""), 403, tandem.EFORBIDDEN)
		checkError(t, "GET "+q+" as another manager", ws.as(ws.managerOf(other), "GET", q, ""), 403, tandem.EFORBIDDEN)
		for _, who := range []string{rep, ws.managerOf(rep), "sam@example.com"} {
			var got tasksJSON
			ws.callAs(who, "GET", q, "", 200, &got)
			if len(got.Tasks) != 1 || got.Tasks[0].LeadID != l.ID {
				t.Errorf("GET %s as %s = %+v; want the first call on lead %d", q, who, got, l.ID)
			}
		}
		var got tasksJSON
		ws.call("GET", q, tandem.RoleAdmin, "", 200, &got)
		if len(got.Tasks) != 1 {
			t.Errorf("GET %s as admin = %+v; want one task", q, got)
		}

		team := teams[rep]
		ws.callAs(ws.managerOf(rep), "GET", "/api/v1/tasks?team="+team, "", 200, &got)
		if len(got.Tasks) != 1 {
			t.Errorf("GET /api/v1/tasks?team=%s as the team's manager = %+v; want one task", team, got)
		}
		checkError(t, "GET ?team= as a rep of another team", ws.as(other, "GET", "/api/v1/tasks?team="+team, ""), 403, tandem.EFORBIDDEN)
		// A team nobody is in answers as one the caller may not see, so that
		// team names cannot be probed; only an admin is told it is empty.
		checkError(t, "GET ?team= of nobody", ws.as("sam@example.com", "GET", "/api/v1/tasks?team=north", ""), 403, tandem.EFORBIDDEN)
		checkError(t, "GET ?team= of nobody as an admin", ws.do("GET", "/api/v1/tasks?team=north", tandem.RoleAdmin, ""), 422, tandem.EINVALID)

		for _, tc := range []struct {
			name, query string
			role        tandem.Role // a role token; "" for the owner's own
			field       string
		}{
			{"an unknown rep, asked by an admin", "?rep=nobody@example.com", tandem.RoleAdmin, "rep"},
			{"a rep and a team", "?rep=" + rep + "&team=" + team, "", "team"},
			{"limit 0", "?limit=0", "", "limit"},
			{"limit not a number", "?limit=ten", "", "limit"},
			{"limit too high", "?limit=5001", "", "limit"},
			{"a token that acts for nobody", "", tandem.RoleSalesRep, "rep"},
		} {
			var r response
			if tc.role != "" {
				r = ws.do("GET", "/api/v1/tasks"+tc.query, tc.role, "")
			} else {
				r = ws.as(rep, "GET", "/api/v1/tasks"+tc.query, "")
			}
			e := checkError(t, "GET /api/v1/tasks, "+tc.name, r, 422, tandem.EINVALID)
			if diff := cmp.Diff([]string{tc.field}, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("GET /api/v1/tasks, %s: fields (-want +got):\n%s", tc.name, diff)
			}
		}
		checkError(t, "GET /api/v1/tasks as marketing", ws.as("mark@example.com", "GET", "/api/v1/tasks", ""), 403, tandem.EFORBIDDEN)

		// limit bounds the answer, most urgent first.
		ws.routedLead("t2")
		ws.routedLead("t3")
		ws.callAs("sam@example.com", "GET", "/api/v1/tasks?team=east", "", 200, &got)
		east := len(got.Tasks)
		ws.callAs("sam@example.com", "GET", "/api/v1/tasks?team=west", "", 200, &got)
		if east+len(got.Tasks) != 3 {
			t.Errorf("the tasks of both teams = %d; want 3, one per lead", east+len(got.Tasks))
		}
		ws.callAs(rep, "GET", "/api/v1/tasks?limit=1", "", 200, &got)
		if len(got.Tasks) != 1 || got.Tasks[0].LeadID != l.ID {
			t.Errorf("GET /api/v1/tasks?limit=1 = %+v; want only the first lead's call", got)
		}
	})
}

// TestWorkIntakeRecycleNeedsTouches checks that a lead cannot be sent back
// to marketing through intake (a stage on POST /api/v1/leads) before the
// agreement's minimum of touches, any more than through POST .../reject or
// POST .../stage: once for a lead the mql rule handed off (which the rule
// would take straight back to mql) and once for a hot lead (which it would
// not).
func TestWorkIntakeRecycleNeedsTouches(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		routed, rep := ws.routedLead("ir1")
		checkError(t, "POST .../stage recycled with no touches", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/stage", routed.ID),
			`{"stage": "recycled", "reason": "no answer"}`), 409, tandem.ECONFLICT)
		hot := ws.coldLead("ir2")
		ws.callAs("mark@example.com", "POST", "/api/v1/handoffs", fmt.Sprintf(`{"lead_id": %d, "note": "asked for a demo"}`, hot.ID), 201, nil)
		ws.call("GET", fmt.Sprintf("/api/v1/leads/%d", hot.ID), tandem.RoleExecutive, "", 200, &hot)

		for _, l := range []tandem.Lead{routed, hot} {
			r := ws.as("mark@example.com", "POST", "/api/v1/leads", fmt.Sprintf(`{"external_id": %q, "stage": "recycled", "reason": "no answer"}`, l.ExternalID))
			var got tandem.Lead
			ws.call("GET", fmt.Sprintf("/api/v1/leads/%d", l.ID), tandem.RoleExecutive, "", 200, &got)
			h := ws.handoffs(l.ID).Handoffs
			if r.status/100 == 2 || got.Version != l.Version || len(h) != 1 || !h[0].Open() {
				t.Errorf("POST /api/v1/leads moving lead %s (0 touches) to recycled = %v; lead now stage %s, version %d (was %d); hand-offs %+v;\n"+
					"want it refused like POST .../stage and POST .../reject, the lead unchanged and its hand-off open", l.ExternalID, r, got.Stage, got.Version, l.Version, h)
			}
		}
	})
}

// TestWorkDisqualifyReasonTooLong checks that a disqualification whose
// reason is too long is refused naming reason, the field that was sent.
func TestWorkDisqualifyReasonTooLong(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("dq1")
		body := fmt.Sprintf(`{"reason": %q}`, strings.Repeat("x", tandem.MaxTextLen+1))
		e := checkError(t, "disqualify with a long reason", ws.as(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/disqualify", l.ID), body), 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"reason"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("disqualify with a %d-character reason: fields (-want +got):\n%s", tandem.MaxTextLen+1, diff)
		}
	})
}

func TestWorkSLAReport(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		l, rep := ws.routedLead("s1")
		ws.routedLead("s2")
		ws.clk.Advance(5 * time.Minute)
		ws.callAs(rep, "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l.ID), `{"channel": "call", "outcome": "no_answer"}`, 201, nil)

		var got struct {
			By    string `json:"by"`
			Total struct {
				Handoffs int `json:"handoffs"`
			} `json:"total"`
			Sales []struct {
				Key      string `json:"key"`
				Handoffs int    `json:"handoffs"`
			} `json:"sales"`
		}
		ws.callAs("sam@example.com", "GET", "/api/v1/sla?period=2026-11&by=rep", "", 200, &got)
		if got.By != "rep" || got.Total.Handoffs != 2 || len(got.Sales) != 2 {
			t.Errorf("GET /api/v1/sla = %+v; want two hand-offs over two reps", got)
		}
		var cad struct {
			Steps []string `json:"steps"`
		}
		ws.callAs("mark@example.com", "GET", fmt.Sprintf("/api/v1/leads/%d/cadence", l.ID), "", 200, &cad)
		if !slices.ContainsFunc(cad.Steps, func(s string) bool { return strings.HasPrefix(s, "step 1 call") && strings.Contains(s, "on time") }) {
			t.Errorf("cadence of lead %d = %q; want the first call on time", l.ID, cad.Steps)
		}
		checkError(t, "GET /api/v1/sla?period=Nov", ws.as("sam@example.com", "GET", "/api/v1/sla?period=Nov", ""), 422, tandem.EINVALID)
		checkError(t, "GET /api/v1/sla?by=planet", ws.as("sam@example.com", "GET", "/api/v1/sla?by=planet", ""), 422, tandem.EINVALID)
		checkError(t, "GET /api/v1/leads/999/cadence", ws.as("sam@example.com", "GET", "/api/v1/leads/999/cadence", ""), 404, tandem.ENOTFOUND)
	})
}
