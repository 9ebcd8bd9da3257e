package meeting_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/meeting"
)

var ny, _ = time.LoadLocation("America/New_York")

func TestCheck(t *testing.T) {
	per, _ := calendar.ParsePeriod("2026-10", ny)
	topics := []string{"qualified_leads", "kpi"}
	ok := meeting.New{What: "fix the form", Owner: "rex@example.com", Due: "2026-11-01"}
	end, err := ok.Check(per, topics, ny)
	// 1 November ends at midnight New York time, the clocks having gone
	// back that day (EST, UTC-5).
	if want := time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC); err != nil || !end.Equal(want) {
		t.Errorf("Check(%+v) = %v, %v; want %v", ok, end, err, want)
	}
	for _, c := range []struct {
		n      meeting.New
		fields []string
	}{
		{meeting.New{}, []string{"what", "owner", "due"}},
		{meeting.New{What: "x", Owner: "a@b.c", Due: "2026-02-30"}, []string{"due"}},
		{meeting.New{What: "x", Owner: "a@b.c", Due: "tomorrow"}, []string{"due"}},
		{meeting.New{What: "x", Owner: "a@b.c", Due: "2026-09-30"}, []string{"due"}},
		{meeting.New{What: "x", Owner: "a@b.c", Due: "2026-10-01", Topic: "revenue"}, []string{"agenda_topic"}},
		{meeting.New{What: string(make([]byte, meeting.MaxWhat+1)), Owner: "a@b.c", Due: "2026-10-01"}, []string{"what"}},
		{meeting.New{What: "\xff", Owner: "a@b.c", Due: "2026-10-01"}, []string{"what"}},
	} {
		_, err := c.n.Check(per, topics, ny)
		var e *tandem.Error
		if !errors.As(err, &e) || e.Code != tandem.EINVALID || len(e.Fields) != len(c.fields) {
			t.Errorf("Check(%+v) = %v; want EINVALID naming %v", c.n, err, c.fields)
			continue
		}
		for i, f := range c.fields {
			if e.Fields[i].Field != f {
				t.Errorf("Check(%+v) field %d = %s; want %s", c.n, i, e.Fields[i].Field, f)
			}
		}
	}
}

func TestCarry(t *testing.T) {
	due := time.Date(2026, 11, 11, 5, 0, 0, 0, time.UTC)
	asOf := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	items := []meeting.Item{
		{ID: 1, DueAt: due, State: meeting.Done, DoneAt: due.Add(-time.Hour)},      // done in time
		{ID: 2, DueAt: due, State: meeting.Open},                                   // overdue
		{ID: 3, DueAt: asOf.Add(time.Hour), State: meeting.Open},                   // not due yet
		{ID: 4, DueAt: due, State: meeting.Done, DoneAt: asOf.Add(24 * time.Hour)}, // done after the as-of time: overdue then
		{ID: 5, DueAt: asOf, State: meeting.Open},                                  // due exactly then: overdue
		{ID: 6, DueAt: asOf.Add(time.Hour), State: meeting.Done, DoneAt: asOf},     // done exactly then
	}
	c := meeting.Carry("2026-10", items, asOf)
	if c.Total != 6 || c.Done != 2 || c.Overdue != 3 || c.Text != "2 of 6 done; 3 overdue" {
		t.Errorf("Carry = %d of %d done, %d overdue, %q; want 2 of 6, 3 overdue", c.Done, c.Total, c.Overdue, c.Text)
	}
	if got := meeting.Carry("2026-10", nil, asOf); got.Text != "no action items" || got.Items == nil {
		t.Errorf("Carry(none) = %+v; want no action items and an empty list", got)
	}
	if got := meeting.Words(3, 5, 0); got != "3 of 5 done" {
		t.Errorf("Words(3, 5, 0) = %q", got)
	}
}

func TestPrevious(t *testing.T) {
	for in, want := range map[string]string{"2026-01": "2025-12", "2026-11": "2026-10", "2026-Q1": "2025-Q4", "2026-Q3": "2026-Q2", "2026": "2025", "1970-01": ""} {
		p, err := calendar.ParsePeriod(in, ny)
		if err != nil {
			t.Fatal(err)
		}
		if got := meeting.Previous(p, ny); got.Name != want {
			t.Errorf("Previous(%s) = %q; want %q", in, got.Name, want)
		}
	}
}

// FuzzCheck: any input is read or refused with EINVALID, never a panic,
// and a date that is read ends a day after it starts (23 to 25 hours in a
// zone with daylight saving).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"2026-11-10", "2026-13-01", "", "2026-11-1", "10/11/2026", "2026-03-08", "9999-12-31", "0001-01-01", "2026-11-10T10:00"} {
		f.Add("fix it", "rex@example.com", s, "kpi")
	}
	per, _ := calendar.ParsePeriod("2026-01", ny)
	f.Fuzz(func(t *testing.T, what, owner, due, topic string) {
		n := meeting.New{What: what, Owner: owner, Due: due, Topic: topic}
		end, err := n.Check(per, []string{"kpi"}, ny)
		if err != nil {
			var e *tandem.Error
			if !errors.As(err, &e) || e.Code != tandem.EINVALID || len(e.Fields) == 0 {
				t.Fatalf("Check(%+v) = %v; want EINVALID naming fields", n, err)
			}
			return
		}
		start, err := meeting.ParseDue(due, ny)
		if err != nil {
			t.Fatalf("Check read %q, ParseDue refused it: %v", due, err)
		}
		if d := end.Sub(start); d < 23*time.Hour || d > 25*time.Hour {
			t.Fatalf("Check(%q) ends %v after the day starts; want about a day", due, d)
		}
	})
}
