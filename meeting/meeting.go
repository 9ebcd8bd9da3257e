// Package meeting holds the rules of the monthly meeting (docs/meeting.md):
// the action items its people record against a period's scorecard, how an
// item's new fields are read and checked, and how a period's items stand
// at a given time ("3 of 5 done; 2 overdue"), which the next period's
// scorecard opens with. It is pure: package sqldb stores the items and
// package http shows them.
package meeting

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// States of an action item.
const (
	Open = "open"
	Done = "done"
)

// Bounds of an item's text, so that no input takes unbounded room.
const (
	MaxWhat     = 500
	MaxResponse = 2000
)

// Item is one action item: a decision of a period's meeting, with its
// owner, its due date and the agenda line it answers.
type Item struct {
	ID     int64  `json:"id"`
	Period string `json:"period"` // the meeting's period (2026-11)
	What   string `json:"what"`
	// OwnerID and Owner (their email) say who must do it.
	OwnerID   int64  `json:"owner_id"`
	Owner     string `json:"owner"`
	OwnerName string `json:"owner_name,omitempty"`
	// DueOn is the due date (2026-12-15); DueAt the first instant after
	// that day in the agreement's time zone: the item is overdue from then
	// on while it is not done.
	DueOn string    `json:"due_on"`
	DueAt time.Time `json:"due_at"`
	// Topic and AgendaText are the agenda line it answers (an item of the
	// period's scorecard agenda: its topic and its text when recorded);
	// empty for an item that answers no line.
	Topic      string    `json:"agenda_topic,omitempty"`
	AgendaText string    `json:"agenda_text,omitempty"`
	State      string    `json:"state"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	DoneBy     string    `json:"done_by,omitempty"`
	DoneAt     time.Time `json:"done_at,omitzero"`
}

// DoneAsOf reports whether the item was done at t.
func (it Item) DoneAsOf(t time.Time) bool {
	return it.State == Done && !it.DoneAt.IsZero() && !it.DoneAt.After(t)
}

// OverdueAsOf reports whether the item was overdue at t: past its due
// date and not done at t.
func (it Item) OverdueAsOf(t time.Time) bool {
	return !t.Before(it.DueAt) && !it.DoneAsOf(t)
}

// New is what a person writes to record an item.
type New struct {
	Period string `json:"-"`
	What   string `json:"what"`
	// Owner is the owner's email.
	Owner string `json:"owner"`
	// Due is the due date, 2026-12-15.
	Due string `json:"due"`
	// Topic is the agenda line's topic ("" for none).
	Topic string `json:"agenda_topic"`
}

// Check reads the fields of n: the what (not empty, at most [MaxWhat]
// characters), the owner (an email must be given), the due date (a
// calendar date, 2026-12-15, in loc, not before the meeting's period
// starts) and the agenda topic (one of topics, when given). It returns
// the instant the due day ends in loc, or EINVALID naming every bad
// field. Whether the owner exists is the store's to say.
func (n New) Check(per calendar.Period, topics []string, loc *time.Location) (time.Time, error) {
	var fe []tandem.FieldError
	bad := func(field, format string, args ...any) {
		fe = append(fe, tandem.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	what := strings.TrimSpace(n.What)
	switch {
	case what == "":
		bad("what", "is required: say what was decided")
	case !utf8.ValidString(what):
		bad("what", "is not valid UTF-8")
	case utf8.RuneCountInString(what) > MaxWhat:
		bad("what", "is longer than %d characters", MaxWhat)
	}
	if strings.TrimSpace(n.Owner) == "" {
		bad("owner", "is required: every action item has an owner (a user's email)")
	}
	var end time.Time
	due, err := ParseDue(n.Due, loc)
	switch {
	case strings.TrimSpace(n.Due) == "":
		bad("due", "is required: a date such as 2026-12-15")
	case err != nil:
		bad("due", "%s", err.Error())
	case due.Before(per.From):
		bad("due", "%s is before the meeting's period %s starts", n.Due, per.Name)
	default:
		end = due.In(loc).AddDate(0, 0, 1).UTC()
	}
	if n.Topic != "" && !contains(topics, n.Topic) {
		if len(topics) == 0 {
			bad("agenda_topic", "%q is not on the agenda of %s, which is empty", n.Topic, per.Name)
		} else {
			bad("agenda_topic", "%q is not on the agenda of %s (%s)", n.Topic, per.Name, strings.Join(topics, ", "))
		}
	}
	if fe != nil {
		return time.Time{}, tandem.Invalid(fe...)
	}
	return end, nil
}

// ParseDue reads a due date written as a calendar date (2026-12-15), the
// day's first instant in loc.
func ParseDue(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) != len(time.DateOnly) {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as 2026-12-15", cut(s))
	}
	t, err := calendar.ParseTime(s, loc, time.DateOnly)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as 2026-12-15", cut(s))
	}
	return t, nil
}

func cut(s string) string {
	if len(s) <= 40 {
		return s
	}
	for i := 40; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Previous returns the period before p, of the same length (the month
// before a month, the quarter before a quarter), in loc.
func Previous(p calendar.Period, loc *time.Location) calendar.Period {
	from := p.From.In(loc).AddDate(0, -p.Months, 0)
	name := fmt.Sprintf("%04d", from.Year())
	switch p.Months {
	case 1:
		name = fmt.Sprintf("%04d-%02d", from.Year(), int(from.Month()))
	case 3:
		name = fmt.Sprintf("%04d-Q%d", from.Year(), (int(from.Month())-1)/3+1)
	}
	prev, err := calendar.ParsePeriod(name, loc)
	if err != nil { // before calendar.MinYear: no period
		return calendar.Period{}
	}
	return prev
}

// Carried is how a period's action items stood at a time: what the next
// period's scorecard opens with.
type Carried struct {
	// Period is the meeting's period whose items these are.
	Period  string      `json:"period"`
	AsOf    time.Time   `json:"as_of"`
	Total   int         `json:"total"`
	Done    int         `json:"done"`
	Overdue int         `json:"overdue"`
	Items   []ItemState `json:"items"`
	// Text says it in words: "3 of 5 done; 2 overdue".
	Text string `json:"text"`
}

// ItemState is one item and its state at the time.
type ItemState struct {
	Item
	// DoneThen and Overdue are the item's state at Carried.AsOf (an item
	// done later counts as not done then).
	DoneThen bool `json:"done_then"`
	Overdue  bool `json:"overdue"`
}

// Carry says how the items of period stood at asOf, in their order.
func Carry(period string, items []Item, asOf time.Time) Carried {
	c := Carried{Period: period, AsOf: asOf.UTC(), Items: []ItemState{}}
	for _, it := range items {
		s := ItemState{Item: it, DoneThen: it.DoneAsOf(asOf), Overdue: it.OverdueAsOf(asOf)}
		c.Total++
		if s.DoneThen {
			c.Done++
		}
		if s.Overdue {
			c.Overdue++
		}
		c.Items = append(c.Items, s)
	}
	c.Text = Words(c.Done, c.Total, c.Overdue)
	return c
}

// Words says a period's items' state: "3 of 5 done; 2 overdue", "no
// action items" when there were none.
func Words(done, total, overdue int) string {
	if total == 0 {
		return "no action items"
	}
	s := fmt.Sprintf("%d of %d done", done, total)
	if overdue > 0 {
		s += fmt.Sprintf("; %d overdue", overdue)
	}
	return s
}
