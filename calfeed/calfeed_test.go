package calfeed_test

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calfeed"
)

var newYork, _ = time.LoadLocation("America/New_York")

// parse reads a feed back with the iCalendar library.
func parse(t testing.TB, text string) *ics.Calendar {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseCalendar: %v\n%s", err, text)
	}
	return cal
}

func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if v := e.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

// TestWriteParsesBack writes a feed of two tasks, one overdue and hot,
// and reads it back with the library's parser: each task is an event
// with its stable UID, ending at its due time and starting a slot before,
// its title and description (line breaks kept, commas and semicolons
// escaped and unescaped), its link and channel; the calendar says how
// often to read it again.
func TestWriteParsesBack(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC) // 10:30 in New York
	due1 := time.Date(2026, 11, 23, 15, 10, 0, 0, time.UTC)
	due2 := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	f := calfeed.Feed{Owner: "rex@example.com", Now: now, Zone: newYork, Tasks: []calfeed.Task{
		{Task: tandem.Task{ID: 7, LeadID: 3, Cadence: "standard", Step: 1, Channel: "call", Template: "intro; first call", DueAt: due1},
			Lead: "Ana Pérez, Acme", Hot: true, Note: "Met at the fair,\nwants a demo", URL: "https://tandem.example.com/leads/3"},
		{Task: tandem.Task{ID: 8, LeadID: 4, Cadence: "standard", Step: 2, Channel: "meeting", DueAt: due2},
			Lead: "Bo Li", URL: "https://tandem.example.com/leads/4"},
	}}
	var b strings.Builder
	if err := calfeed.Write(&b, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	text := b.String()
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets; RFC 5545 folds lines at 75: %q", len(line), line)
		}
	}
	cal := parse(t, text)
	evs := cal.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events; want 2\n%s", len(evs), text)
	}
	want := []struct {
		uid, summary, url, category string
		due                         time.Time
		desc                        []string
	}{
		{"tandem-task-7@tandem", "Overdue: Hot: Call Ana Pérez, Acme", "https://tandem.example.com/leads/3", "call", due1,
			[]string{"Step 1 of the standard cadence: call.", "Due Mon 23 Nov 2026 10:10 EST (counted in business hours).",
				"Template: intro; first call.", "Note: Met at the fair, wants a demo", "Open the lead in Tandem: https://tandem.example.com/leads/3"}},
		{"tandem-task-8@tandem", "Meeting Bo Li", "https://tandem.example.com/leads/4", "meeting", due2,
			[]string{"Step 2 of the standard cadence: meeting.", "Due Tue 24 Nov 2026 09:00 EST (counted in business hours).",
				"Open the lead in Tandem: https://tandem.example.com/leads/4"}},
	}
	for i, w := range want {
		e := evs[i]
		if e.Id() != w.uid {
			t.Errorf("event %d UID %q; want %q", i, e.Id(), w.uid)
		}
		start, err1 := e.GetStartAt()
		end, err2 := e.GetEndAt()
		if err1 != nil || err2 != nil || !end.Equal(w.due) || !start.Equal(w.due.Add(-15*time.Minute)) {
			t.Errorf("event %s runs %v to %v (%v, %v); want %v to %v", w.uid, start, end, err1, err2, w.due.Add(-15*time.Minute), w.due)
		}
		if got := prop(e, ics.ComponentPropertySummary); got != w.summary {
			t.Errorf("event %s summary %q; want %q", w.uid, got, w.summary)
		}
		if got := prop(e, ics.ComponentPropertyDescription); got != strings.Join(w.desc, "\n") {
			t.Errorf("event %s description %q; want %q", w.uid, got, strings.Join(w.desc, "\n"))
		}
		if got := prop(e, ics.ComponentPropertyUrl); got != w.url {
			t.Errorf("event %s URL %q; want %q", w.uid, got, w.url)
		}
		if got := prop(e, ics.ComponentPropertyCategories); got != w.category {
			t.Errorf("event %s categories %q; want %q", w.uid, got, w.category)
		}
		if prop(e, ics.ComponentPropertyDtstamp) == "" {
			t.Errorf("event %s has no DTSTAMP; RFC 5545 requires one", w.uid)
		}
	}
	for _, p := range []string{"VERSION:2.0", "METHOD:PUBLISH", "REFRESH-INTERVAL;VALUE=DURATION:PT15M", "X-PUBLISHED-TTL:PT15M", "X-WR-CALNAME:Tandem tasks: rex@example.com"} {
		if !strings.Contains(text, p+"\r\n") {
			t.Errorf("the feed lacks %q", p)
		}
	}
}

// TestWriteEmpty: a person with no open task gets a valid calendar with
// no event, which still names itself.
func TestWriteEmpty(t *testing.T) {
	var b strings.Builder
	if err := calfeed.Write(&b, calfeed.Feed{Owner: "ria@example.com", Now: time.Now()}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if cal := parse(t, b.String()); len(cal.Events()) != 0 {
		t.Errorf("%d events; want none", len(cal.Events()))
	}
}

// FuzzWrite: whatever the names, notes and templates hold, the feed
// parses back with one event whose title is the lead's name on one line.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"Ana", "a,b;c\\d", "line\r\nbreak", "BEGIN:VEVENT", "é\u2028x", strings.Repeat("ü", 80), ""} {
		f.Add(s, s, "call")
	}
	f.Fuzz(func(t *testing.T, lead, note, channel string) {
		if channel == "" || !isPrintable(lead+note+channel) {
			return // the store holds text a person typed: valid UTF-8 without control characters
		}
		due := time.Date(2026, 11, 23, 15, 10, 0, 0, time.UTC)
		var b strings.Builder
		err := calfeed.Write(&b, calfeed.Feed{Now: due, Tasks: []calfeed.Task{{Task: tandem.Task{ID: 1, Channel: channel, DueAt: due.Add(time.Hour)},
			Lead: lead, Note: note}}})
		if err != nil {
			t.Fatalf("Write: %v", err)
		}
		cal := parse(t, b.String())
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events; want 1\n%s", len(evs), b.String())
		}
		if got := prop(evs[0], ics.ComponentPropertySummary); !strings.HasSuffix(got, strings.Join(strings.Fields(lead), " ")) {
			t.Errorf("summary %q; want it to end with the lead %q on one line", got, lead)
		}
	})
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}
