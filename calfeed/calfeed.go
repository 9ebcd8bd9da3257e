// Package calfeed writes a person's calendar feed: their open tasks (the
// cadence steps they owe, each due in the agreement's business hours) as
// an iCalendar file (RFC 5545) that Google Calendar, Outlook and Apple
// Calendar subscribe to by URL (docs/integrations.md, "Calendar feeds").
// It is pure: the store gathers the tasks, http serves the file. The
// iCalendar text is written by github.com/arran4/golang-ical.
package calfeed

import (
	"fmt"
	"io"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/tandemhq/tandem"
)

// Slot is how long an event of the feed lasts: it ends at the task's due
// time, so that a calendar shows the deadline where it falls.
const Slot = 15 * time.Minute

// Refresh is how often the feed asks calendars to read it again (clients
// may read less often: Google Calendar every few hours).
const Refresh = 15 * time.Minute

// Task is one open task of the feed, with what a calendar shows of it.
type Task struct {
	tandem.Task
	Lead string // the lead's name, as the queue shows it
	Hot  bool   // a hot lead, handed over with context
	Note string // the hand-off's note
	URL  string // the lead's page in Tandem
}

// Feed is a person's calendar.
type Feed struct {
	Owner string // the person's email (or name), in the calendar's name
	Now   time.Time
	Zone  *time.Location // the agreement's, for the times in descriptions
	Tasks []Task
}

// UID is the iCalendar UID of a task's event: stable, so that a calendar
// that reads the feed again updates the event instead of adding one.
func UID(taskID int64) string { return fmt.Sprintf("tandem-task-%d@tandem", taskID) }

// Write writes the feed as an iCalendar file.
func Write(w io.Writer, f Feed) error {
	zone := f.Zone
	if zone == nil {
		zone = time.UTC
	}
	cal := ics.NewCalendarFor("Tandem")
	cal.SetProductId("-//Tandem//Calendar feed//EN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetCalscale("GREGORIAN")
	name := "Tandem tasks"
	if f.Owner != "" {
		name += ": " + f.Owner
	}
	cal.SetXWRCalName(name)
	cal.SetName(name)
	cal.SetXWRCalDesc("Your open tasks in Tandem, each at its due time (in business hours). Tandem has no meetings of its own: a cadence step on the meeting channel is a task like the others.")
	ttl := fmt.Sprintf("PT%dM", int(Refresh.Minutes()))
	cal.SetRefreshInterval(ttl) // the library adds VALUE=DURATION
	cal.SetXPublishedTTL(ttl)
	for _, t := range f.Tasks {
		e := cal.AddEvent(UID(t.ID))
		e.SetDtStampTime(f.Now.UTC())
		e.SetStartAt(t.DueAt.Add(-Slot).UTC())
		e.SetEndAt(t.DueAt.UTC())
		e.SetSummary(summary(t, f.Now))
		e.SetDescription(description(t, zone))
		if t.URL != "" {
			e.SetURL(t.URL)
		}
		e.AddCategory(t.Channel)
		e.SetTimeTransparency(ics.TransparencyTransparent) // a reminder, not a busy slot
	}
	return cal.SerializeTo(w, ics.WithNewLine("\r\n")) // RFC 5545: lines end in CRLF
}

// summary is the event's title: what to do, with whom.
func summary(t Task, now time.Time) string {
	var b strings.Builder
	if t.DueAt.Before(now) {
		b.WriteString("Overdue: ")
	}
	if t.Hot {
		b.WriteString("Hot: ")
	}
	b.WriteString(strings.ToUpper(t.Channel[:min(1, len(t.Channel))]) + t.Channel[min(1, len(t.Channel)):])
	if t.Lead != "" {
		b.WriteString(" " + t.Lead)
	}
	return oneLine(b.String())
}

// description says which step it is, when it is due and why, and where to
// open the lead.
func description(t Task, zone *time.Location) string {
	lines := []string{
		fmt.Sprintf("Step %d of the %s cadence: %s.", t.Step, t.Cadence, t.Channel),
		"Due " + t.DueAt.In(zone).Format("Mon 2 Jan 2006 15:04 MST") + " (counted in business hours).",
	}
	if t.Template != "" {
		lines = append(lines, "Template: "+oneLine(t.Template)+".")
	}
	if t.Note != "" {
		lines = append(lines, "Note: "+oneLine(t.Note))
	}
	if t.URL != "" {
		lines = append(lines, "Open the lead in Tandem: "+t.URL)
	}
	return strings.Join(lines, "\n")
}

// oneLine keeps a text on one line: a line break in a name or a note would
// otherwise end the summary.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
