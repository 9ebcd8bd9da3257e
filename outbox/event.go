// Package outbox defines the events Tandem writes to its outbox: every
// ledger event and every notification, as a typed, versioned record whose
// data is documented JSON (docs/events.md), written in the transaction of
// the change it reports. It also says how an event reads to a person
// ([Notice]) and what a channel is ([Channel]): the in-app inbox, email,
// chat, and next outgoing webhooks each render the same events.
//
// The package is pure: it knows no database, network or clock.
package outbox

import (
	"encoding/json"
	"time"

	"github.com/tandemhq/tandem"
)

// Event types. A type's data keeps its fields and their meaning for as
// long as its version stays the same; a change a reader could trip over
// gets a new version (see docs/events.md).
const (
	LeadCreated      = "lead.created"
	LeadUpdated      = "lead.updated"
	LeadStageChanged = "lead.stage_changed"
	LeadTouched      = "lead.touched"
	LeadReviewed     = "lead.reviewed"
	LeadNoted        = "lead.noted"
	HandoffStarted   = "handoff.started"
	HandoffAssigned  = "handoff.assigned"
	ClockBreached    = "clock.breached"
	DealOpened       = "deal.opened"
	DealUpdated      = "deal.updated"
	DealStageChanged = "deal.stage_changed"
	DealWon          = "deal.won"
	DealLost         = "deal.lost"
	EscalationSent   = "escalation.sent"
	AlertRaised      = "alert.raised"
	AgreementInForce = "agreement.in_force"
	ActionItemAdded  = "action_item.created"
	ActionItemDone   = "action_item.done"
)

// Version is the version of every type's data today.
const Version = 1

// ledgerTypes maps the ledger's event types to the outbox's.
var ledgerTypes = map[string]string{
	tandem.EventCreated:          LeadCreated,
	tandem.EventUpdated:          LeadUpdated,
	tandem.EventStageChanged:     LeadStageChanged,
	tandem.EventTouched:          LeadTouched,
	tandem.EventReviewed:         LeadReviewed,
	tandem.EventNoted:            LeadNoted,
	tandem.EventHandedOff:        HandoffStarted,
	tandem.EventAssigned:         HandoffAssigned,
	tandem.EventBreached:         ClockBreached,
	tandem.EventDealOpened:       DealOpened,
	tandem.EventDealUpdated:      DealUpdated,
	tandem.EventDealStageChanged: DealStageChanged,
	tandem.EventDealWon:          DealWon,
	tandem.EventDealLost:         DealLost,
}

// Types lists every event type, in the order docs/events.md lists them.
func Types() []string {
	return []string{LeadCreated, LeadUpdated, LeadStageChanged, LeadTouched, LeadReviewed, LeadNoted, HandoffStarted, HandoffAssigned,
		ClockBreached, DealOpened, DealUpdated, DealStageChanged, DealWon, DealLost, EscalationSent, AlertRaised, AgreementInForce,
		ActionItemAdded, ActionItemDone}
}

// Event is one row of the outbox.
type Event struct {
	ID      int64  `json:"id"`
	Type    string `json:"type"`
	Version int    `json:"version"`
	// LeadID is the lead the event is about, 0 for none (an alert, an
	// agreement); LedgerID the ledger event it reports, 0 for none.
	LeadID     int64           `json:"lead_id,omitempty"`
	LedgerID   int64           `json:"ledger_id,omitempty"`
	Data       json.RawMessage `json:"data"`
	OccurredAt time.Time       `json:"occurred_at"`
	CreatedAt  time.Time       `json:"created_at"`
}

// New returns an event of type typ about lead (0 for none) with data
// encoded as JSON.
func New(typ string, lead int64, occurred time.Time, data any) (Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	return Event{Type: typ, Version: Version, LeadID: lead, Data: b, OccurredAt: occurred}, nil
}

// Ledger is the data of an event that reports a ledger event: who made
// the change and why, the fields it set, and what an SLA or deal event
// records besides (tandem.Event's Detail).
type Ledger struct {
	Actor            string               `json:"actor"`
	Reason           string               `json:"reason,omitempty"`
	AgreementVersion int                  `json:"agreement_version,omitempty"`
	Changes          []tandem.FieldChange `json:"changes,omitempty"`
	Rule             string               `json:"rule,omitempty"`
	Detail           map[string]string    `json:"detail,omitempty"`
}

// LedgerType returns the outbox type of a ledger type, and false for one
// the outbox does not know.
func LedgerType(ledgerType string) (string, bool) {
	t, ok := ledgerTypes[ledgerType]
	return t, ok
}

// FromLedger returns the outbox event that reports the ledger event e, and
// false for a ledger type the outbox does not know.
func FromLedger(e tandem.Event) (Event, bool) {
	typ, ok := ledgerTypes[e.Type]
	if !ok {
		return Event{}, false
	}
	ev, err := New(typ, e.LeadID, e.OccurredAt, Ledger{Actor: e.Actor, Reason: e.Reason, AgreementVersion: e.AgreementVersion,
		Changes: e.Changes, Rule: e.Rule, Detail: e.Detail})
	if err != nil { // a Ledger always encodes
		return Event{}, false
	}
	ev.LedgerID = e.ID
	return ev, true
}

// Recipient is a person an event tells.
type Recipient struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

// Escalation is the data of an escalation.sent event: a step of the
// agreement's escalation told its role of a clock still unmet.
type Escalation struct {
	Handoff int64 `json:"handoff"`
	// Clock is first_touch, accept or step; Step, Channel and Template
	// name the cadence step of a step clock.
	Clock    string    `json:"clock"`
	Step     int       `json:"step,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	Template string    `json:"template,omitempty"`
	DueAt    time.Time `json:"due_at"`
	// HandedOffAt is when the hand-off started; TimeZone the agreement's
	// business-hours zone, in which the text shows times.
	HandedOffAt time.Time `json:"handed_off_at"`
	TimeZone    string    `json:"time_zone"`
	// Level is the step's place in the escalation (1 for the first) of
	// Levels; Role the role it tells.
	Level  int    `json:"level"`
	Levels int    `json:"levels"`
	Role   string `json:"role"`
	// Owner is the lead's owner's email, "" when the lead is not routed;
	// Lead names the lead (name and company, else email).
	Owner string `json:"owner,omitempty"`
	Lead  string `json:"lead"`
	// To are the people who hold the role for this lead, none when nobody
	// does.
	To []Recipient `json:"to"`
}

// Alert is the data of an alert.raised event: a jeopardy alert
// (docs/jeopardy.md).
type Alert struct {
	Alert   int64         `json:"alert"`
	Period  string        `json:"period"`
	Cause   string        `json:"cause"`
	Summary string        `json:"summary"`
	Figures []AlertFigure `json:"figures"`
	To      []Recipient   `json:"to"`
}

// AlertFigure is one number of an alert that moved.
type AlertFigure struct {
	Name      string  `json:"name"`
	Expected  float64 `json:"expected"`
	Actual    float64 `json:"actual"`
	Projected float64 `json:"projected,omitempty"`
	Drift     float64 `json:"drift"`
	Samples   int     `json:"samples,omitempty"`
}

// InForce is the data of an agreement.in_force event: a version took
// effect when its last signature came.
type InForce struct {
	Version   int       `json:"version"`
	SignedBy  []string  `json:"signed_by"` // the signers' emails, in signing order
	InForceAt time.Time `json:"in_force_at"`
}

// ActionItem is the data of an action_item.created and an action_item.done
// event: a decision of the monthly meeting (docs/meeting.md).
type ActionItem struct {
	Item   int64  `json:"item"`
	Period string `json:"period"`
	What   string `json:"what"`
	// Owner is who must do it; DueOn its due date (2026-12-15).
	Owner Recipient `json:"owner"`
	DueOn string    `json:"due_on"`
	// AgendaTopic is the agenda line it answers, absent for none.
	AgendaTopic string `json:"agenda_topic,omitempty"`
	// By is who recorded it (created) or marked it done (done): an actor
	// as the ledger names one, user:EMAIL or token:NAME.
	By string `json:"by"`
}
