package http

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// The rep's queue (/queue) and the lead page (/leads/{id}), and the forms
// the queue posts: a touch, accept or reject, a review. Each form posts to
// a page route that acts as the viewer through the same store methods as
// the API (so the same permission rules hold) and answers htmx with the
// lead's row, redrawn, or a plain browser with a redirect back to the
// queue.

// Queue page limits: the most urgent tasks are drawn, and a count of the
// rest, so that a rep with thousands of open tasks still gets a fast page.
const (
	queueShow    = 100
	queueShowMax = 1000
)

// clockView is one clock as a page shows it.
type clockView struct {
	Name    string
	DueISO  string // RFC 3339, UTC: the countdown script counts to it
	DueText string // in the agreement's time zone, for readers without script
	// State is an [sla.ClockState]: "pending", "met", "late", "overdue"
	// or "stopped".
	State   string
	Left    string // "in 1h 5m", "overdue by 3m"
	MetISO  string
	MetText string
}

// touchOption is one channel and outcome a touch may have.
type touchOption struct {
	Value string // channel:outcome
	Label string
}

// queueForms is what every row's forms offer.
type queueForms struct {
	Reasons []agreement.RejectReason
	Touches []touchOption
	Back    string // where a form returns a browser without script
	// ReasonOptions and TouchOptions are the <option>s of the reject
	// reasons and the touches, escaped once per page rather than once per
	// row: a queue of hundreds of rows draws them hundreds of times.
	ReasonOptions template.HTML
	TouchOptions  template.HTML
}

// options writes <option> elements, escaping every value and label.
func options(pairs ...string) template.HTML {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(`<option value="`)
		b.WriteString(template.HTMLEscapeString(pairs[i]))
		b.WriteString(`">`)
		b.WriteString(template.HTMLEscapeString(pairs[i+1]))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// rowView is one lead's row of the queue.
type rowView struct {
	LeadID   int64
	Name     string
	Company  string
	Email    string
	Stage    string
	Hot      bool
	Note     string
	Touches  int
	HasTask  bool
	Step     int
	Cadence  string
	Channel  string
	Template string
	// Starts is set, as a clock, for a step whose start has not come: a
	// touch completes a step only once it has started.
	Starts   *clockView
	Outcomes []touchOption
	Clocks   []clockView
	Notice   string
	Error    string
	Forms    *queueForms
	Owner    string // whose task it is, on a team's queue
	// Content is the step's template filled in for the lead (nil when the
	// template is not live content); Suggest other live content that fits
	// the lead's segment (queue_content.go).
	Content *filledView
	Suggest []filledView
}

// queueView is the queue page's data.
type queueView struct {
	Rep    tandem.User // whose queue
	Own    bool
	Reps   []tandem.User // whom the viewer may pick
	Rows   []rowView
	Total  int
	Shown  int
	More   string // link to show more, "" when all are shown
	Zone   string
	Forms  *queueForms
	Picked string // the picker's value: "team", "me", a rep's email, or "" (a rep's own)
	// Team is set when the queue is the viewer's team's: Owners names the
	// owner of each row by user id.
	Team   bool
	Owners map[int64]string
	// ActionItems are the open action items of the monthly meeting that
	// the queue's person owns (the viewer's, on a team's queue), by due
	// date; Now tells the overdue ones.
	ActionItems []meeting.Item
	Now         time.Time
}

// timeText formats t in loc for readers without script.
func timeText(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// span says a duration in words: 1h 5m, 3d 2h, 45s.
func span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Second)
	days, h, m, s := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60, int(d/time.Second)%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// newClock describes a clock due at due and met at met (zero: not yet) on
// a hand-off that ended at ended (zero: running), in the words of its
// state ([sla.StateOf]): one state, one figure.
func newClock(name string, due, met, ended, now time.Time, loc *time.Location) clockView {
	c := clockView{Name: name, DueISO: due.UTC().Format(time.RFC3339), DueText: timeText(due, loc)}
	state, d := sla.StateOf(due, met, ended, now)
	c.State = string(state)
	switch state {
	case sla.ClockMet:
		c.Left = "met on time"
	case sla.ClockLate:
		c.Left = "met late, " + span(d) + " after the due time"
	case sla.ClockOverdue:
		c.Left = "overdue by " + span(d)
	case sla.ClockStopped:
		c.Left = "stopped unmet: the hand-off ended before it was due"
		if d > 0 {
			c.Left = "stopped unmet: the hand-off ended " + span(d) + " after the due time"
		}
	default:
		c.Left = "in " + span(d)
	}
	if !met.IsZero() {
		c.MetISO, c.MetText = met.UTC().Format(time.RFC3339), timeText(met, loc)
	}
	return c
}

// leadName is how a page names a lead.
func leadName(first, last, email string, id int64) string {
	if n := strings.TrimSpace(first + " " + last); n != "" {
		return n
	}
	if email != "" {
		return email
	}
	return fmt.Sprintf("Lead %d", id)
}

func outcomesOf(channel string) []touchOption {
	var out []touchOption
	for _, o := range tandem.TouchOutcomes[channel] {
		out = append(out, touchOption{channel + ":" + o, strings.ReplaceAll(o, "_", " ")})
	}
	return out
}

func (s *Server) queueForms(r *http.Request, back string) (*queueForms, *time.Location, error) {
	a, err := s.DB.AgreementNow(r.Context())
	if err != nil {
		return nil, nil, err
	}
	f := &queueForms{Reasons: a.RejectReasons, Back: back}
	for _, ch := range tandem.TouchChannels {
		for _, o := range tandem.TouchOutcomes[ch] {
			f.Touches = append(f.Touches, touchOption{ch + ":" + o, ch + ": " + strings.ReplaceAll(o, "_", " ")})
		}
	}
	var rs, ts []string
	for _, r := range f.Reasons {
		label := r.Code + ": " + r.Description
		if min := a.Sales.MinTouchesBeforeRecycle; r.AfterCadence && min > 0 {
			label += fmt.Sprintf(" (after %d touches)", min)
		}
		rs = append(rs, r.Code, label)
	}
	for _, t := range f.Touches {
		ts = append(ts, t.Value, t.Label)
	}
	f.ReasonOptions, f.TouchOptions = options(rs...), options(ts...)
	loc := a.BusinessHours.Location
	if loc == nil {
		loc = time.UTC
	}
	return f, loc, nil
}

// queueRow makes the row of a queue task.
func queueRow(q sqldb.QueueRow, f *queueForms, now time.Time, loc *time.Location) rowView {
	row := rowView{LeadID: q.Lead.ID, Name: leadName(q.Lead.FirstName, q.Lead.LastName, q.Lead.Email, q.Lead.ID),
		Company: q.Lead.Company, Email: q.Lead.Email, Stage: q.Lead.Stage, Hot: q.Hot, Note: q.Note, Touches: q.Touches,
		HasTask: true, Step: q.Step, Cadence: q.Cadence, Channel: q.Channel, Template: q.Template,
		Outcomes: outcomesOf(q.Channel), Forms: f}
	if q.StartsAt.After(now) {
		c := newClock("Starts", q.StartsAt, time.Time{}, time.Time{}, now, loc)
		row.Starts = &c
	}
	row.Clocks = []clockView{
		newClock("First touch", q.FirstTouchDue, q.FirstTouchAt, time.Time{}, now, loc),
		newClock("Accept", q.AcceptDue, q.DecidedAt, time.Time{}, now, loc),
		newClock("This step", q.DueAt, time.Time{}, time.Time{}, now, loc),
	}
	return row
}

// getQueue draws a queue: a rep's own; for a manager or an admin, their
// team's by default (every rep they manage, and their own tasks), or one
// rep's with ?rep=EMAIL (any rep's for an admin), or their own with ?rep=me.
func (s *Server) getQueue(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	me := viewer(r)
	v := queueView{Rep: me, Own: true}
	if me.Role != tandem.RoleSalesRep {
		reps, err := s.managedReps(r)
		if err != nil {
			return err
		}
		v.Reps = reps
	}
	ids := []int64{me.ID}
	switch rep := r.URL.Query().Get("rep"); {
	case rep == "me" || rep == me.Email:
		v.Picked = "me"
	case rep != "" && rep != "team":
		u, err := s.repAsked(r, rep)
		if err != nil {
			return err
		}
		v.Rep, v.Own, v.Picked = u, false, u.Email
		ids = []int64{u.ID}
	case len(v.Reps) > 0:
		// The team: the people whose work the viewer answers for.
		v.Team, v.Own, v.Picked = true, false, "team"
		v.Owners = map[int64]string{me.ID: "you"}
		for _, u := range v.Reps {
			ids = append(ids, u.ID)
			v.Owners[u.ID] = u.Label()
		}
	}
	show := queueShow
	if n, err := strconv.Atoi(r.URL.Query().Get("show")); err == nil && n > 0 {
		show = min(n, queueShowMax)
	}
	back := "/queue"
	if v.Picked != "" {
		back += "?rep=" + url.QueryEscape(v.Picked)
	}
	f, loc, err := s.queueForms(r, back)
	if err != nil {
		return err
	}
	v.Forms, v.Zone = f, loc.String()
	owner := v.Rep.ID
	if v.Team {
		owner = me.ID
	}
	if v.ActionItems, err = s.DB.ActionItems(ctx, sqldb.ActionItemFilter{OwnerID: owner, Open: true}); err != nil {
		return err
	}
	v.Now = s.DB.Now()
	items, total, err := s.DB.QueuePage(ctx, ids, show)
	if err != nil {
		return err
	}
	now := s.DB.Now()
	v.Rows = make([]rowView, len(items))
	reps := map[int64]tandem.User{me.ID: me, v.Rep.ID: v.Rep}
	for _, u := range v.Reps {
		reps[u.ID] = u
	}
	fills := make([]rowContent, len(items))
	for i, it := range items {
		v.Rows[i] = queueRow(it, f, now, loc)
		if v.Team {
			v.Rows[i].Owner = v.Owners[it.Task.OwnerID]
		}
		fills[i] = rowContent{row: &v.Rows[i], lead: queueLead(it.Lead), rep: reps[it.Task.OwnerID]}
	}
	if err := s.fillContent(ctx, s.baseURL(r), fills); err != nil {
		return err
	}
	v.Total, v.Shown = total, len(items)
	if total > len(items) && show < queueShowMax {
		q := url.Values{"show": {strconv.Itoa(min(show*5, queueShowMax))}}
		if v.Picked != "" {
			q.Set("rep", v.Picked)
		}
		v.More = "/queue?" + q.Encode()
	}
	title := "Your queue"
	switch {
	case v.Team:
		title = "Your team's queue"
	case !v.Own:
		title = "Queue of " + v.Rep.Label()
	}
	p := newPage(r, title)
	p.Data = v
	return s.render(w, http.StatusOK, "queue", p)
}

// managedReps lists the reps whose queue the viewer may open: those below
// them, or every rep for an admin.
func (s *Server) managedReps(r *http.Request) ([]tandem.User, error) {
	us, err := s.DB.Users(r.Context())
	if err != nil {
		return nil, err
	}
	var out []tandem.User
	for _, u := range us {
		if u.Role != tandem.RoleSalesRep || u.ID == viewer(r).ID {
			continue
		}
		if err := s.mayManage(r, u); err == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// leadRow redraws a lead's row after a form: its open task if it has one,
// its clocks otherwise.
func (s *Server) leadRow(r *http.Request, id int64, f *queueForms, loc *time.Location) (rowView, error) {
	ctx := r.Context()
	l, err := s.DB.Lead(ctx, id)
	if err != nil {
		return rowView{}, err
	}
	row := rowView{LeadID: id, Name: leadName(l.FirstName, l.LastName, l.Email, id), Company: l.Company, Email: l.Email,
		Stage: l.Stage, Forms: f}
	hs, err := s.DB.Handoffs(ctx, id)
	if err != nil || len(hs) == 0 {
		return row, err
	}
	h := hs[len(hs)-1]
	ts, err := s.DB.LeadTasks(ctx, id)
	if err != nil {
		return row, err
	}
	now := s.DB.Now()
	row.Hot, row.Note, row.Touches = h.Hot, h.Note, h.Touches
	row.Clocks = []clockView{newClock("First touch", h.FirstTouchDue, h.FirstTouchAt, h.EndedAt, now, loc),
		newClock("Accept", h.AcceptDue, h.DecidedAt, h.EndedAt, now, loc)}
	for _, t := range ts {
		if t.HandoffID == h.ID && t.State == tandem.TaskOpen {
			row.HasTask, row.Step, row.Cadence, row.Channel, row.Template = true, t.Step, t.Cadence, t.Channel, t.Template
			row.Outcomes = outcomesOf(t.Channel)
			if t.StartsAt.After(now) {
				c := newClock("Starts", t.StartsAt, time.Time{}, time.Time{}, now, loc)
				row.Starts = &c
			}
			row.Clocks = append(row.Clocks, newClock("This step", t.DueAt, time.Time{}, time.Time{}, now, loc))
		}
	}
	var rep tandem.User
	if h.OwnerID != 0 {
		us, err := s.DB.Users(ctx)
		if err != nil {
			return row, err
		}
		for _, u := range us {
			if u.ID == h.OwnerID {
				rep = u
			}
		}
	}
	if err := s.fillContent(ctx, s.baseURL(r), []rowContent{{row: &row, lead: l, rep: rep}}); err != nil {
		return row, err
	}
	return row, nil
}

// workForm handles a form posted from a queue row: act runs the change as
// the viewer and says what it did.
func (s *Server) workForm(act func(r *http.Request, id int64) (string, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return tandem.Errorf(tandem.EMALFORMED, "the form could not be read")
		}
		back := localPath(r.PostForm.Get("back"))
		if !strings.HasPrefix(back, "/queue") && !strings.HasPrefix(back, "/leads/") {
			back = "/queue"
		}
		notice, actErr := act(r, id)
		if r.Header.Get("HX-Request") != "true" {
			if actErr != nil {
				return actErr
			}
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
		f, loc, err := s.queueForms(r, back)
		if err != nil {
			return err
		}
		status := http.StatusOK
		var row rowView
		if code := tandem.ErrorCode(actErr); actErr != nil && (code == tandem.EFORBIDDEN || code == tandem.ENOTFOUND) {
			// Say no, and show nothing of a lead the viewer may not work.
			row = rowView{LeadID: id, Name: fmt.Sprintf("Lead %d", id)}
		} else if row, err = s.leadRow(r, id, f, loc); err != nil {
			return err
		}
		if actErr != nil {
			if tandem.ErrorCode(actErr) == tandem.EINTERNAL {
				return actErr
			}
			status = statusOf[tandem.ErrorCode(actErr)]
			row.Error = errorText(actErr)
		} else {
			row.Notice = notice
		}
		return s.templates.RenderFragment(w, status, "queue", "row", row)
	}
}

// postTouchForm logs a touch: touch=channel:outcome (or channel and
// outcome), and an optional note.
func (s *Server) postTouchForm(r *http.Request, id int64) (string, error) {
	ch, out := r.PostForm.Get("channel"), r.PostForm.Get("outcome")
	if c, o, ok := strings.Cut(r.PostForm.Get("touch"), ":"); ok {
		ch, out = c, o
	}
	res, err := s.DB.LogTouch(r.Context(), id, tandem.Touch{Channel: ch, Outcome: out, Note: r.PostForm.Get("note"),
		Content: r.PostForm.Get("content")}, caller(r))
	if err != nil {
		return "", err
	}
	msg := "Logged a " + ch + " touch: " + strings.ReplaceAll(out, "_", " ") + "."
	if c := r.PostForm.Get("content"); c != "" {
		msg = "Logged a " + ch + " touch with " + c + ": " + strings.ReplaceAll(out, "_", " ") + "."
	}
	if len(res.Done) > 0 {
		msg += fmt.Sprintf(" Step %d done.", res.Done[len(res.Done)-1].Step)
	}
	return msg, nil
}

// postDecideForm accepts, rejects or disqualifies a lead, as the API's
// accept, reject and disqualify do: decision=accepted, rejected or
// disqualified; reason (a reject reason's code, or why the lead is
// disqualified, which is required) and note.
func (s *Server) postDecideForm(r *http.Request, id int64) (string, error) {
	d := sqldb.Decision{Decision: r.PostForm.Get("decision"), Reason: strings.TrimSpace(r.PostForm.Get("reason")), Note: r.PostForm.Get("note")}
	switch d.Decision {
	case tandem.DecisionAccepted:
		d.Reason = ""
	case tandem.DecisionRejected:
		if d.Reason == "" {
			return "", tandem.Invalid(tandem.FieldError{Field: "reason", Message: "pick the reason for rejecting the lead"})
		}
	case tandem.DecisionDisqualified:
		if d.Reason == "" {
			return "", tandem.Invalid(tandem.FieldError{Field: "reason", Message: "say why the lead is disqualified"})
		}
	default:
		return "", tandem.Invalid(tandem.FieldError{Field: "decision", Message: "must be accepted, rejected or disqualified"})
	}
	l, err := s.DB.Decide(r.Context(), id, d, caller(r))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Lead %s; it is now in stage %s.", d.Decision, l.Stage), nil
}

// postReviewForm rates a lead's quality: rating 1 to 5, tags separated by
// commas, text.
func (s *Server) postReviewForm(r *http.Request, id int64) (string, error) {
	n, err := strconv.Atoi(r.PostForm.Get("rating"))
	if err != nil {
		return "", tandem.Invalid(tandem.FieldError{Field: "rating", Message: "pick a rating from 1 to 5"})
	}
	var tags []string
	for t := range strings.SplitSeq(r.PostForm.Get("tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	if _, err := s.DB.Review(r.Context(), id, tandem.Review{Rating: n, Tags: tags, Text: r.PostForm.Get("text")}, caller(r)); err != nil {
		return "", err
	}
	return fmt.Sprintf("Review saved: %d of 5.", n), nil
}
