// Package agreement reads, checks and compares the agreement file: the
// written service level agreement between marketing and sales that both heads
// sign. The file is YAML; docs/agreement.md describes every key.
//
// [Parse] turns a file into an [Agreement] or into [Problems] that name every
// mistake by line and column. [Agreement.Lifecycle] compiles the stages and
// their entry rules into the [tandem.Lifecycle] that intake and manual moves
// obey, and [Diff] says in words what changed between two versions, so that
// the heads know what they are signing.
package agreement

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"
	// The time zone database is built in: an agreement must mean the same
	// on every server, including one without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/tandemhq/tandem"
)

// FormatVersion is the version of the file format this package reads.
const FormatVersion = 1

//go:embed default.yaml
var defaultFile []byte

// Default returns the default agreement file, commented for the revenue-ops
// admin who adapts it. It is a fresh copy each time.
func Default() []byte {
	return append([]byte(nil), defaultFile...)
}

// Agreement is a checked agreement file. Every field holds a valid value:
// optional keys that the file leaves out hold their documented defaults.
type Agreement struct {
	// Format is the version of the file format; always [FormatVersion].
	Format      int    `json:"format"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// MarketingMission says what the CEO asks of marketing.
	MarketingMission Mission `json:"marketing_mission"`
	// Stages lists the lifecycle in file order: path stages and exits.
	Stages        []Stage        `json:"stages"`
	RejectReasons []RejectReason `json:"reject_reasons"`
	BusinessHours BusinessHours  `json:"business_hours"`
	Sales         Sales          `json:"sales"`
	Marketing     Marketing      `json:"marketing"`
	// Escalation lists who is told of a breached clock, and when, in order.
	Escalation []EscalationStep `json:"escalation"`
	Routing    Routing          `json:"routing"`
	Funnel     Funnel           `json:"funnel"`
	Goal       Goal             `json:"goal"`

	// Pipeline holds the sales pipeline's deal stages; the default one
	// when the file gives none.
	Pipeline Pipeline `json:"pipeline"`

	at staffPositions // where the keys CheckStaff reports on are written, set by Parse
}

// Mission is what marketing exists to do (seed 004): fill the sales pipeline,
// own a revenue target of its own, or both.
type Mission string

// The marketing missions.
const (
	MissionFillPipeline Mission = "fill_pipeline"
	MissionOwnRevenue   Mission = "own_revenue"
	MissionBoth         Mission = "both"
)

// Missions lists the marketing missions.
var Missions = []Mission{MissionFillPipeline, MissionOwnRevenue, MissionBoth}

// Stage is one step of the lifecycle.
type Stage struct {
	Name string `json:"name"`
	// Definition says in words what a lead in this stage is.
	Definition string `json:"definition"`
	// Entry is the entry rule as written (trimmed), or "" when people
	// decide who enters the stage.
	Entry string `json:"entry,omitempty"`
	// Exit marks a side exit (recycled, disqualified): not on the path.
	Exit bool `json:"exit,omitempty"`
	// Final marks a stage no lead leaves (customer, disqualified).
	Final bool `json:"final,omitempty"`
	// MovesTo lists the stages a manual move may go to from here; nil
	// means the default rule (forward along the path, or out to an exit).
	MovesTo []string `json:"moves_to,omitempty"`

	rule *Rule // Entry compiled, set by Parse
}

// PathStages returns the names of the stages on the path (the stages that are
// not exits), in order. The first is the initial stage.
func (a *Agreement) PathStages() []string {
	var names []string
	for _, s := range a.Stages {
		if !s.Exit {
			names = append(names, s.Name)
		}
	}
	return names
}

// HandoffStage returns the stage whose entry hands a lead to sales (the
// first path stage with an entry rule and a stage after it: the qualified
// leads marketing commits to) and the stage after it, which accepting the
// hand-off moves the lead to. Both are "" when no stage qualifies: such an
// agreement hands nothing to sales and starts no clocks.
func (a *Agreement) HandoffStage() (handoff, accept string) {
	path := a.PathStages()
	for i, name := range path {
		if s, _ := a.Stage(name); s.Entry != "" && i+1 < len(path) {
			return name, path[i+1]
		}
	}
	return "", ""
}

// Stage returns the stage called name.
func (a *Agreement) Stage(name string) (Stage, bool) {
	for _, s := range a.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return Stage{}, false
}

// RejectReason is a code a rep gives when rejecting a hand-off; marketing
// sees the code and its description.
type RejectReason struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// AfterCadence says that a rep may reject for this reason only after
	// the lead has had [Sales.MinTouchesBeforeRecycle] touches (no_response:
	// the cadence is what shows it). A reason false here (duplicate,
	// bad_data) is known at once, and a rep may reject for it within the
	// accept clock. Left out of the file, it is true: the rule every
	// rejection followed before reasons said otherwise.
	AfterCadence bool `json:"after_cadence"`
}

// BusinessHours is the calendar the clocks count in.
type BusinessHours struct {
	// TimeZone is the IANA name; Location is it loaded.
	TimeZone string         `json:"time_zone"`
	Location *time.Location `json:"-"`
	// Days are the working days, Monday first.
	Days []time.Weekday `json:"-"`
	// Open and Close bound the working day; Open < Close.
	Open  TimeOfDay `json:"open"`
	Close TimeOfDay `json:"close"`
	// Holidays is the country (ISO 3166 alpha-2, like "US") whose public
	// holidays are closed, or "" for none.
	Holidays string `json:"holidays,omitempty"`
	// ClosedDates are further days off, in date order.
	ClosedDates []Date `json:"closed_dates,omitempty"`
}

// MarshalJSON writes the calendar with the keys and values of the file.
func (b BusinessHours) MarshalJSON() ([]byte, error) {
	type plain BusinessHours // without this method
	days := make([]string, len(b.Days))
	for i, d := range b.Days {
		days[i] = dayNames[d]
	}
	return json.Marshal(struct {
		plain
		Days []string `json:"days"`
	}{plain(b), days})
}

// DayMinutes returns the length of a business day in minutes: what one "d"
// of a [Span] is worth when spans are compared.
func (b BusinessHours) DayMinutes() int { return int(b.Close - b.Open) }

// TimeOfDay is a time of day in minutes after midnight, written "HH:MM".
// Close may be 24:00.
type TimeOfDay int

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// MarshalText writes the time as HH:MM.
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Date is a calendar day, written YYYY-MM-DD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MarshalText writes the date as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// In returns the midnight that starts the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func (d Date) compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return d.Year - e.Year
	case d.Month != e.Month:
		return int(d.Month) - int(e.Month)
	}
	return d.Day - e.Day
}

// Sales holds what sales owes marketing.
type Sales struct {
	// FirstTouchWithin is the time from hand-off to the first touch.
	FirstTouchWithin Span `json:"first_touch_within"`
	// AcceptWithin is the time from hand-off to accepting or rejecting.
	AcceptWithin Span `json:"accept_within"`
	// HotLeadFirstTouchWithin is the shorter first-touch clock of a hot
	// lead; it defaults to FirstTouchWithin.
	HotLeadFirstTouchWithin Span `json:"hot_lead_first_touch_within"`
	// MinTouchesBeforeRecycle is how many touches a lead gets before a rep
	// may send it back to marketing.
	MinTouchesBeforeRecycle int `json:"min_touches_before_recycle"`
	// Cadence is the follow-up plan from hand-off until contact is made;
	// ConnectedCadence takes over once it is.
	Cadence          []Step `json:"cadence"`
	ConnectedCadence []Step `json:"connected_cadence,omitempty"`
}

// Channel is the way a touch reaches a lead.
type Channel string

// The channels of a cadence step.
const (
	ChannelCall      Channel = "call"
	ChannelVoicemail Channel = "voicemail"
	ChannelEmail     Channel = "email"
	ChannelSocial    Channel = "social"
	ChannelMeeting   Channel = "meeting"
)

// Channels lists the channels.
var Channels = []Channel{ChannelCall, ChannelVoicemail, ChannelEmail, ChannelSocial, ChannelMeeting}

// Step is one touch of a cadence: a channel, when (from the hand-off, or
// from the contact for the connected cadence), and the template to use.
type Step struct {
	Channel  Channel `json:"channel"`
	Offset   Span    `json:"offset"`
	Template string  `json:"template"`
}

func (s Step) String() string {
	return fmt.Sprintf("%s after %s (template %s)", s.Channel, s.Offset, s.Template)
}

// Marketing holds what marketing owes sales.
type Marketing struct {
	// QualifiedLeadsPerMonth is the monthly count of qualified leads
	// handed to sales.
	QualifiedLeadsPerMonth int `json:"qualified_leads_per_month"`
	// QualifiedLeadsBySegment splits that count by lead segment; nil when
	// not split. Its values add up to QualifiedLeadsPerMonth.
	QualifiedLeadsBySegment map[string]int `json:"qualified_leads_by_segment,omitempty"`
	// MinAcceptanceRate is the share of hand-offs sales must accept (0..1);
	// 0 sets no floor.
	MinAcceptanceRate float64 `json:"min_acceptance_rate,omitempty"`
	// MinAverageRating is the floor of sales' review ratings (1..5); 0
	// sets no floor.
	MinAverageRating float64 `json:"min_average_rating,omitempty"`
	// SalesSourced is the rule (in the language of the stages' entry
	// rules) that a lead sales found itself, by prospecting, meets: such
	// a lead is sales-sourced, every other one marketing-sourced. It is
	// [DefaultSalesSourced] when the file leaves it out.
	SalesSourced string `json:"sales_sourced"`

	salesSourced *Rule // SalesSourced compiled, set by Parse
}

// DefaultSalesSourced is the sales-sourced rule of a file that gives none.
const DefaultSalesSourced = `origin == "prospecting"`

// IsSalesSourced reports whether sales found the lead (by the agreement's
// sales_sourced rule) rather than marketing. A rule that fails at run time
// does not hold: the lead is marketing's.
func (m *Marketing) IsSalesSourced(l *tandem.Lead) bool {
	r := m.salesSourced
	if r == nil {
		r = defaultSalesSourced()
	}
	ok, err := r.Eval(l)
	return err == nil && ok
}

// SalesSourcedFields returns the lead fields the sales_sourced rule reads
// (see [Rule.Fields]): a lead loaded with only these gives the same
// [Marketing.IsSalesSourced].
func (m *Marketing) SalesSourcedFields() []string {
	r := m.salesSourced
	if r == nil {
		r = defaultSalesSourced()
	}
	return r.Fields()
}

var defaultSalesSourced = sync.OnceValue(func() *Rule {
	r, err := CompileRule(DefaultSalesSourced)
	if err != nil {
		panic(err)
	}
	return r
})

// EscalationStep says who is told of a breached clock, and how long after
// the breach (0m: at once).
type EscalationStep struct {
	After  Span        `json:"after"`
	Notify tandem.Role `json:"notify"`
}

// EscalationRoles lists the roles an escalation step may notify.
var EscalationRoles = []tandem.Role{tandem.RoleSalesRep, tandem.RoleSalesManager, tandem.RoleSalesHead,
	tandem.RoleMarketingHead, tandem.RoleExecutive, tandem.RoleAdmin}

// RoutingMethod is how a hand-off finds its rep.
type RoutingMethod string

// The routing methods.
const (
	RoundRobin RoutingMethod = "round_robin" // each available rep in turn
	Weighted   RoutingMethod = "weighted"    // in proportion to each rep's weight, kept on the user (default 1)
	ByField    RoutingMethod = "by_field"    // to the team that [Routing.Teams] names for the lead's field value
)

// RoutingMethods lists the routing methods.
var RoutingMethods = []RoutingMethod{RoundRobin, Weighted, ByField}

// Routing says how hand-offs are given to reps.
type Routing struct {
	Method RoutingMethod `json:"method"`
	// Field is the lead field whose value picks the rep, for ByField.
	Field string `json:"field,omitempty"`
	// Teams maps a value of Field to the team whose available reps get the
	// lead, for ByField; a lead whose value is not listed, or empty, goes
	// to any available rep. nil when the file gives none.
	Teams map[string]string `json:"teams,omitempty"`
	// Capacity caps each rep's open leads; 0 means no cap.
	Capacity int `json:"capacity"`
}

// Assumption is a funnel figure: either a fixed number the heads agreed, or
// derived from the history of leads and deals.
type Assumption struct {
	Value   float64
	History bool
}

func (a Assumption) String() string {
	if a.History {
		return "history"
	}
	return formatNumber(a.Value)
}

// MarshalJSON writes the assumption as in the file: a number, or "history".
func (a Assumption) MarshalJSON() ([]byte, error) {
	if a.History {
		return []byte(`"history"`), nil
	}
	return json.Marshal(a.Value)
}

// Fixed returns a fixed assumption.
func Fixed(v float64) Assumption { return Assumption{Value: v} }

// FromHistory is the assumption derived from history.
var FromHistory = Assumption{History: true}

// StagePair names a stage-to-stage conversion, written "mql_to_sal".
type StagePair struct{ From, To string }

func (p StagePair) String() string { return p.From + "_to_" + p.To }

// MarshalText writes the pair as in the file, so that a map of pairs is a
// JSON object.
func (p StagePair) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Funnel holds the funnel assumptions that the plan works back from.
type Funnel struct {
	AverageDealSize Assumption `json:"average_deal_size"`
	// CloseRate is the share of the last path stage's predecessor
	// (opportunity) that reaches the last path stage (customer).
	CloseRate Assumption `json:"close_rate"`
	// SalesCycleDays is the calendar days from hand-off to a won deal.
	SalesCycleDays Assumption `json:"sales_cycle_days"`
	// Conversion holds the other neighbouring path stages' rates; a pair
	// that is missing is derived from history.
	Conversion map[StagePair]Assumption `json:"conversion,omitempty"`
	// Tolerance is the relative drift of an actual from its assumption
	// beyond which a jeopardy alert is raised (0.2: 20%).
	Tolerance float64 `json:"tolerance"`
}

// DefaultTolerance is the funnel tolerance when the file gives none.
const DefaultTolerance = 0.2

// Period is the length of a goal period.
type Period string

// The goal periods.
const (
	Month   Period = "month"
	Quarter Period = "quarter"
	Year    Period = "year"
)

// Periods lists the goal periods.
var Periods = []Period{Month, Quarter, Year}

// KPI is the one number both teams are measured by.
type KPI string

// The unified KPIs.
const (
	KPINewCustomers  KPI = "new_customers" // leads that reach the last path stage
	KPIRevenue       KPI = "revenue"       // amount of won deals
	KPIOpportunities KPI = "opportunities" // leads that reach the stage before it
)

// KPIs lists the unified KPIs.
var KPIs = []KPI{KPINewCustomers, KPIRevenue, KPIOpportunities}

// Goal is the revenue goal per period, the share of it expected from
// marketing's leads, and the unified KPI.
type Goal struct {
	Period         Period  `json:"period"`
	Revenue        float64 `json:"revenue"`
	MarketingShare float64 `json:"marketing_share"`
	UnifiedKPI     KPI     `json:"unified_kpi"`
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
