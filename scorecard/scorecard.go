// Package scorecard computes the monthly accountability report both teams
// and the executives read: the unified KPI first, revenue against the goal,
// marketing and sales each against what they signed, the funnel by stage
// and by source, campaign ROI, the reasons sales rejected hand-offs, the
// review ratings by campaign, the period's jeopardy alerts, and an agenda
// that lists the largest shortfalls first. It is pure: package report
// gathers the input from the store, and this package renders the result as
// JSON, CSV and one self-contained HTML page.
package scorecard

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sla"
)

// Who owns a commitment or an agenda item.
const (
	Marketing = "marketing"
	Sales     = "sales"
	Both      = "both"
)

// Statuses of a scorecard.
const (
	StatusNoAgreement = "no_agreement"
	StatusRunning     = "running"
	StatusComplete    = "complete"
)

// Units of a figure, for formatting.
const (
	UnitCount  = "count"
	UnitMoney  = "money" // in the currency's major unit
	UnitShare  = "share" // 0..1
	UnitRating = "rating"
)

// Scorecard is one period's scorecard. Shares are between 0 and 1; money is
// in the currency's major unit, to the cent. A figure with nothing to
// measure is not judged (Judged false).
type Scorecard struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"` // exclusive
	// AsOf is when the numbers were computed. A period that has ended is
	// Complete; its scorecard is frozen the first time it is computed
	// after the end (FrozenAt), and read back unchanged ever after.
	AsOf     time.Time `json:"as_of"`
	Complete bool      `json:"complete"`
	FrozenAt time.Time `json:"frozen_at,omitzero"`
	// Status says how to read the figures: StatusNoAgreement (no signed
	// agreement was in force: the figures are described, nothing is
	// judged), StatusRunning (the period has not ended: volumes are not
	// judged yet) or StatusComplete.
	Status string `json:"status"`
	// DaysElapsed and DaysTotal are the period's calendar days so far and
	// in all, in the agreement's time zone (today counts as elapsed).
	DaysElapsed int `json:"days_elapsed"`
	DaysTotal   int `json:"days_total"`
	// AgreementVersion is the version whose commitments are measured, nil
	// for the default agreement.
	AgreementVersion *int              `json:"agreement_version"`
	Mission          agreement.Mission `json:"mission"`

	// Target is the period's one target (pace.NewTarget over the
	// company's plan): the unified KPI's target is its value, and the
	// funnel page, tandem pace and the alerts measure against the same.
	// ActionItems are the previous period's meeting's action items and
	// how they stood at AsOf ("3 of 5 done; 2 overdue"): the scorecard
	// opens with them (docs/meeting.md). Nil when the store was not asked.
	ActionItems *meeting.Carried `json:"action_items,omitempty"`
	Target      pace.Target      `json:"target"`
	KPI         KPI              `json:"kpi"`
	Revenue     Revenue          `json:"revenue"`
	Commitments []Commitment     `json:"commitments"`
	Segments    []Segment        `json:"segments"`
	Funnel      []Stage          `json:"funnel"`
	BySource    []Source         `json:"by_source"`
	Campaigns   []Campaign       `json:"campaigns"`
	// Sourcing is the share of the period's leads, opportunities and won
	// revenue that marketing sourced, against the agreement's
	// goal.marketing_share; nil when the store could not tell.
	Sourcing   *attribution.Sourcing `json:"sourcing"`
	Rejections []Reason              `json:"rejections"`
	Ratings    []Rating              `json:"ratings"`
	// Content is what the content library did in the period
	// (docs/content.md).
	Content Content          `json:"content"`
	Alerts  []jeopardy.Alert `json:"alerts"`
	Agenda  []Item           `json:"agenda"`
	// Notes say in words what the numbers rest on that is weak.
	Notes []string `json:"notes"`
}

// KPI is the unified KPI the agreement names, against its target for the
// period: the whole goal's (not only marketing's share).
type KPI struct {
	Name   agreement.KPI `json:"name"`
	Unit   string        `json:"unit"`
	Actual float64       `json:"actual"`
	Target float64       `json:"target"`
	// Attainment is Actual ÷ Target (0 when there is no target).
	Attainment float64 `json:"attainment"`
}

// Revenue is won revenue against the goal.
type Revenue struct {
	Goal          float64 `json:"goal"`
	MarketingGoal float64 `json:"marketing_goal"`
	Won           float64 `json:"won"`
	WonDeals      int     `json:"won_deals"`
	LostDeals     int     `json:"lost_deals"`
	// MarketingWon is the won revenue of marketing-sourced leads, when the
	// store can tell (nil otherwise).
	MarketingWon *float64 `json:"marketing_won"`
	Attainment   float64  `json:"attainment"` // Won ÷ Goal
}

// Commitment is one promise of the agreement and how the period kept it.
type Commitment struct {
	Owner string `json:"owner"` // marketing or sales
	// Name is stable for machines (qualified_leads, acceptance_rate,
	// average_rating, first_touch_in_time, decided_in_time,
	// cadence_on_time); Label is for people.
	Name   string  `json:"name"`
	Label  string  `json:"label"`
	Unit   string  `json:"unit"`
	Target float64 `json:"target"`
	Actual float64 `json:"actual"`
	// Samples is what Actual was measured on (hand-offs, decisions,
	// ratings, due steps); 0 leaves the commitment unjudged.
	Samples int  `json:"samples"`
	Judged  bool `json:"judged"`
	Met     bool `json:"met"`
	// Deviation is (Actual − Target) ÷ Target: -0.2 is 20% short.
	Deviation float64 `json:"deviation"`
}

// Segment is marketing's volume in one lead segment, when the agreement
// splits its commitment by segment.
type Segment = sla.SegmentRow

// Stage is one path stage of the funnel in the period: the leads that
// entered it against the plan, the leads that went on from it to the next
// stage in the period, and the period's conversion against the rate the
// plan assumes.
type Stage struct {
	Stage   string `json:"stage"`
	Entered int    `json:"entered"`
	Planned int64  `json:"planned"`
	// MovedOn is the leads that went on from this stage to the next in
	// the period (having entered this one at any time: sqldb.DB.MovedOn).
	MovedOn int `json:"moved_on"`
	// Conversion is the period's: MovedOn ÷ Entered. With a steady flow
	// it is the stage's rate; it is not 0 when leads went on in the period,
	// and it may pass 100% when more leads of earlier periods went on than
	// entered in this one.
	Conversion float64 `json:"conversion"`
	// ReachedNext is the cohort's count: of the leads that entered this
	// stage in the period, those that have reached the next one so far;
	// CohortConversion is ReachedNext ÷ Entered. A young cohort's is low
	// until its leads have had time to go on.
	ReachedNext      int     `json:"reached_next"`
	CohortConversion float64 `json:"cohort_conversion"`
	// PlannedRate is the plan's rate from this stage to the next (0 for
	// the last stage).
	PlannedRate float64 `json:"planned_rate"`
}

// Source is the funnel of the leads of one source (their origin).
type Source struct {
	Source string  `json:"source"`
	Stages []Stage `json:"stages"`
}

// Campaign is one campaign's return in the period.
type Campaign struct {
	Campaign  string   `json:"campaign"`
	Spend     float64  `json:"spend"`
	Leads     int      `json:"leads"`
	MQLs      int      `json:"mqls"`
	Customers int      `json:"customers"`
	Revenue   float64  `json:"revenue"` // attributed by Model
	Model     string   `json:"model"`
	ROI       *float64 `json:"roi"` // (Revenue − Spend) ÷ Spend; nil without spend
}

// Reason is one reject reason and how often sales gave it in the period.
type Reason struct {
	Code        string  `json:"code"`
	Description string  `json:"description"`
	Count       int     `json:"count"`
	Share       float64 `json:"share"` // of the period's rejections
}

// Rating is the review ratings of one campaign's leads in the period.
type Rating struct {
	Campaign string  `json:"campaign"`
	Ratings  int     `json:"ratings"`
	Average  float64 `json:"average"`
}

// Content is the period's content section: each item's use and effect
// (docs/content.md defines the figures), and the live items sales did not
// use.
type Content struct {
	Lines []ContentLine `json:"lines"`
	// Unused lists the live items not used in the period; NeverUsed those
	// (live or retired) nobody has ever used.
	Unused    []string `json:"unused"`
	NeverUsed []string `json:"never_used"`
	Model     string   `json:"model"` // of Revenue
}

// ContentLine is one content item's figures in the period.
type ContentLine struct {
	Code        string  `json:"code"`
	Title       string  `json:"title"`
	Kind        string  `json:"kind"`
	Uses        int     `json:"uses"`
	Users       int     `json:"users"` // how many people used it
	Leads       int     `json:"leads"`
	ConnectRate float64 `json:"connect_rate"`
	ReplyRate   float64 `json:"reply_rate"`
	AcceptRate  float64 `json:"accept_rate"`
	SQLRate     float64 `json:"sql_rate"`
	// CustomerRate is the share of the leads reached that became
	// customers after the first use.
	CustomerRate float64 `json:"customer_rate"`
	Revenue      float64 `json:"revenue"` // influenced, under Content.Model
	Clicks       int     `json:"clicks"`
	Useful       int     `json:"useful"`
	NotUseful    int     `json:"not_useful"`
}

// Rated is how many ratings the item got in the period.
func (c ContentLine) Rated() int { return c.Useful + c.NotUseful }

// Item is one line of the meeting's agenda: a shortfall, largest first.
type Item struct {
	Owner     string  `json:"owner"`
	Topic     string  `json:"topic"`
	Text      string  `json:"text"`
	Deviation float64 `json:"deviation"`
}

// MaxAgenda is how many items the agenda lists.
const MaxAgenda = 10

// Input is what a scorecard is computed from.
type Input struct {
	Period calendar.Period
	Now    time.Time
	// Agreement is the agreement measured against, never nil: the parsed
	// default agreement when none is signed (AgreementVersion nil).
	Agreement        *agreement.Agreement
	AgreementVersion *int
	// Plan is marketing's plan for the period; Company the same goal with
	// all of it from marketing (share 1), which gives the KPI's target.
	Plan, Company plan.Plan
	// SLA is the period's SLA report; nil when no signed agreement starts
	// hand-offs (sales' commitments are then not measured).
	SLA *sla.Report
	// Funnel is the period's cohort of all leads; BySource one per origin.
	Funnel   plan.Cohort
	BySource []plan.Cohort
	// MovedOn counts the leads that went on from each path stage but the
	// last in the period (sqldb.DB.MovedOn); MovedOnBySource the same per
	// origin, as BySource.
	MovedOn         []int
	MovedOnBySource map[string][]int
	// NoAgreement says that no signed agreement was in force at the
	// period's end (or now, while it runs): the figures are described and
	// nothing is judged, for there was nothing agreed to judge them by.
	// FirstAgreement is when the first one came into force, if one has.
	NoAgreement    bool
	FirstAgreement time.Time
	// LostDeals counts the deals lost in the period.
	LostDeals int
	// MarketingWon is the won revenue of marketing-sourced leads in cents,
	// when known.
	MarketingWon *int64
	// Rejections counts the period's rejected hand-offs by reason code.
	Rejections map[string]int
	// Ratings are the period's reviews by campaign ("" for none).
	Ratings   []Rating
	Campaigns []Campaign
	Sourcing  *attribution.Sourcing
	Alerts    []jeopardy.Alert
	// Content is the content section, computed by package content.
	Content Content
	// PreviousPeriod names the period before Period and ActionItems are
	// its meeting's items (none recorded: empty); PreviousPeriod "" leaves
	// Scorecard.ActionItems nil.
	PreviousPeriod string
	ActionItems    []meeting.Item
}

// Compute computes the scorecard.
func Compute(in Input) Scorecard {
	a := in.Agreement
	sc := Scorecard{Period: in.Period.Name, From: in.Period.From, To: in.Period.To, AsOf: in.Now.UTC(),
		Complete: !in.Now.Before(in.Period.To), AgreementVersion: in.AgreementVersion, Mission: a.MarketingMission,
		Commitments: []Commitment{}, Segments: []Segment{}, Funnel: []Stage{}, BySource: []Source{}, Campaigns: in.Campaigns,
		Rejections: []Reason{}, Ratings: in.Ratings, Alerts: in.Alerts, Agenda: []Item{}, Notes: []string{}, Sourcing: in.Sourcing,
		Content: in.Content}
	if sc.Content.Lines == nil {
		sc.Content.Lines = []ContentLine{}
	}
	if sc.Content.Unused == nil {
		sc.Content.Unused = []string{}
	}
	if sc.Content.NeverUsed == nil {
		sc.Content.NeverUsed = []string{}
	}
	if sc.Campaigns == nil {
		sc.Campaigns = []Campaign{}
	}
	if sc.Ratings == nil {
		sc.Ratings = []Rating{}
	}
	if sc.Alerts == nil {
		sc.Alerts = []jeopardy.Alert{}
	}
	var won int64
	for _, d := range in.Funnel.Won {
		won += d.AmountCents
	}
	sc.Revenue = Revenue{Goal: in.Plan.Goal.Revenue, MarketingGoal: in.Plan.MarketingRevenue, Won: cents(won),
		WonDeals: len(in.Funnel.Won), LostDeals: in.LostDeals, Attainment: ratio(cents(won), in.Plan.Goal.Revenue)}
	if in.MarketingWon != nil {
		v := cents(*in.MarketingWon)
		sc.Revenue.MarketingWon = &v
	}
	loc := in.Agreement.BusinessHours.Location
	if loc == nil {
		loc = time.UTC
	}
	sc.DaysTotal = pace.Days(in.Period.From, in.Period.To, loc)
	switch {
	case sc.Complete:
		sc.DaysElapsed = sc.DaysTotal
	case in.Now.After(in.Period.From):
		sc.DaysElapsed = pace.Days(in.Period.From, in.Now, loc) + 1
	}
	sc.Status = StatusComplete
	if !sc.Complete {
		sc.Status = StatusRunning
	}
	if in.NoAgreement {
		sc.Status = StatusNoAgreement
	}
	sc.Target = pace.NewTarget(a.Goal.UnifiedKPI, in.Company)
	sc.KPI = kpi(sc.Target, in.Funnel, sc.Revenue.Won)
	sc.Funnel = funnel(in.Funnel, in.MovedOn, in.Plan)
	for _, c := range in.BySource {
		stages := funnel(c, in.MovedOnBySource[c.Group], in.Plan)
		for i := range stages {
			stages[i].Planned = 0 // the plan is for all leads, not for one source
		}
		sc.BySource = append(sc.BySource, Source{Source: cmp.Or(c.Group, "(none)"), Stages: stages})
	}
	if in.PreviousPeriod != "" {
		c := meeting.Carry(in.PreviousPeriod, in.ActionItems, sc.AsOf)
		sc.ActionItems = &c
	}
	sc.Commitments, sc.Segments = commitments(in.SLA, sc.Complete)
	sc.Rejections = reasons(in.Rejections, a)
	if in.NoAgreement {
		describeOnly(&sc)
		when := "no agreement had been signed"
		if !in.FirstAgreement.IsZero() {
			when = "the first agreement came into force on " + in.FirstAgreement.In(loc).Format(time.DateOnly)
		}
		sc.Notes = append(sc.Notes, fmt.Sprintf("%s had no agreement in force (%s): its figures are described, and nothing is judged against targets nobody had agreed", sc.Period, when))
	} else {
		sc.Agenda = agenda(sc)
		if in.SLA == nil {
			sc.Notes = append(sc.Notes, "no signed agreement starts hand-offs: the commitments of both teams are not measured")
		}
		sc.Notes = append(sc.Notes, in.Plan.Warnings...)
	}
	if !sc.Complete {
		sc.Notes = append(sc.Notes, fmt.Sprintf("%s is running (day %d of %d): the figures are so far, and volumes (the unified KPI, revenue, qualified leads, leads entering each stage) are judged when it ends", sc.Period, sc.DaysElapsed, sc.DaysTotal))
	}
	return sc
}

// describeOnly takes the judgement out of a scorecard of a period with no
// agreement in force: no target, no commitment judged, no agenda. The
// figures stay.
func describeOnly(sc *Scorecard) {
	sc.Target = pace.Target{}
	sc.KPI.Target, sc.KPI.Attainment = 0, 0
	sc.Revenue.Goal, sc.Revenue.MarketingGoal, sc.Revenue.Attainment = 0, 0, 0
	for i := range sc.Commitments {
		c := &sc.Commitments[i]
		c.Target, c.Judged, c.Met, c.Deviation = 0, false, false, 0
	}
	for i := range sc.Funnel {
		sc.Funnel[i].Planned, sc.Funnel[i].PlannedRate = 0, 0
	}
	for i := range sc.BySource {
		for j := range sc.BySource[i].Stages {
			sc.BySource[i].Stages[j].PlannedRate = 0
		}
	}
	if sc.Sourcing != nil {
		so := *sc.Sourcing
		so.MarketingShareGoal = 0
		sc.Sourcing = &so
	}
	sc.Agenda = []Item{}
}

// kpi measures the unified KPI against the period's target: the entries
// into the target's stage, or won revenue.
func kpi(t pace.Target, c plan.Cohort, won float64) KPI {
	k := KPI{Name: t.KPI, Unit: UnitCount, Target: t.Value}
	if t.Unit == pace.UnitMoney {
		k.Unit, k.Actual = UnitMoney, won
	} else {
		for _, s := range c.Stages {
			if s.Stage == t.Stage {
				k.Actual = float64(s.Entered)
			}
		}
	}
	k.Attainment = ratio(k.Actual, k.Target)
	return k
}

// funnel lays a cohort's stages against the plan, with the leads that
// went on from each stage in the period (movedOn[i] for stage i).
func funnel(c plan.Cohort, movedOn []int, p plan.Plan) []Stage {
	planned := map[string]plan.Stage{}
	for _, s := range p.Stages {
		planned[s.Stage] = s
	}
	out := make([]Stage, len(c.Stages))
	for i, s := range c.Stages {
		out[i] = Stage{Stage: s.Stage, Entered: s.Entered, Planned: planned[s.Stage].Needed, ReachedNext: s.ReachedNext,
			CohortConversion: ratio(float64(s.ReachedNext), float64(s.Entered))}
		if i < len(movedOn) {
			out[i].MovedOn = movedOn[i]
		}
		out[i].Conversion = ratio(float64(out[i].MovedOn), float64(s.Entered))
		if i+1 < len(c.Stages) {
			if ps, ok := planned[s.Stage]; ok && ps.RateName != plan.AverageDealSize {
				out[i].PlannedRate = ps.Rate.Value
			}
		} else {
			out[i].Conversion, out[i].ReachedNext, out[i].CohortConversion, out[i].MovedOn = 0, 0, 0, 0
		}
	}
	return out
}

// commitments measures both sides from the SLA report.
func commitments(r *sla.Report, complete bool) ([]Commitment, []Segment) {
	cs := []Commitment{}
	if r == nil {
		return cs, []Segment{}
	}
	m := r.Marketing
	// Volume is judged once the period is complete (sla.Report's rule).
	cs = append(cs, judge(Commitment{Owner: Marketing, Name: "qualified_leads", Label: "qualified leads handed to sales", Unit: UnitCount,
		Target: float64(m.Commitment), Actual: float64(m.QualifiedLeads), Samples: m.QualifiedLeads}, complete && m.Commitment > 0))
	if m.MinAcceptanceRate > 0 {
		cs = append(cs, judge(Commitment{Owner: Marketing, Name: "acceptance_rate", Label: "hand-offs accepted by sales", Unit: UnitShare,
			Target: m.MinAcceptanceRate, Actual: m.AcceptanceRate, Samples: m.Decided}, m.Decided > 0))
	}
	if m.MinAverageRating > 0 {
		cs = append(cs, judge(Commitment{Owner: Marketing, Name: "average_rating", Label: "average review rating", Unit: UnitRating,
			Target: m.MinAverageRating, Actual: m.AverageRating, Samples: m.Ratings}, m.Ratings > 0))
	}
	t := r.Total
	touched := t.TouchMeasured()
	cs = append(cs, judge(Commitment{Owner: Sales, Name: "first_touch_in_time", Label: "hand-offs touched within the first-touch clock", Unit: UnitShare,
		Target: 1, Actual: t.TouchedInTimeShare, Samples: touched}, touched > 0))
	decided := t.DecideMeasured()
	cs = append(cs, judge(Commitment{Owner: Sales, Name: "decided_in_time", Label: "hand-offs accepted or rejected within the accept clock", Unit: UnitShare,
		Target: 1, Actual: t.DecidedInTimeShare, Samples: decided}, decided > 0))
	steps := t.StepTotals()
	cs = append(cs, judge(Commitment{Owner: Sales, Name: "cadence_on_time", Label: "cadence steps done on time", Unit: UnitShare,
		Target: 1, Actual: steps.OnTimeShare, Samples: steps.Due()}, steps.Due() > 0))
	segs := m.BySegment
	if segs == nil {
		segs = []Segment{}
	}
	return cs, segs
}

func judge(c Commitment, judged bool) Commitment {
	c.Actual = round4(c.Actual)
	c.Judged = judged
	if judged {
		c.Met = c.Actual >= c.Target
		c.Deviation = round4(ratio(c.Actual-c.Target, c.Target))
	}
	return c
}

// reasons lists the rejections by reason, most frequent first, with the
// agreement's description of each code.
func reasons(counts map[string]int, a *agreement.Agreement) []Reason {
	total := 0
	for _, n := range counts {
		total += n
	}
	out := []Reason{}
	for code, n := range counts {
		r := Reason{Code: code, Count: n, Share: round4(ratio(float64(n), float64(total)))}
		for _, rr := range a.RejectReasons {
			if rr.Code == code {
				r.Description = rr.Description
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y Reason) int { return cmp.Or(y.Count-x.Count, cmp.Compare(x.Code, y.Code)) })
	return out
}

// agenda lists the shortfalls, largest first: commitments not met, the
// KPI and revenue short of their targets, stages short of the plan, rates
// short of the plan's, and the alerts raised.
func agenda(sc Scorecard) []Item {
	var items []Item
	for _, c := range sc.Commitments {
		if c.Judged && !c.Met {
			items = append(items, Item{Owner: c.Owner, Topic: c.Name, Deviation: c.Deviation,
				Text: fmt.Sprintf("%s: %s against %s (%s)", c.Label, format(c.Unit, c.Actual), format(c.Unit, c.Target), signedPct(c.Deviation))})
		}
	}
	// Volumes are judged when the period ends: a running month is not
	// short of a target it still has days to reach.
	if k := sc.KPI; sc.Complete && k.Target > 0 && k.Actual < k.Target {
		d := round4((k.Actual - k.Target) / k.Target)
		items = append(items, Item{Owner: Both, Topic: "kpi", Deviation: d,
			Text: fmt.Sprintf("the unified KPI, %s: %s against %s (%s)", strings.ReplaceAll(string(k.Name), "_", " "), format(k.Unit, k.Actual), format(k.Unit, k.Target), signedPct(d))})
	}
	if r := sc.Revenue; sc.Complete && r.Goal > 0 && r.Won < r.Goal && sc.KPI.Name != agreement.KPIRevenue {
		d := round4((r.Won - r.Goal) / r.Goal)
		items = append(items, Item{Owner: Both, Topic: "revenue", Deviation: d,
			Text: fmt.Sprintf("won revenue: %s against the goal of %s (%s)", format(UnitMoney, r.Won), format(UnitMoney, r.Goal), signedPct(d))})
	}
	if so := sc.Sourcing; so != nil && so.RevenueShare != nil && so.MarketingShareGoal > 0 && *so.RevenueShare < so.MarketingShareGoal {
		d := round4((*so.RevenueShare - so.MarketingShareGoal) / so.MarketingShareGoal)
		items = append(items, Item{Owner: Marketing, Topic: "marketing_share", Deviation: d,
			Text: fmt.Sprintf("won revenue from marketing-sourced leads: %s of it against the %s the agreement expects (%s)",
				format(UnitShare, *so.RevenueShare), format(UnitShare, so.MarketingShareGoal), signedPct(d))})
	}
	for _, s := range sc.Funnel {
		if s.Planned > 0 && int64(s.Entered) < s.Planned && sc.Complete {
			d := round4((float64(s.Entered) - float64(s.Planned)) / float64(s.Planned))
			items = append(items, Item{Owner: stageOwner(sc, s.Stage), Topic: "stage:" + s.Stage, Deviation: d,
				Text: fmt.Sprintf("leads entering %s: %s against the plan's %s (%s)", s.Stage, format(UnitCount, float64(s.Entered)),
					format(UnitCount, float64(s.Planned)), signedPct(d))})
		}
		if s.PlannedRate > 0 && s.Entered >= plan.MinSamples && s.Conversion < s.PlannedRate {
			d := round4((float64(s.MovedOn)/float64(s.Entered) - s.PlannedRate) / s.PlannedRate)
			items = append(items, Item{Owner: stageOwner(sc, s.Stage), Topic: "conversion:" + s.Stage, Deviation: d,
				Text: fmt.Sprintf("conversion from %s (went on in the period ÷ entered in the period): %s against the plan's %s (%s)", s.Stage, format(UnitShare, s.Conversion),
					format(UnitShare, s.PlannedRate), signedPct(d))})
		}
	}
	for _, al := range sc.Alerts {
		d := 0.0
		if len(al.Figures) > 0 {
			d = al.Figures[0].Drift
		}
		items = append(items, Item{Owner: Both, Topic: "alert:" + string(al.Cause), Deviation: d, Text: "jeopardy alert: " + al.Summary})
	}
	// Largest shortfall first; ties in a stable order.
	slices.SortStableFunc(items, func(x, y Item) int {
		return cmp.Or(cmp.Compare(x.Deviation, y.Deviation), cmp.Compare(x.Topic, y.Topic))
	})
	if len(items) > MaxAgenda {
		items = items[:MaxAgenda]
	}
	if items == nil {
		items = []Item{}
	}
	return items
}

// stageOwner says whose stage it is: marketing's up to the hand-off stage,
// sales' after.
func stageOwner(sc Scorecard, stage string) string {
	for i, s := range sc.Funnel {
		if s.Stage == stage {
			if i <= 1 {
				return Marketing
			}
			return Sales
		}
	}
	return Both
}

func ratio(x, y float64) float64 {
	if y == 0 || math.IsNaN(x) || math.IsNaN(y) {
		return 0
	}
	return round4(x / y)
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

func cents(c int64) float64 { return float64(c) / 100 }

// EmptyCohort is the cohort of a period in which nothing happened.
func EmptyCohort(period string, stages []string) plan.Cohort {
	c := plan.Cohort{Period: period, Stages: make([]plan.StageCount, len(stages))}
	for i, s := range stages {
		c.Stages[i].Stage = s
	}
	return c
}
