package tandem

import (
	"fmt"
	"time"
)

// Event types of the ledger.
const (
	EventCreated      = "created"       // the lead came into being; Changes holds every field
	EventUpdated      = "updated"       // fields other than the stage changed
	EventStageChanged = "stage_changed" // the stage changed, by a rule (Rule) or by hand (Reason)
	EventNoted        = "noted"         // someone wrote a note on the lead; Detail holds note
)

// Event is one entry of the ledger: an append-only record of a change to a
// lead. Events are never updated or deleted; a lead's current row is the
// [Replay] of its events in the order they were recorded.
type Event struct {
	ID     int64  `json:"id"`
	LeadID int64  `json:"lead_id"`
	Type   string `json:"type"`
	// OccurredAt is when the change happened in the world; RecordedAt is
	// when Tandem learned of it. Imported history keeps its own dates.
	OccurredAt time.Time `json:"occurred_at"`
	RecordedAt time.Time `json:"recorded_at"`
	// Actor is who made the change: "user:EMAIL", "token:NAME",
	// "import:FILE", "rule" or "system".
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// AgreementVersion is the agreement version in force when the change
	// was recorded, 0 when none was.
	AgreementVersion int `json:"agreement_version,omitempty"`
	// Changes lists the fields the event set, with their old and new values.
	Changes []FieldChange `json:"changes,omitempty"`
	// Rule is the stage rule that fired, for a stage change by rule.
	Rule string `json:"rule,omitempty"`
	// Detail holds what an SLA event records besides field changes: a
	// touch's channel and outcome, the clock a breach missed, a review.
	Detail map[string]string `json:"detail,omitempty"`
}

// FieldChange is one field's change within an event.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
}

// Apply applies one event to l. It is the only way a lead's state moves, so
// the store and [Replay] cannot disagree.
func (l *Lead) Apply(e *Event) error {
	if e.Type == EventCreated && l.Version != 0 {
		return fmt.Errorf("event %d: lead %d created twice", e.ID, e.LeadID)
	}
	if e.Type != EventCreated && l.Version == 0 {
		return fmt.Errorf("event %d: %s before the lead was created", e.ID, e.Type)
	}
	if e.LeadID != 0 {
		l.ID = e.LeadID
	}
	for _, c := range e.Changes {
		f, ok := LookupLeadField(c.Field)
		if !ok {
			return fmt.Errorf("event %d: unknown field %q", e.ID, c.Field)
		}
		if err := f.Set(l, c.To); err != nil {
			return fmt.Errorf("event %d: %s: %v", e.ID, c.Field, err)
		}
		if c.Field == "stage" {
			l.StageChangedAt = e.OccurredAt
		}
	}
	if e.Type == EventCreated && l.StageChangedAt.IsZero() {
		l.StageChangedAt = e.OccurredAt
	}
	if e.OccurredAt.After(l.UpdatedAt) {
		l.UpdatedAt = e.OccurredAt
	}
	l.Version++
	return nil
}

// Replay rebuilds a lead from its events, in recorded order.
func Replay(events []Event) (Lead, error) {
	var l Lead
	for i := range events {
		if err := l.Apply(&events[i]); err != nil {
			return Lead{}, err
		}
	}
	return l, nil
}

// AsOf rebuilds a lead as it stood at instant t: the events that had occurred
// by then, in recorded order. It reports false if the lead did not exist yet.
func AsOf(events []Event, t time.Time) (Lead, bool, error) {
	var past []Event
	for _, e := range events {
		if !e.OccurredAt.After(t) {
			past = append(past, e)
		}
	}
	if len(past) == 0 || past[0].Type != EventCreated {
		return Lead{}, false, nil
	}
	l, err := Replay(past)
	return l, err == nil, err
}
