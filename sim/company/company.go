// Package company runs a simulated company on Tandem's real store: a year
// of leads, hand-offs, touches, decisions, reviews and deals, driven through
// a fake clock so that the SLA engine's own clocks breach and escalate. It
// lives apart from package sim, whose lead generator the store's own tests
// use, because it imports the store.
package company

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// Sim simulates a year of a company's marketing and sales on the real
// store: leads arrive, the SLA engine hands them off and runs their clocks,
// reps touch, decide, review and close deals with imperfect compliance, and
// the engine's timers fire as the fake clock moves through each day. The
// same Seed, Leads and Now give the same data.
type Sim struct {
	Seed  uint64
	Leads int       // leads arriving over the twelve months
	Now   time.Time // where the simulation stops; the agreement is signed a year before
	// Agreement is the agreement text both heads sign.
	Agreement []byte
	// AdminEmail is the admin user's email.
	AdminEmail string

	// oneByOne runs every use case in a transaction of its own, as before
	// batches: for the test that compares the two ways.
	oneByOne bool
}

// Summary counts what a simulation did.
type Summary struct {
	Users, Leads, Handoffs            int
	Touches, LateFirst, MissedFirst   int
	Accepted, Rejected, Disqualified  int
	Reviews, Qualified, Opportunities int
	Won, Lost                         int
	WonCents                          int64
	Campaigns, MarketingTouches       int
	SalesSourced, HotHandoffs         int
	ClocksFired                       int
	AgreementVersion                  int
	Start                             time.Time
}

func (s Summary) String() string {
	return fmt.Sprintf("%d users in two sales teams and marketing; agreement version %d signed %s; "+
		"%d leads over twelve months, %d handed off to sales; %d touches (%d first touches late, %d forgotten); "+
		"%d accepted; %d sent back to marketing with a reason, %d disqualified; %d reviews; %d sales qualified, %d opportunities; "+
		"%d deals won for %d, %d lost; %d clocks fired by the engine; %d campaigns with monthly spend, %d extra marketing touches, "+
		"%d leads sourced by sales, %d hot hand-offs by marketing.",
		s.Users, s.AgreementVersion, s.Start.Format("2006-01-02"), s.Leads, s.Handoffs, s.Touches, s.LateFirst, s.MissedFirst,
		s.Accepted, s.Rejected, s.Disqualified, s.Reviews, s.Qualified, s.Opportunities, s.Won, s.WonCents/100, s.Lost, s.ClocksFired,
		s.Campaigns, s.MarketingTouches, s.SalesSourced, s.HotHandoffs)
}

// person is one member of the simulated company.
type person struct {
	email, name string
	role        tandem.Role
	team        string
	manager     string
}

// staff is the company: two sales teams under a sales head, marketing, an
// executive and an admin.
func staff(admin string) []person {
	return []person{
		{admin, "Ada Admin", tandem.RoleAdmin, "", ""},
		{"eve@demo.example", "Eve Executive", tandem.RoleExecutive, "", ""},
		{"mia@demo.example", "Mia Marketing-Head", tandem.RoleMarketingHead, "", ""},
		{"mark@demo.example", "Mark Marketer", tandem.RoleMarketing, "", "mia@demo.example"},
		{"maya@demo.example", "Maya Marketer", tandem.RoleMarketing, "", "mia@demo.example"},
		{"sam@demo.example", "Sam Sales-Head", tandem.RoleSalesHead, "", ""},
		{"erin@demo.example", "Erin East-Manager", tandem.RoleSalesManager, "East", "sam@demo.example"},
		{"rita@demo.example", "Rita Rep", tandem.RoleSalesRep, "East", "erin@demo.example"},
		{"raj@demo.example", "Raj Rep", tandem.RoleSalesRep, "East", "erin@demo.example"},
		{"rosa@demo.example", "Rosa Rep", tandem.RoleSalesRep, "East", "erin@demo.example"},
		{"ravi@demo.example", "Ravi Rep", tandem.RoleSalesRep, "East", "erin@demo.example"},
		{"wes@demo.example", "Wes West-Manager", tandem.RoleSalesManager, "West", "sam@demo.example"},
		{"wanda@demo.example", "Wanda Rep", tandem.RoleSalesRep, "West", "wes@demo.example"},
		{"will@demo.example", "Will Rep", tandem.RoleSalesRep, "West", "wes@demo.example"},
		{"wu@demo.example", "Wu Rep", tandem.RoleSalesRep, "West", "wes@demo.example"},
	}
}

// absentRep is away for two weeks in the middle of the year: routing skips
// them, and their leads wait (and breach) until they are back.
const absentRep = "rosa@demo.example"

// Reasons and tags the reps use.
var (
	rejectReasons = []string{"no_response", "no_response", "not_a_fit", "not_a_fit", "bad_timing", "wrong_contact", "no_budget", "bad_data", "duplicate"}
	disqualifyWhy = []string{"not a real person", "a competitor", "a student, not a buyer", "outside the markets we serve"}
	lostReasons   = []string{"price", "price", "competitor", "competitor", "no_budget", "no_decision", "timing"}
	goodTags      = []string{"good_fit", "clear_need", "budget_confirmed", "right_title"}
	badTags       = []string{"wrong_title", "too_small", "no_need", "bad_data"}
)

// action kinds.
const (
	actTouch = iota
	actDecide
	actReview
	actQualify
	actOpportunity
	actClose
	actAbsent
	actBack
	actMarketingTouch
)

type action struct {
	at   time.Time
	seq  int
	kind int
	lead *simLead
}

type agenda []*action

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(*action)) }
func (a *agenda) Pop() any     { old := *a; x := old[len(old)-1]; *a = old[:len(old)-1]; return x }

// fate is what will become of a hand-off.
const (
	fateAccept = iota
	fateReject
	fateDisqualify
)

// simLead is a handed-off lead the simulation works.
type simLead struct {
	id      int64
	tok     tandem.Token
	start   time.Time
	fate    int
	next    *tandem.Task // the step the rep owes, nil for none
	touches int
	first   bool // first touch made
	decided bool
	contact bool
	stage   string
	deal    int64
	ended   bool
	// mt is the marketing touch an actMarketingTouch records.
	mt *tandem.MarketingTouch
}

type run struct {
	c      Sim
	db     *sqldb.DB
	clk    *clock.Fake
	r      *rand.Rand
	p      *sla.Policy
	fire   func(ctx context.Context, tx *sqldb.Tx, t sqldb.Timer) error
	q      agenda
	seq    int
	fired  time.Time
	tokens map[int64]tandem.Token
	absent bool
	sum    Summary
	// mr draws marketing's side (campaigns, spend, extra touches, sourcing)
	// apart from r, so that it does not move the rest of the company.
	mr        *rand.Rand
	marketer  tandem.Token
	campaigns []demoCampaign
}

// Run builds the company in db, whose clock must be clk: it moves clk
// through the year and leaves it at c.Now. Each 20-minute slot of arrivals,
// with everything the company and the engine do before it, is one batch of
// the store (sqldb.DB.Batch): one transaction holding each action as the
// use case it is, at its own time, as if each were a transaction of its
// own.
func (c Sim) Run(ctx context.Context, db *sqldb.DB, clk *clock.Fake) (Summary, error) {
	now := c.Now.UTC()
	start := now.AddDate(-1, 0, 0)
	db = db.Batcher()
	s := &run{c: c, db: db, clk: clk, r: rand.New(rand.NewPCG(c.Seed, 0xc0)), tokens: map[int64]tandem.Token{},
		fire: db.FireSLA(), mr: rand.New(rand.NewPCG(c.Seed, 0x6d6b))}
	s.sum.Start = start
	clk.Set(start)
	if err := s.setup(ctx); err != nil {
		return s.sum, err
	}
	arrivals := s.arrivals(start, now)
	const every = 20 * time.Minute
	for i := 0; i < len(arrivals); {
		slot := arrivals[i].created.Truncate(every).Add(every)
		if slot.After(now) {
			slot = now
		}
		j := i
		for j < len(arrivals) && !arrivals[j].created.After(slot) {
			j++
		}
		err := s.batch(ctx, func() error {
			if err := s.until(ctx, slot); err != nil {
				return err
			}
			return s.intake(ctx, arrivals[i:j])
		})
		if err != nil {
			return s.sum, err
		}
		i = j
	}
	err := s.batch(ctx, func() error {
		if err := s.until(ctx, now); err != nil {
			return err
		}
		clk.Set(now)
		return s.fireDue(ctx)
	})
	return s.sum, err
}

// batch runs fn as one batch of the store, or as it is with c.oneByOne.
func (s *run) batch(ctx context.Context, fn func() error) error {
	if s.c.oneByOne {
		return fn()
	}
	return s.db.Batch(ctx, fn)
}

// setup creates the staff and signs the agreement at the start.
func (s *run) setup(ctx context.Context) error {
	ids := map[string]int64{}
	for _, p := range staff(s.c.AdminEmail) {
		u := tandem.User{Email: p.email, Name: p.name, Role: p.role, Team: p.team, ManagerID: ids[p.manager]}
		if err := s.db.CreateUser(ctx, &u); err != nil {
			return err
		}
		ids[p.email] = u.ID
		s.tokens[u.ID] = tandem.Token{Name: "sim", Role: u.Role, UserID: u.ID, UserEmail: u.Email}
		s.sum.Users++
	}
	v, _, err := s.db.ProposeAgreement(ctx, "default agreement", string(s.c.Agreement), "user:"+s.c.AdminEmail)
	if err != nil {
		return err
	}
	for _, head := range []string{"mia@demo.example", "sam@demo.example"} {
		if _, err := s.db.SignAgreement(ctx, v.Version, head); err != nil {
			return err
		}
	}
	s.sum.AgreementVersion = v.Version
	a, err := agreement.Parse("agreement", s.c.Agreement)
	if err != nil {
		return err
	}
	if s.p, err = sla.New(a, v.Version); err != nil {
		return err
	}
	if s.p == nil {
		return fmt.Errorf("the agreement has no hand-off stage")
	}
	if err := s.registerCampaigns(ctx, ids["mark@demo.example"]); err != nil {
		return err
	}
	// The absent rep's fortnight away, about five months in.
	away := s.c.Now.AddDate(0, -7, 0).Truncate(24 * time.Hour).Add(13 * time.Hour)
	s.push(away, actAbsent, nil)
	s.push(away.AddDate(0, 0, 14), actBack, nil)
	return nil
}

type arrival struct {
	created time.Time
	in      tandem.LeadInput
}

// arrivals draws c.Leads leads over the year: more on weekdays and in
// office hours, a summer and a December lull, and growth over the year.
func (s *run) arrivals(start, now time.Time) []arrival {
	loc := s.p.Calendar.Location()
	days := int(now.Sub(start).Hours()/24) + 1
	cum := make([]float64, days)
	total := 0.0
	for d := range days {
		t := start.AddDate(0, 0, d).In(loc)
		w := 1.0
		switch t.Weekday() {
		case time.Saturday:
			w = 0.3
		case time.Sunday:
			w = 0.25
		case time.Monday:
			w = 1.2
		}
		switch t.Month() {
		case time.August:
			w *= 0.75
		case time.December:
			w *= 0.7
		case time.March, time.September, time.October:
			w *= 1.2
		}
		w *= 0.8 + 0.4*float64(d)/float64(days) // the business grows
		total += w
		cum[d] = total
	}
	hours := []float64{1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 11, 11, 10, 9, 7, 5, 4, 3, 2, 2, 1}
	var hsum float64
	for _, h := range hours {
		hsum += h
	}
	out := make([]arrival, 0, s.c.Leads)
	for i := 0; len(out) < s.c.Leads; i++ {
		x := s.r.Float64() * total
		d := 0
		for lo, hi := 0, days-1; lo <= hi; {
			m := (lo + hi) / 2
			if cum[m] >= x {
				d, hi = m, m-1
			} else {
				lo = m + 1
			}
		}
		y, h := s.r.Float64()*hsum, 0
		for ; h < 23 && y >= hours[h]; h++ {
			y -= hours[h]
		}
		day := start.AddDate(0, 0, d).In(loc)
		t := time.Date(day.Year(), day.Month(), day.Day(), h, s.r.IntN(60), s.r.IntN(60), 0, loc).UTC()
		in := sim.Lead(s.r, fmt.Sprintf("sim-%d-%d", s.c.Seed, i+1), now)
		if !t.After(start) || t.After(now) {
			continue
		}
		in.Fields["created_at"] = t.Format(time.RFC3339)
		s.source(in)
		out = append(out, arrival{t, in})
	}
	sortArrivals(out)
	return out
}

// sortArrivals puts arrivals in time order; the sort is stable, so equal
// times keep the order they were drawn in and the same seed gives the same
// ids.
func sortArrivals(a []arrival) {
	slices.SortStableFunc(a, func(x, y arrival) int { return x.created.Compare(y.created) })
}

// until does every action due up to t, in time order.
func (s *run) until(ctx context.Context, t time.Time) error {
	for len(s.q) > 0 && !s.q[0].at.After(t) {
		a := heap.Pop(&s.q).(*action)
		s.clk.Set(a.at)
		if err := s.fireDue(ctx); err != nil {
			return err
		}
		if err := s.do(ctx, a); err != nil {
			return err
		}
	}
	s.clk.Set(t)
	return s.fireDue(ctx)
}

// fireDue fires the engine's due timers at the clock's time, as the worker
// of tandem serve would.
func (s *run) fireDue(ctx context.Context) error {
	if now := s.clk.Now(); now.After(s.fired) {
		s.fired = now
		n, err := s.db.FireDue(ctx, "demo", math.MaxInt32, s.fire)
		s.sum.ClocksFired += n
		return err
	}
	return nil
}

func (s *run) push(at time.Time, kind int, l *simLead) {
	s.seq++
	heap.Push(&s.q, &action{at: at.UTC().Truncate(time.Second), seq: s.seq, kind: kind, lead: l})
}

// intake takes a slot's leads and starts working the hand-offs among them.
func (s *run) intake(ctx context.Context, as []arrival) error {
	ins := make([]tandem.LeadInput, len(as))
	for i := range as {
		ins[i] = as[i].in
	}
	rs, err := s.db.IntakeLeads(ctx, ins, sqldb.IntakeOptions{DefaultSource: "web", Actor: "form:website"})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Status != tandem.StatusCreated {
			continue
		}
		s.sum.Leads++
		l, err := s.db.Lead(ctx, r.ID)
		if err != nil {
			return err
		}
		if l.Origin != "prospecting" {
			s.nurture(l)
			if l.Stage != s.p.HandoffStage && l.Score >= 50 && s.mr.Float64() < 0.04 {
				// Marketing saw the lead ask for pricing and hands it over hot.
				if _, err := s.db.HandOff(ctx, l.ID, sqldb.HotLead{Note: "asked for pricing in the webinar chat"}, s.marketer); err != nil {
					return err
				}
				s.sum.HotHandoffs++
				if l, err = s.db.Lead(ctx, r.ID); err != nil {
					return err
				}
			}
		}
		if l.Stage != s.p.HandoffStage || l.OwnerID == 0 {
			continue
		}
		s.sum.Handoffs++
		now := s.clk.Now()
		sl := &simLead{id: l.ID, tok: s.tokens[l.OwnerID], start: now, stage: l.Stage}
		switch x := s.r.Float64(); {
		case x < 0.70:
			sl.fate = fateAccept
		case x < 0.93:
			sl.fate = fateReject
		default:
			sl.fate = fateDisqualify
		}
		t, _ := s.p.Task(tandem.CadenceMain, 0, now, false)
		sl.next = &t
		s.scheduleTouch(sl, true)
	}
	return nil
}

// scheduleTouch plans the rep's touch for the step owed: most on time, some
// late, a few forgotten for days.
func (s *run) scheduleTouch(l *simLead, first bool) {
	t := l.next
	if t == nil {
		return
	}
	window := min(t.DueAt.Sub(t.StartsAt), 10*time.Minute)
	var at time.Time
	switch x := s.r.Float64(); {
	case x < 0.84:
		at = t.DueAt.Add(-time.Duration(s.r.Float64() * 0.95 * float64(window)))
	case x < 0.96:
		at = t.DueAt.Add(time.Duration(1+s.r.IntN(180)) * time.Minute)
		if first {
			s.sum.LateFirst++
		}
	default:
		at = t.DueAt.Add(time.Duration(24+s.r.IntN(48)) * time.Hour)
		if first {
			s.sum.MissedFirst++
		}
	}
	if at.Before(s.clk.Now()) {
		at = s.clk.Now()
	}
	s.push(at, actTouch, l)
}

// do carries out one action.
func (s *run) do(ctx context.Context, a *action) error {
	l := a.lead
	switch a.kind {
	case actAbsent, actBack:
		absent := a.kind == actAbsent
		s.absent = absent
		_, err := s.db.UpdateUser(ctx, absentRep, tandem.UserUpdate{Absent: &absent})
		return err
	case actMarketingTouch:
		if _, err := s.db.AddMarketingTouch(ctx, *l.mt, s.marketer.Actor()); err != nil {
			return err
		}
		s.sum.MarketingTouches++
		return nil
	}
	if l.ended && a.kind != actReview { // a review may follow the decision that ended the hand-off
		return nil
	}
	if s.absent && l.tok.UserEmail == absentRep {
		// Nobody works the absent rep's leads: the clocks run on.
		s.push(a.at.AddDate(0, 0, 1), a.kind, l)
		return nil
	}
	switch a.kind {
	case actTouch:
		return s.touch(ctx, l)
	case actDecide:
		return s.decide(ctx, l)
	case actReview:
		return s.review(ctx, l)
	case actQualify:
		return s.qualify(ctx, l)
	case actOpportunity:
		return s.opportunity(ctx, l)
	case actClose:
		return s.closeDeal(ctx, l)
	}
	return nil
}

// touch logs the touch the owed step asks for.
func (s *run) touch(ctx context.Context, l *simLead) error {
	ch, out := "call", tandem.OutcomeNoAnswer
	if l.next != nil {
		ch = l.next.Channel
	}
	reach := 0.07
	if l.fate == fateAccept {
		reach = 0.3
	}
	switch ch {
	case "call":
		switch x := s.r.Float64(); {
		case !l.contact && x < reach:
			out = tandem.OutcomeConnected
		case x < 0.7:
			out = tandem.OutcomeVoicemail
		}
		if l.contact && l.stage != s.p.HandoffStage {
			out = tandem.OutcomeConnected
		}
	case "voicemail":
		out = "left"
	case "email", "social":
		out = "sent"
	case "meeting":
		out = "held"
		if s.r.Float64() < 0.2 {
			out = "no_show"
		}
	}
	res, err := s.db.LogTouch(ctx, l.id, tandem.Touch{Channel: ch, Outcome: out}, l.tok)
	if err != nil {
		return err
	}
	s.sum.Touches++
	l.touches = res.Handoff.Touches
	l.next = res.Next
	now := s.clk.Now()
	if !l.first {
		l.first = true
		// The rep looks at the lead after the first touch and decides,
		// mostly within the accept clock.
		switch l.fate {
		case fateAccept, fateDisqualify:
			at := now.Add(time.Duration(5+s.r.IntN(60)) * time.Minute)
			if s.r.Float64() < 0.15 {
				at = s.p.AcceptDue(l.start).Add(time.Duration(1+s.r.IntN(20)) * time.Hour)
			}
			s.push(at, actDecide, l)
		}
	}
	if out == tandem.OutcomeConnected && !l.contact {
		l.contact = true
		if l.fate == fateAccept && l.decided {
			s.push(now.Add(time.Duration(2+s.r.IntN(5))*24*time.Hour), actQualify, l)
		}
	}
	if l.fate == fateReject && !l.decided && l.touches >= s.p.Agreement.Sales.MinTouchesBeforeRecycle {
		s.push(now.Add(time.Duration(10+s.r.IntN(120))*time.Minute), actDecide, l)
		return nil
	}
	if l.next == nil {
		if !l.decided && l.fate == fateReject {
			s.push(now.Add(time.Hour), actDecide, l) // out of steps: disqualify
		} else if l.decided && !l.contact {
			// Accepted but never reached: back to marketing.
			s.push(now.Add(time.Duration(1+s.r.IntN(48))*time.Hour), actQualify, l)
		}
		return nil
	}
	s.scheduleTouch(l, false)
	return nil
}

// decide accepts, rejects (once the agreement's touches are in) or
// disqualifies the lead.
func (s *run) decide(ctx context.Context, l *simLead) error {
	if l.decided {
		return nil
	}
	d := sqldb.Decision{Decision: tandem.DecisionAccepted}
	switch {
	case l.fate == fateAccept:
	case l.fate == fateReject && l.touches >= s.p.Agreement.Sales.MinTouchesBeforeRecycle:
		d = sqldb.Decision{Decision: tandem.DecisionRejected, Reason: sim.Pick(s.r, rejectReasons)}
	default:
		d = sqldb.Decision{Decision: tandem.DecisionDisqualified, Reason: sim.Pick(s.r, disqualifyWhy)}
	}
	lead, err := s.db.Decide(ctx, l.id, d, l.tok)
	if err != nil {
		return err
	}
	l.decided, l.stage = true, lead.Stage
	switch d.Decision {
	case tandem.DecisionAccepted:
		s.sum.Accepted++
		if l.contact {
			s.push(s.clk.Now().Add(time.Duration(2+s.r.IntN(5))*24*time.Hour), actQualify, l)
		}
	case tandem.DecisionRejected:
		s.sum.Rejected++
		l.ended = true
	default:
		s.sum.Disqualified++
		l.ended = true
	}
	if s.r.Float64() < 0.4 {
		s.push(s.clk.Now().Add(time.Duration(10+s.r.IntN(600))*time.Minute), actReview, l)
	}
	return nil
}

// review rates the lead's quality: good leads well, bad ones poorly.
func (s *run) review(ctx context.Context, l *simLead) error {
	rating, tags := 1+s.r.IntN(3), []string{sim.Pick(s.r, badTags)}
	if l.fate == fateAccept {
		rating, tags = 3+s.r.IntN(3), []string{sim.Pick(s.r, goodTags)}
	}
	if _, err := s.db.Review(ctx, l.id, tandem.Review{Rating: rating, Tags: tags}, l.tok); err != nil {
		return err
	}
	s.sum.Reviews++
	return nil
}

// qualify moves an accepted, reached lead on to sql, or sends it back.
func (s *run) qualify(ctx context.Context, l *simLead) error {
	if l.contact && s.r.Float64() < 0.5 {
		if _, err := s.db.MoveLeadAs(ctx, l.id, "sql", "need, budget and time frame confirmed on the discovery call", l.tok); err != nil {
			return err
		}
		l.stage = "sql"
		s.sum.Qualified++
		s.push(s.clk.Now().Add(time.Duration(3+s.r.IntN(12))*24*time.Hour), actOpportunity, l)
		return nil
	}
	return s.letGo(ctx, l, sim.Pick(s.r, []string{"no_budget", "bad_timing", "not_a_fit", "no_response"}))
}

// opportunity opens a deal for a sales qualified lead, or lets it go.
func (s *run) opportunity(ctx context.Context, l *simLead) error {
	if s.r.Float64() >= 0.6 {
		return s.letGo(ctx, l, sim.Pick(s.r, []string{"no_budget", "bad_timing"}))
	}
	if _, err := s.db.MoveLeadAs(ctx, l.id, "opportunity", "proposal sent", l.tok); err != nil {
		return err
	}
	l.stage = "opportunity"
	s.sum.Opportunities++
	page, err := s.db.Deals(ctx, tandem.DealFilter{LeadID: l.id, Stage: tandem.DealOpen})
	if err != nil {
		return err
	}
	if len(page.Deals) == 0 {
		return fmt.Errorf("lead %d entered opportunity and has no open deal", l.id)
	}
	l.deal = page.Deals[0].ID
	s.push(s.clk.Now().Add(time.Duration(14+s.r.IntN(60))*24*time.Hour), actClose, l)
	return nil
}

// closeDeal wins or loses the lead's deal.
func (s *run) closeDeal(ctx context.Context, l *simLead) error {
	l.ended = true
	if s.r.Float64() < 0.35 {
		// Around the agreement's average deal of 12,000, skewed right.
		amount := math.Exp(math.Log(12000) - 0.125 + 0.5*s.r.NormFloat64())
		cents := int64(math.Round(amount/100)) * 100 * 100
		if _, err := s.db.WinDealAs(ctx, l.deal, cents, time.Time{}, l.tok); err != nil {
			return err
		}
		s.sum.Won++
		s.sum.WonCents += cents
		return nil
	}
	if err := s.topUp(ctx, l); err != nil {
		return err
	}
	if _, err := s.db.LoseDealAs(ctx, l.deal, sim.Pick(s.r, lostReasons), l.tok); err != nil {
		return err
	}
	s.sum.Lost++
	return nil
}

// letGo sends an accepted lead back to marketing with a reason, after the
// touches the agreement asks for, or disqualifies it when the rep never got
// that far.
func (s *run) letGo(ctx context.Context, l *simLead, reason string) error {
	l.ended = true
	if l.touches < s.p.Agreement.Sales.MinTouchesBeforeRecycle && !l.contact {
		s.sum.Disqualified++
		_, err := s.db.Decide(ctx, l.id, sqldb.Decision{Decision: tandem.DecisionDisqualified, Reason: "no need after all"}, l.tok)
		return err
	}
	if err := s.topUp(ctx, l); err != nil {
		return err
	}
	s.sum.Rejected++
	_, err := s.db.Decide(ctx, l.id, sqldb.Decision{Decision: tandem.DecisionRejected, Reason: reason}, l.tok)
	return err
}

// topUp logs follow-up calls until the lead has the touches the agreement
// asks for before it goes back to marketing.
func (s *run) topUp(ctx context.Context, l *simLead) error {
	for l.touches < s.p.Agreement.Sales.MinTouchesBeforeRecycle {
		res, err := s.db.LogTouch(ctx, l.id, tandem.Touch{Channel: "call", Outcome: tandem.OutcomeConnected, Note: "follow-up"}, l.tok)
		if err != nil {
			return err
		}
		s.sum.Touches++
		l.touches = res.Handoff.Touches
	}
	return nil
}

// demoCampaign is a campaign of the demo, with its usual monthly spend.
type demoCampaign struct {
	code, name, channel string
	monthly             float64 // in the currency's major unit
	kind                string  // the kind of its extra touches
}

// demoCampaigns are the campaigns leads carry (package sim draws them), one
// left unregistered on purpose: a code nobody registered is still a
// campaign in the report, without spend.
var demoCampaigns = []demoCampaign{
	{"spring-webinar", "Spring webinar series", "email", 4000, tandem.TouchWebinar},
	{"pricing-guide", "Pricing guide download", "paid_search", 6500, tandem.TouchContent},
	{"retargeting-q2", "Retargeting ads", "display", 5200, tandem.TouchAd},
	{"partner-summit", "Partner summit", "referral", 9000, tandem.TouchEvent},
	{"newsletter", "Monthly newsletter", "email", 800, tandem.TouchEmail},
	{"product-launch", "Product launch", "social", 7500, tandem.TouchSocial},
	{"free-trial", "Free trial sign-up", "paid_search", 5800, tandem.TouchForm},
	// case-study-pack: unregistered.
}

// registerCampaigns registers the demo's campaigns, as the marketer, with
// a spend for every month of the simulated year that varies around each
// campaign's usual.
func (s *run) registerCampaigns(ctx context.Context, marketerID int64) error {
	s.marketer = s.tokens[marketerID]
	s.campaigns = demoCampaigns
	start := s.clk.Now()
	for _, c := range demoCampaigns {
		if _, _, err := s.db.SaveCampaign(ctx, tandem.Campaign{Code: c.code, Name: c.name, Channel: c.channel}); err != nil {
			return err
		}
		s.sum.Campaigns++
		for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(s.c.Now); m = m.AddDate(0, 1, 0) {
			amount := c.monthly * (0.7 + 0.6*s.mr.Float64())
			cents := int64(math.Round(amount)) * 100
			sp := tandem.CampaignSpend{Campaign: c.code, Month: m.Format("2006-01"), AmountCents: cents}
			if _, err := s.db.SetCampaignSpend(ctx, sp, s.marketer.Actor()); err != nil {
				return err
			}
		}
	}
	return nil
}

// source makes about 15% of the arrivals leads that sales found by
// prospecting: no campaign, no UTM values.
func (s *run) source(in tandem.LeadInput) {
	if s.mr.Float64() >= 0.15 {
		return
	}
	in.Fields["origin"] = "prospecting"
	in.Fields["source"] = "sdr"
	for _, k := range []string{"campaign", "landing_page", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"} {
		delete(in.Fields, k)
	}
	s.sum.SalesSourced++
}

// nurture plans one to three further marketing touches for about a third
// of marketing's leads, from other campaigns, over the weeks after it came
// in (those that would fall after the end of the simulation are dropped).
func (s *run) nurture(l tandem.Lead) {
	if s.mr.Float64() >= 0.35 {
		return
	}
	at := l.CreatedAt
	for range 1 + s.mr.IntN(3) {
		c := s.campaigns[s.mr.IntN(len(s.campaigns))]
		at = at.Add(time.Duration(2+s.mr.IntN(30)) * 24 * time.Hour).Add(time.Duration(s.mr.IntN(8*60)) * time.Minute)
		if c.code == l.Campaign || at.After(s.c.Now) {
			continue
		}
		s.push(at, actMarketingTouch, &simLead{id: l.ID, mt: &tandem.MarketingTouch{LeadID: l.ID, Campaign: c.code, Origin: c.channel, Kind: c.kind}})
	}
}
