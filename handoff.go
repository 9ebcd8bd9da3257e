package tandem

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event types of the SLA engine. They change no lead field other than the
// owner (assigned), so [Lead.Apply] treats them like any other event.
const (
	EventHandedOff = "handed_off" // marketing handed the lead over; Detail holds the context of a hot lead
	EventAssigned  = "assigned"   // the owner changed, by routing or by hand (Reason)
	EventTouched   = "touched"    // the owner logged a touch; Detail holds channel, outcome, note
	EventBreached  = "breached"   // a clock passed its due time unmet; Detail names the clock
	EventReviewed  = "reviewed"   // the owner rated the lead's quality; Detail holds rating, tags, text
)

// Handoff is one hand-off of a lead from marketing to sales: from the moment
// the lead enters the agreement's hand-off stage until it leaves the stages
// sales works. It carries the clocks of the SLA and their outcomes, so that
// both sides can be measured from it.
type Handoff struct {
	ID     int64 `json:"id"`
	LeadID int64 `json:"lead_id"`
	// OwnerID is the rep the hand-off was routed to, 0 while none could
	// be (every rep absent or at capacity).
	OwnerID int64 `json:"owner_id,omitempty"`
	// Hot marks a lead marketing handed over by hand, with context.
	Hot  bool   `json:"hot,omitempty"`
	Note string `json:"note,omitempty"`
	// AgreementVersion is the version whose clocks the hand-off runs on.
	AgreementVersion int `json:"agreement_version"`

	StartedAt     time.Time `json:"started_at"`
	RoutedAt      time.Time `json:"routed_at,omitzero"`
	FirstTouchDue time.Time `json:"first_touch_due"`
	FirstTouchAt  time.Time `json:"first_touch_at,omitzero"`
	AcceptDue     time.Time `json:"accept_due"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	// Decision is what the owner decided: accepted, rejected or
	// disqualified; "" while undecided.
	Decision     string `json:"decision,omitempty"`
	RejectReason string `json:"reject_reason,omitempty"`

	// Cadence is the cadence the lead is on: CadenceMain until contact,
	// CadenceConnected after, CadenceEnded once a reply or a booked
	// meeting ends it or the hand-off ends.
	Cadence string `json:"cadence"`
	// CadenceFrom is when the current cadence started: the hand-off for
	// the main cadence, the contact for the connected one.
	CadenceFrom time.Time `json:"cadence_from"`
	// Touches counts the touches logged since the hand-off.
	Touches int `json:"touches"`

	EndedAt   time.Time `json:"ended_at,omitzero"`
	EndReason string    `json:"end_reason,omitempty"`
}

// Open reports whether the hand-off is still running.
func (h *Handoff) Open() bool { return h.EndedAt.IsZero() }

// The cadences of a hand-off.
const (
	CadenceMain      = "main"
	CadenceConnected = "connected"
	CadenceEnded     = "ended"
)

// Decisions on a hand-off.
const (
	DecisionAccepted     = "accepted"
	DecisionRejected     = "rejected"
	DecisionDisqualified = "disqualified"
)

// Decision is an owner's decision on a hand-off.
type Decision struct {
	// Decision is DecisionAccepted, DecisionRejected or
	// DecisionDisqualified.
	Decision string `json:"decision"`
	// Reason is a reject reason code of the agreement (rejected), or why
	// the lead is disqualified; Note adds words.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Task is one cadence step a rep owes on a lead: touch it through Channel
// with Template between StartsAt and DueAt.
type Task struct {
	ID        int64  `json:"id"`
	LeadID    int64  `json:"lead_id"`
	HandoffID int64  `json:"handoff_id"`
	OwnerID   int64  `json:"owner_id"`
	Cadence   string `json:"cadence"`
	// Step is the step's place in its cadence, from 1.
	Step     int       `json:"step"`
	Channel  string    `json:"channel"`
	Template string    `json:"template"`
	StartsAt time.Time `json:"starts_at"`
	DueAt    time.Time `json:"due_at"`
	State    string    `json:"state"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	// Breached is set once the due time passed with the step not done.
	Breached bool `json:"breached,omitempty"`
}

// Task states. A done task was touched (late when DoneAt is after DueAt); a
// skipped one was passed over by a touch on a later step; a missed one was
// still open when its cadence or hand-off ended.
const (
	TaskOpen    = "open"
	TaskDone    = "done"
	TaskSkipped = "skipped"
	TaskMissed  = "missed"
)

// Touch is a contact attempt or a contact a rep logs on a lead.
type Touch struct {
	Channel string `json:"channel"`
	Outcome string `json:"outcome"`
	Note    string `json:"note,omitempty"`
	// Content is the code of the live content item the touch used (a
	// template, a script), "" for none; the store records its version.
	Content string `json:"content,omitempty"`
	// At is when the touch happened; the zero time means now.
	At time.Time `json:"at,omitzero"`
}

// Touch outcomes.
const (
	OutcomeNoAnswer  = "no_answer" // call: nobody answered, no message left
	OutcomeVoicemail = "voicemail" // call: left a voicemail
	OutcomeConnected = "connected" // call or meeting: spoke with the lead
	OutcomeLeft      = "left"      // voicemail: left a message
	OutcomeSent      = "sent"      // email or social message sent
	OutcomeReplied   = "replied"   // the lead answered an email or message
	OutcomeBounced   = "bounced"   // the email did not arrive
	OutcomeBooked    = "booked"    // meeting booked
	OutcomeHeld      = "held"      // meeting held
	OutcomeNoShow    = "no_show"   // the lead missed the meeting
)

// TouchOutcomes lists the outcomes each channel takes, in the order forms
// offer them.
var TouchOutcomes = map[string][]string{
	"call":      {OutcomeNoAnswer, OutcomeVoicemail, OutcomeConnected},
	"voicemail": {OutcomeLeft},
	"email":     {OutcomeSent, OutcomeReplied, OutcomeBounced},
	"social":    {OutcomeSent, OutcomeReplied},
	"meeting":   {OutcomeBooked, OutcomeHeld, OutcomeNoShow},
}

// TouchChannels lists the channels in a fixed order.
var TouchChannels = []string{"call", "voicemail", "email", "social", "meeting"}

// Connects reports whether the touch made contact: the rep spoke with the
// lead or the meeting happened.
func (t Touch) Connects() bool { return t.Outcome == OutcomeConnected || t.Outcome == OutcomeHeld }

// Ends reports whether the touch ends the cadence: the lead replied or a
// meeting was booked.
func (t Touch) Ends() bool { return t.Outcome == OutcomeReplied || t.Outcome == OutcomeBooked }

// Validate returns an EINVALID error naming each bad field of the touch.
func (t Touch) Validate(now time.Time) error {
	var errs []FieldError
	outcomes, ok := TouchOutcomes[t.Channel]
	switch {
	case t.Channel == "":
		errs = append(errs, FieldError{"channel", "is required (one of " + strings.Join(TouchChannels, ", ") + ")"})
	case !ok:
		errs = append(errs, FieldError{"channel", fmt.Sprintf("%q is not a channel (want one of %s)", t.Channel, strings.Join(TouchChannels, ", "))})
	case t.Outcome == "":
		errs = append(errs, FieldError{"outcome", fmt.Sprintf("is required: a %s touch's outcome is one of %s", t.Channel, strings.Join(outcomes, ", "))})
	case !slices.Contains(outcomes, t.Outcome):
		errs = append(errs, FieldError{"outcome", fmt.Sprintf("%q is not an outcome of a %s touch (want one of %s)", t.Outcome, t.Channel, strings.Join(outcomes, ", "))})
	}
	if err := CheckText(t.Note); err != nil {
		errs = append(errs, FieldError{"note", err.Error()})
	}
	if !t.At.IsZero() && t.At.After(now.Add(time.Minute)) {
		errs = append(errs, FieldError{"at", "is in the future"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// Review is sales' rating of a lead's quality.
type Review struct {
	LeadID  int64     `json:"lead_id"`
	UserID  int64     `json:"user_id"`
	Rating  int       `json:"rating"`
	Tags    []string  `json:"tags,omitempty"`
	Text    string    `json:"text,omitempty"`
	Created time.Time `json:"created_at"`
}

// MaxReviewTags bounds the reason tags of a review.
const MaxReviewTags = 20

// Validate returns an EINVALID error naming each bad field of the review.
func (r Review) Validate() error {
	var errs []FieldError
	if r.Rating < 1 || r.Rating > 5 {
		errs = append(errs, FieldError{"rating", fmt.Sprintf("%d is not a rating: rate the lead's quality from 1 (poor) to 5 (excellent)", r.Rating)})
	}
	if len(r.Tags) > MaxReviewTags {
		errs = append(errs, FieldError{"tags", fmt.Sprintf("%d tags: at most %d", len(r.Tags), MaxReviewTags)})
	}
	for i, t := range r.Tags {
		if !isIdent(t) {
			errs = append(errs, FieldError{fmt.Sprintf("tags[%d]", i), fmt.Sprintf("%q is not a tag: use lower-case letters, digits and _ (like wrong_title)", t)})
		}
	}
	if err := CheckText(r.Text); err != nil {
		errs = append(errs, FieldError{"text", err.Error()})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// isIdent reports whether s is a short lower-case identifier.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
