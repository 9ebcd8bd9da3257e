package outbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/calendar"
)

// Notice is how an event reads to the people it tells: the in-app inbox,
// email and chat all show this text.
type Notice struct {
	Subject string
	Body    string
	To      []Recipient // none when nobody holds the role told
}

// MaxSubject is the most bytes a subject has; a longer one is cut at a
// character boundary.
const MaxSubject = 200

// NoticeOf returns the notice of an event that tells people
// (escalation.sent, alert.raised, action_item.created, and
// handoff.assigned, which tells the lead's new owner), and false for any
// other event, one whose data does not decode, and an assignment that
// leaves the lead without an owner.
func NoticeOf(e Event) (Notice, bool) {
	switch e.Type {
	case EscalationSent:
		var d Escalation
		if json.Unmarshal(e.Data, &d) != nil {
			return Notice{}, false
		}
		return EscalationNotice(e.LeadID, d), true
	case AlertRaised:
		var d Alert
		if json.Unmarshal(e.Data, &d) != nil {
			return Notice{}, false
		}
		return AlertNotice(d), true
	case ActionItemAdded:
		var d ActionItem
		if json.Unmarshal(e.Data, &d) != nil {
			return Notice{}, false
		}
		return ActionItemNotice(d), true
	case HandoffAssigned:
		var d Ledger
		if json.Unmarshal(e.Data, &d) != nil {
			return Notice{}, false
		}
		return AssignedNotice(e.LeadID, d)
	}
	return Notice{}, false
}

// ActionItemNotice is the text that tells an action item's owner of it.
func ActionItemNotice(d ActionItem) Notice {
	return Notice{
		Subject: Cut(fmt.Sprintf("Action item of the %s meeting, due %s: %s", d.Period, d.DueOn, d.What), MaxSubject),
		Body: fmt.Sprintf("The %s meeting gave you an action item, due %s:\n%s\nRecorded by %s. Mark it done on /meeting/%s or in your queue.",
			d.Period, d.DueOn, d.What, d.By, d.Period),
		To: []Recipient{d.Owner},
	}
}

// AssignedNotice is the text that tells a lead's new owner the lead is
// theirs (a handoff.assigned event's data d, whose owner_id change names
// them), and false when the change names no owner.
func AssignedNotice(lead int64, d Ledger) (Notice, bool) {
	var owner int64
	for _, c := range d.Changes {
		if c.Field == "owner_id" {
			owner, _ = strconv.ParseInt(c.To, 10, 64)
		}
	}
	if owner <= 0 {
		return Notice{}, false
	}
	by := "Tandem"
	switch {
	case strings.HasPrefix(d.Actor, "user:"):
		by = strings.TrimPrefix(d.Actor, "user:")
	case strings.HasPrefix(d.Actor, "token:"):
		by = "the API token " + strings.TrimPrefix(d.Actor, "token:")
	}
	body := fmt.Sprintf("Lead %d was given to you by %s", lead, by)
	if d.Reason != "" {
		body += ": " + d.Reason
	}
	return Notice{
		Subject: Cut(fmt.Sprintf("Lead %d is yours", lead), MaxSubject),
		Body:    body + ".",
		To:      []Recipient{{UserID: owner}},
	}, true
}

// localFormat is how a notice shows a time, in the agreement's zone.
const localFormat = "Mon 2 Jan 15:04 MST"

// EscalationNotice is the text of an escalation of lead's clock.
func EscalationNotice(lead int64, d Escalation) Notice {
	loc, err := calendar.LoadLocation(d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	clock := clockName(d)
	due := d.DueAt.In(loc).Format(localFormat)
	owner := d.Owner
	if owner == "" {
		owner = "nobody (the lead is not routed)"
	}
	told := "nobody holds this role"
	if len(d.To) > 0 {
		names := make([]string, len(d.To))
		for i, r := range d.To {
			names[i] = r.Email
		}
		told = strings.Join(names, ", ")
	}
	return Notice{
		Subject: Cut(fmt.Sprintf("SLA breach on lead %d: %s was due %s", lead, clock, due), MaxSubject),
		Body: fmt.Sprintf("Lead %d (%s) was handed off at %s and is owned by %s.\n%s was due %s and has not been done.\nEscalation step %d of %d tells the %s: %s.",
			lead, d.Lead, d.HandedOffAt.In(loc).Format(localFormat), owner, upperFirst(clock), due, d.Level, d.Levels, d.Role, told),
		To: d.To,
	}
}

// clockName says in words which clock an escalation is about.
func clockName(d Escalation) string {
	switch d.Clock {
	case "first_touch":
		return "the first touch"
	case "accept":
		return "accepting or rejecting the lead"
	}
	return fmt.Sprintf("cadence step %d (%s, template %s)", d.Step, d.Channel, d.Template)
}

// AlertNotice is the text of a jeopardy alert.
func AlertNotice(d Alert) Notice {
	var b strings.Builder
	b.WriteString(upperFirst(d.Summary) + ".\n")
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "\n%s: expected %g, actual %g", f.Name, f.Expected, f.Actual)
		if f.Projected != 0 {
			fmt.Fprintf(&b, ", projected %g", f.Projected)
		}
		fmt.Fprintf(&b, " (drift %+.1f%%)", f.Drift*100)
		if f.Samples > 0 {
			fmt.Fprintf(&b, ", over %d", f.Samples)
		}
	}
	return Notice{
		Subject: Cut(fmt.Sprintf("Jeopardy %s: %s", d.Period, strings.ReplaceAll(d.Cause, "_", " ")), MaxSubject),
		Body:    b.String(),
		To:      d.To,
	}
}

// Cut returns the longest prefix of s of at most n bytes that does not
// end inside a UTF-8 character.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[size:]
}
