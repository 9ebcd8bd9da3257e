package calendar

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"
)

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

var allDays = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}

func load(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}
	return loc
}

func mustNew(t testing.TB, h Hours) *Calendar {
	t.Helper()
	c, err := New(h)
	if err != nil {
		t.Fatalf("New(%+v) = %v; want no error", h, err)
	}
	return c
}

// newYork is the STACK.md calendar: New York, Monday to Friday, 09:00 to
// 17:00, US holidays, and Thursday 24 December 2026 closed.
func newYork(t testing.TB) *Calendar {
	return mustNew(t, Hours{
		Location: load(t, "America/New_York"),
		Days:     weekdays,
		Open:     9 * 60,
		Close:    17 * 60,
		Holidays: "US",
		Closed:   []Date{{2026, time.December, 24}},
	})
}

func berlin(t testing.TB) *Calendar {
	return mustNew(t, Hours{Location: load(t, "Europe/Berlin"), Days: weekdays, Open: 9 * 60, Close: 17 * 60, Holidays: "DE"})
}

// always is open 24 hours a day, 7 days a week, in New York.
func always(t testing.TB) *Calendar {
	return mustNew(t, Hours{Location: load(t, "America/New_York"), Days: allDays, Open: 0, Close: 24 * 60})
}

// at returns a wall-clock time in loc, to the minute.
func at(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, loc)
}

func TestNewErrors(t *testing.T) {
	ny := load(t, "America/New_York")
	tests := []struct {
		h     Hours
		field string
	}{
		{Hours{Days: weekdays, Open: 540, Close: 1020}, "Location"},
		{Hours{Location: ny, Open: 540, Close: 1020}, "Days"},
		{Hours{Location: ny, Days: []time.Weekday{7}, Open: 540, Close: 1020}, "Days"},
		{Hours{Location: ny, Days: weekdays, Open: 1020, Close: 540}, "Open"},
		{Hours{Location: ny, Days: weekdays, Open: 540, Close: 540}, "Open"},
		{Hours{Location: ny, Days: weekdays, Open: -1, Close: 540}, "Open"},
		{Hours{Location: ny, Days: weekdays, Open: 0, Close: 24*60 + 1}, "Close"},
		{Hours{Location: ny, Days: weekdays, Open: 540, Close: 1020, Holidays: "XX"}, "Holidays"},
		{Hours{Location: ny, Days: weekdays, Open: 540, Close: 1020, Holidays: "us"}, "Holidays"},
		{Hours{Location: ny, Days: weekdays, Open: 540, Close: 1020, Closed: []Date{{2026, 2, 30}}}, "Closed[0]"},
	}
	for _, tt := range tests {
		_, err := New(tt.h)
		if err == nil || !strings.Contains(err.Error(), tt.field+":") {
			t.Errorf("New(%+v) = %v; want an error naming %s", tt.h, err, tt.field)
		}
	}
}

func TestCountries(t *testing.T) {
	got := Countries()
	for _, want := range []string{"US", "CA", "GB", "DE", "FR", "NL", "ES", "IT", "BR", "AU"} {
		if !slices.Contains(got, want) {
			t.Errorf("Countries() = %v; want it to hold %s", got, want)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Countries() = %v; want them sorted", got)
	}
	ny := load(t, "America/New_York")
	for _, code := range got {
		if _, err := New(Hours{Location: ny, Days: weekdays, Open: 540, Close: 1020, Holidays: code}); err != nil {
			t.Errorf("New(Hours{Holidays: %q}) = %v; want no error", code, err)
		}
	}
}

// TestHolidays checks a few days of each of the ten countries Tandem must
// know, in 2026: closed holidays, and days that must stay open.
func TestHolidays(t *testing.T) {
	tests := []struct {
		country string
		date    Date
		closed  bool
	}{
		{"US", Date{2026, 11, 26}, true},  // Thanksgiving
		{"US", Date{2026, 11, 27}, false}, // the day after is a working day
		{"US", Date{2026, 7, 3}, true},    // Independence Day, a Saturday, observed on Friday
		{"US", Date{2026, 7, 4}, true},    // and the day itself
		{"CA", Date{2026, 7, 1}, true},    // Canada Day
		{"CA", Date{2026, 8, 3}, false},   // the Civic Holiday is provincial
		{"CA", Date{2026, 12, 28}, true},  // Boxing Day, a Saturday, observed on Monday
		{"GB", Date{2026, 8, 31}, true},   // Summer bank holiday (England and Wales)
		{"GB", Date{2026, 12, 28}, true},  // Boxing Day substitute
		{"DE", Date{2026, 10, 3}, true},   // German Unity Day
		{"DE", Date{2026, 10, 31}, false}, // Reformation Day is regional
		{"FR", Date{2026, 7, 14}, true},   // Fête nationale
		{"NL", Date{2026, 4, 27}, true},   // King's Day
		{"ES", Date{2026, 10, 12}, true},  // Fiesta Nacional
		{"IT", Date{2026, 6, 2}, true},    // Festa della Repubblica
		{"BR", Date{2026, 9, 7}, true},    // Independência
		{"BR", Date{2026, 11, 20}, true},  // Consciência Negra, national since 2024
		{"BR", Date{2023, 11, 20}, false}, // but not before
		{"AU", Date{2026, 1, 26}, true},   // Australia Day
		{"AU", Date{2026, 4, 27}, false},  // Anzac Day falls on Saturday; not every state moves it
		{"AU", Date{2026, 11, 3}, false},  // Melbourne Cup is Victoria's only
		{"SE", Date{2026, 6, 19}, false},  // Midsummer Eve is customary, not a public holiday
		{"SE", Date{2026, 6, 6}, true},    // National Day
	}
	loc := load(t, "UTC")
	for _, tt := range tests {
		c := mustNew(t, Hours{Location: loc, Days: allDays, Open: 0, Close: 24 * 60, Holidays: tt.country})
		noon := time.Date(tt.date.Year, tt.date.Month, tt.date.Day, 12, 0, 0, 0, loc)
		if got := c.IsOpen(noon); got == tt.closed {
			t.Errorf("%s: IsOpen(%v) = %v; want %v", tt.country, noon, got, !tt.closed)
		}
	}
}

func TestIsOpen(t *testing.T) {
	c := newYork(t)
	ny := c.Location()
	tests := []struct {
		t    time.Time
		want bool
	}{
		{at(ny, 2026, 9, 15, 8, 59), false},
		{at(ny, 2026, 9, 15, 9, 0), true},
		{time.Date(2026, 9, 15, 16, 59, 59, 999999999, ny), true},
		{at(ny, 2026, 9, 15, 17, 0), false},
		{at(ny, 2026, 9, 15, 23, 0), false},
		{time.Date(2026, 9, 15, 14, 0, 0, 0, time.UTC), true}, // 10:00 in New York
		{time.Date(2026, 9, 15, 22, 0, 0, 0, time.UTC), false},
		{at(ny, 2026, 9, 19, 12, 0), false},  // Saturday
		{at(ny, 2026, 9, 20, 12, 0), false},  // Sunday
		{at(ny, 2026, 9, 7, 12, 0), false},   // Labor Day
		{at(ny, 2026, 11, 26, 12, 0), false}, // Thanksgiving
		{at(ny, 2026, 12, 24, 12, 0), false}, // a closed date
		{at(ny, 2026, 12, 25, 12, 0), false}, // Christmas
		{at(ny, 2026, 12, 23, 12, 0), true},
	}
	for _, tt := range tests {
		if got := c.IsOpen(tt.t); got != tt.want {
			t.Errorf("IsOpen(%v) = %v; want %v", tt.t, got, tt.want)
		}
	}
}

func TestNextOpen(t *testing.T) {
	c := newYork(t)
	ny := c.Location()
	tests := []struct{ t, want time.Time }{
		{at(ny, 2026, 9, 15, 8, 0), at(ny, 2026, 9, 15, 9, 0)},
		{at(ny, 2026, 9, 15, 9, 0), at(ny, 2026, 9, 15, 9, 0)},
		{at(ny, 2026, 9, 15, 12, 34), at(ny, 2026, 9, 15, 12, 34)},
		{at(ny, 2026, 9, 15, 17, 0), at(ny, 2026, 9, 16, 9, 0)},
		{at(ny, 2026, 9, 18, 17, 0), at(ny, 2026, 9, 21, 9, 0)},   // Friday evening to Monday
		{at(ny, 2026, 9, 4, 18, 0), at(ny, 2026, 9, 8, 9, 0)},     // over Labor Day
		{at(ny, 2026, 12, 23, 17, 0), at(ny, 2026, 12, 28, 9, 0)}, // closed date, Christmas, weekend
		{time.Date(2026, 9, 19, 12, 0, 0, 0, time.UTC), at(ny, 2026, 9, 21, 9, 0)},
	}
	for _, tt := range tests {
		got := c.NextOpen(tt.t)
		if !got.Equal(tt.want) {
			t.Errorf("NextOpen(%v) = %v; want %v", tt.t, got, tt.want)
		}
		if got.Location() != ny {
			t.Errorf("NextOpen(%v) = %v; want it in %v", tt.t, got, ny)
		}
	}
}

type addCase struct {
	name  string
	c     *Calendar
	start time.Time
	d     time.Duration
	want  time.Time
}

func addCases(t *testing.T) []addCase {
	c := newYork(t)
	ny := c.Location()
	b := berlin(t)
	be := b.Location()
	a := always(t)
	// sundays is open all day on Sundays only, in Berlin.
	sundays := mustNew(t, Hours{Location: be, Days: []time.Weekday{time.Sunday}, Open: 0, Close: 24 * 60})
	h := time.Hour
	return []addCase{
		{"STACK.md: Wednesday before Thanksgiving", c, at(ny, 2026, 11, 25, 15, 0), 4 * h, at(ny, 2026, 11, 27, 11, 0)},
		{"before opening", c, at(ny, 2026, 9, 15, 8, 0), h, at(ny, 2026, 9, 15, 10, 0)},
		{"at opening", c, at(ny, 2026, 9, 15, 9, 0), h, at(ny, 2026, 9, 15, 10, 0)},
		{"inside", c, at(ny, 2026, 9, 15, 10, 15), 10 * time.Minute, at(ny, 2026, 9, 15, 10, 25)},
		{"ends at closing", c, at(ny, 2026, 9, 15, 16, 0), h, at(ny, 2026, 9, 15, 17, 0)},
		{"one minute past closing", c, at(ny, 2026, 9, 15, 16, 0), h + time.Minute, at(ny, 2026, 9, 16, 9, 1)},
		{"at closing", c, at(ny, 2026, 9, 15, 17, 0), h, at(ny, 2026, 9, 16, 10, 0)},
		{"after closing", c, at(ny, 2026, 9, 15, 18, 0), 30 * time.Minute, at(ny, 2026, 9, 16, 9, 30)},
		{"over the weekend", c, at(ny, 2026, 9, 18, 16, 0), 2 * h, at(ny, 2026, 9, 21, 10, 0)},
		{"from Saturday", c, at(ny, 2026, 9, 19, 10, 0), 4 * h, at(ny, 2026, 9, 21, 13, 0)},
		{"zero from Saturday", c, at(ny, 2026, 9, 19, 10, 0), 0, at(ny, 2026, 9, 21, 9, 0)},
		{"zero when open", c, at(ny, 2026, 9, 15, 11, 0), 0, at(ny, 2026, 9, 15, 11, 0)},
		{"zero at closing", c, at(ny, 2026, 9, 15, 17, 0), 0, at(ny, 2026, 9, 16, 9, 0)},
		{"negative", c, at(ny, 2026, 9, 19, 10, 0), -h, at(ny, 2026, 9, 21, 9, 0)},
		{"several days", c, at(ny, 2026, 9, 15, 10, 0), 20 * h, at(ny, 2026, 9, 17, 14, 0)},
		{"two weeks", c, at(ny, 2026, 9, 14, 9, 0), 80 * h, at(ny, 2026, 9, 25, 17, 0)},
		{"closed date and Christmas", c, at(ny, 2026, 12, 23, 16, 0), 2 * h, at(ny, 2026, 12, 28, 10, 0)},
		{"observed Independence Day", c, at(ny, 2026, 7, 2, 16, 0), 2 * h, at(ny, 2026, 7, 6, 10, 0)},
		{"New York spring forward", c, at(ny, 2026, 3, 6, 16, 30), h, at(ny, 2026, 3, 9, 9, 30)},
		{"New York fall back", c, at(ny, 2026, 10, 30, 16, 30), h, at(ny, 2026, 11, 2, 9, 30)},
		{"Berlin spring forward", b, at(be, 2026, 3, 27, 16, 30), h, at(be, 2026, 3, 30, 9, 30)},
		{"Berlin fall back", b, at(be, 2026, 10, 23, 16, 30), h, at(be, 2026, 10, 26, 9, 30)},
		{"Berlin Easter", b, at(be, 2026, 4, 2, 16, 30), h, at(be, 2026, 4, 7, 9, 30)},
		{"24/7 short day", a, at(ny, 2026, 3, 8, 0, 0), 23 * h, at(ny, 2026, 3, 9, 0, 0)},
		{"24/7 long day", a, at(ny, 2026, 11, 1, 0, 0), 25 * h, at(ny, 2026, 11, 2, 0, 0)},
		{"24/7 across the gap", a, at(ny, 2026, 3, 8, 1, 0), 2 * h, at(ny, 2026, 3, 8, 4, 0)},
		{"24/7 across the repeat", a, at(ny, 2026, 11, 1, 0, 0), 3 * h, at(ny, 2026, 11, 1, 2, 0)},
		{"24/7 a week", a, at(ny, 2026, 9, 15, 10, 0), 7 * 24 * h, at(ny, 2026, 9, 22, 10, 0)},
		{"Sundays: the short day", sundays, at(be, 2026, 3, 28, 12, 0), 23 * h, at(be, 2026, 3, 30, 0, 0)},
		{"Sundays: the long day", sundays, at(be, 2026, 10, 24, 12, 0), 25 * h, at(be, 2026, 10, 26, 0, 0)},
		{"Sundays: a second more", sundays, at(be, 2026, 10, 24, 12, 0), 25*h + time.Second, time.Date(2026, 11, 1, 0, 0, 1, 0, be)},
	}
}

func TestAdd(t *testing.T) {
	for _, tt := range addCases(t) {
		got := tt.c.Add(tt.start, tt.d)
		if !got.Equal(tt.want) {
			t.Errorf("%s: Add(%v, %v) = %v; want %v", tt.name, tt.start, tt.d, got, tt.want)
		}
	}
}

func TestBetween(t *testing.T) {
	for _, tt := range addCases(t) {
		want := max(tt.d, 0)
		if got := tt.c.Between(tt.start, tt.want); got != want {
			t.Errorf("%s: Between(%v, %v) = %v; want %v", tt.name, tt.start, tt.want, got, want)
		}
		if got := tt.c.Between(tt.want, tt.start); got != 0 && !tt.want.Equal(tt.start) {
			t.Errorf("%s: Between(%v, %v) = %v; want 0", tt.name, tt.want, tt.start, got)
		}
	}
	c := newYork(t)
	ny := c.Location()
	a := always(t)
	apia := mustNew(t, Hours{Location: load(t, "Pacific/Apia"), Days: allDays, Open: 0, Close: 24 * 60})
	tests := []struct {
		c    *Calendar
		a, b time.Time
		want time.Duration
	}{
		{c, at(ny, 2026, 9, 19, 0, 0), at(ny, 2026, 9, 21, 0, 0), 0}, // a weekend
		{c, at(ny, 2026, 9, 14, 0, 0), at(ny, 2026, 9, 21, 0, 0), 40 * time.Hour},
		{c, at(ny, 2026, 9, 1, 0, 0), at(ny, 2026, 10, 1, 0, 0), 21 * 8 * time.Hour}, // September less Labor Day
		{c, at(ny, 2026, 9, 15, 12, 0), at(ny, 2026, 9, 15, 12, 0), 0},
		{c, at(ny, 2026, 9, 15, 13, 0), at(ny, 2026, 9, 15, 12, 0), 0},
		{a, at(ny, 2026, 3, 8, 0, 0), at(ny, 2026, 3, 9, 0, 0), 23 * time.Hour},
		{a, at(ny, 2026, 11, 1, 0, 0), at(ny, 2026, 11, 2, 0, 0), 25 * time.Hour},
		{a, at(ny, 2026, 1, 1, 0, 0), at(ny, 2027, 1, 1, 0, 0), 365 * 24 * time.Hour},
		// Samoa skipped 30 December 2011.
		{apia, at(apia.Location(), 2011, 12, 29, 0, 0), at(apia.Location(), 2012, 1, 1, 0, 0), 48 * time.Hour},
	}
	for _, tt := range tests {
		if got := tt.c.Between(tt.a, tt.b); got != tt.want {
			t.Errorf("Between(%v, %v) = %v; want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestAddDays(t *testing.T) {
	c := newYork(t)
	ny := c.Location()
	b := berlin(t)
	be := b.Location()
	a := always(t)
	tests := []struct {
		c     *Calendar
		start time.Time
		n     int
		want  time.Time
	}{
		{c, at(ny, 2026, 9, 16, 15, 0), 1, at(ny, 2026, 9, 17, 15, 0)},
		{c, at(ny, 2026, 9, 18, 15, 0), 1, at(ny, 2026, 9, 21, 15, 0)},   // over a weekend
		{c, at(ny, 2026, 9, 4, 15, 0), 1, at(ny, 2026, 9, 8, 15, 0)},     // and Labor Day
		{c, at(ny, 2026, 11, 25, 15, 0), 1, at(ny, 2026, 11, 27, 15, 0)}, // over Thanksgiving
		{c, at(ny, 2026, 12, 23, 10, 0), 1, at(ny, 2026, 12, 28, 10, 0)}, // a closed date, Christmas, a weekend
		{c, at(ny, 2026, 9, 14, 10, 0), 5, at(ny, 2026, 9, 21, 10, 0)},
		{c, at(ny, 2026, 9, 19, 10, 0), 1, at(ny, 2026, 9, 22, 9, 0)}, // from Saturday: from Monday's opening
		{c, at(ny, 2026, 9, 16, 18, 0), 1, at(ny, 2026, 9, 18, 9, 0)}, // from after closing
		{c, at(ny, 2026, 9, 19, 10, 0), 0, at(ny, 2026, 9, 21, 9, 0)},
		{c, at(ny, 2026, 9, 16, 10, 0), -1, at(ny, 2026, 9, 16, 10, 0)},
		{c, at(ny, 2026, 3, 6, 10, 0), 1, at(ny, 2026, 3, 9, 10, 0)},    // over spring forward
		{c, at(ny, 2026, 10, 30, 10, 0), 1, at(ny, 2026, 11, 2, 10, 0)}, // over fall back
		{b, at(be, 2026, 3, 27, 16, 30), 1, at(be, 2026, 3, 30, 16, 30)},
		{b, at(be, 2026, 12, 23, 12, 0), 1, at(be, 2026, 12, 24, 12, 0)},
		{b, at(be, 2026, 12, 24, 12, 0), 1, at(be, 2026, 12, 28, 12, 0)},
		{a, at(ny, 2026, 3, 7, 2, 30), 1, at(ny, 2026, 3, 8, 3, 30)}, // 02:30 does not exist that day
		{a, at(ny, 2026, 3, 7, 12, 0), 1, at(ny, 2026, 3, 8, 12, 0)},
	}
	for _, tt := range tests {
		if got := tt.c.AddDays(tt.start, tt.n); !got.Equal(tt.want) {
			t.Errorf("AddDays(%v, %d) = %v; want %v", tt.start, tt.n, got, tt.want)
		}
	}
}

func TestDue(t *testing.T) {
	c := newYork(t)
	ny := c.Location()
	tests := []struct {
		start         time.Time
		days, minutes int
		want          time.Time
	}{
		{at(ny, 2026, 11, 25, 15, 0), 0, 240, at(ny, 2026, 11, 27, 11, 0)},
		{at(ny, 2026, 9, 16, 15, 0), 1, 0, at(ny, 2026, 9, 17, 15, 0)},
		{at(ny, 2026, 9, 16, 15, 0), 2, 240, at(ny, 2026, 9, 21, 11, 0)}, // 2d4h
		{at(ny, 2026, 9, 19, 10, 0), 0, 0, at(ny, 2026, 9, 21, 9, 0)},
		{at(ny, 2026, 9, 19, 10, 0), 0, 10, at(ny, 2026, 9, 21, 9, 10)},
		{at(ny, 2026, 9, 16, 16, 30), 1, 60, at(ny, 2026, 9, 18, 9, 30)},
	}
	for _, tt := range tests {
		if got := c.Due(tt.start, tt.days, tt.minutes); !got.Equal(tt.want) {
			t.Errorf("Due(%v, %d, %d) = %v; want %v", tt.start, tt.days, tt.minutes, got, tt.want)
		}
	}
}

// TestAddDaysEveryDay walks a year of working days one at a time, and
// checks that AddDays(n) lands on the same days, at the same time of day.
func TestAddDaysEveryDay(t *testing.T) {
	c := newYork(t)
	start := at(c.Location(), 2026, 1, 2, 11, 45)
	var walked []time.Time
	for d := start; len(walked) < 260; {
		d = c.AddDays(d, 1)
		walked = append(walked, d)
	}
	var jumped []time.Time
	for n := 1; n <= 260; n++ {
		jumped = append(jumped, c.AddDays(start, n))
	}
	if diff := cmp.Diff(walked, jumped); diff != "" {
		t.Errorf("AddDays one at a time and AddDays(n) differ (-walked +jumped):\n%s", diff)
	}
	for _, d := range walked {
		if d.Hour() != 11 || d.Minute() != 45 || !c.IsOpen(d) {
			t.Errorf("AddDays walked to %v; want an open day at 11:45", d)
		}
	}
}

// calendars returns calendars of many shapes, for the property tests.
func calendars(t testing.TB) map[string]*Calendar {
	return map[string]*Calendar{
		"New York":  newYork(t),
		"Berlin":    berlin(t),
		"always":    always(t),
		"Sao Paulo": mustNew(t, Hours{Location: load(t, "America/Sao_Paulo"), Days: weekdays, Open: 8 * 60, Close: 18 * 60, Holidays: "BR"}),
		"Santiago weekends": mustNew(t, Hours{Location: load(t, "America/Santiago"), Days: []time.Weekday{time.Saturday, time.Sunday},
			Open: 0, Close: 24 * 60}),
		"Sydney nights": mustNew(t, Hours{Location: load(t, "Australia/Sydney"), Days: []time.Weekday{time.Sunday, time.Wednesday},
			Open: 60 + 30, Close: 3*60 + 15, Holidays: "AU"}),
		"Lord Howe": mustNew(t, Hours{Location: load(t, "Australia/Lord_Howe"), Days: allDays, Open: 60 + 45, Close: 2*60 + 15}),
		"Apia":      mustNew(t, Hours{Location: load(t, "Pacific/Apia"), Days: allDays, Open: 0, Close: 24 * 60}),
		"London":    mustNew(t, Hours{Location: load(t, "Europe/London"), Days: weekdays[1:4], Open: 0, Close: 60, Holidays: "GB"}),
	}
}

// TestAddProperties checks, for random instants and durations, that Between
// measures back what Add added, that Add never goes backwards, and that its
// result is open or a closing time.
func TestAddProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 2026))
	from := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	const years = 20
	cases := 2000
	if testing.Short() {
		cases = 200
	}
	for name, c := range calendars(t) {
		for range cases {
			start := from.Add(time.Duration(r.Int64N(int64(years * 365 * 24 * time.Hour))))
			if r.IntN(2) == 0 {
				start = c.NextOpen(start)
			}
			d1 := time.Duration(r.Int64N(int64(500 * time.Hour)))
			if r.IntN(4) == 0 {
				d1 = d1.Truncate(time.Minute)
			}
			d2 := d1 + time.Duration(r.Int64N(int64(50*time.Hour)))
			e1, e2 := c.Add(start, d1), c.Add(start, d2)
			if got := c.Between(start, e1); got != d1 {
				t.Errorf("%s: Between(%v, Add(%v, %v) = %v) = %v; want %v", name, start, start, d1, e1, got, d1)
			}
			if e2.Before(e1) {
				t.Errorf("%s: Add(%v, %v) = %v is before Add(%v, %v) = %v", name, start, d2, e2, start, d1, e1)
			}
			checkEnd(t, name, c, start, d1, e1)
		}
	}
}

// checkEnd checks the invariants of e = Add(start, d).
func checkEnd(t *testing.T, name string, c *Calendar, start time.Time, d time.Duration, e time.Time) {
	t.Helper()
	switch {
	case e.Before(start):
		t.Errorf("%s: Add(%v, %v) = %v; want no earlier than the start", name, start, d, e)
	case d <= 0 && !e.Equal(c.NextOpen(start)):
		t.Errorf("%s: Add(%v, %v) = %v; want NextOpen = %v", name, start, d, e, c.NextOpen(start))
	case d <= 0 && !c.IsOpen(e):
		t.Errorf("%s: Add(%v, %v) = %v; want an open instant", name, start, d, e)
	case d > 0 && !c.IsOpen(e.Add(-time.Nanosecond)):
		t.Errorf("%s: Add(%v, %v) = %v; want an open instant or a closing time", name, start, d, e)
	}
}

// FuzzAdd builds a calendar from random hours and checks the invariants of
// Add for a random instant and duration: no panic, no hang, Between gives
// back the duration, the result is open or a closing time, and adding in two
// steps is adding once.
func FuzzAdd(f *testing.F) {
	f.Add(uint8(0b0111110), uint16(540), uint16(1020), uint8(1), uint8(1), int64(1795608000), int64(4*time.Hour), int64(time.Hour))
	f.Add(uint8(0b1111111), uint16(0), uint16(1440), uint8(2), uint8(0), int64(1772953200), int64(23*time.Hour), int64(0))
	f.Add(uint8(0b1000001), uint16(0), uint16(1440), uint8(3), uint8(0), int64(1775271600), int64(25*time.Hour), int64(1))
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe",
		"Pacific/Chatham", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Apia"}
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		locs[i] = load(f, z)
	}
	codes := append([]string{""}, Countries()...)
	f.Fuzz(func(t *testing.T, days uint8, open, close uint16, zone, country uint8, unix, d1, d2 int64) {
		h := Hours{
			Location: locs[int(zone)%len(locs)],
			Open:     int(open) % (24*60 + 1),
			Close:    int(close) % (24*60 + 1),
			Holidays: codes[int(country)%len(codes)],
		}
		for wd := range 7 {
			if days&(1<<wd) != 0 {
				h.Days = append(h.Days, time.Weekday(wd))
			}
		}
		c, err := New(h)
		if err != nil {
			return
		}
		// Instants from 1900 to 2200; durations of up to two years of open
		// time each.
		const span = 300 * 365 * 24 * 3600
		start := time.Unix(-2208988800+(unix%span+span)%span, unix%1e9).In(time.UTC)
		limit := int64(2 * 365 * 24 * time.Hour)
		a := time.Duration(d1 % limit)
		b := time.Duration((d2%limit + limit) % limit)
		e := c.Add(start, a)
		checkEnd(t, "fuzz", c, start, a, e)
		if got := c.Between(start, e); got != max(a, 0) {
			t.Errorf("Between(%v, Add(%v, %v) = %v) = %v; want %v", start, start, a, e, got, max(a, 0))
		}
		if a >= 0 && b > 0 {
			if once, twice := c.Add(start, a+b), c.Add(e, b); !once.Equal(twice) {
				t.Errorf("Add(%v, %v) = %v; want Add(Add(%v, %v), %v) = %v", start, a+b, once, start, a, b, twice)
			}
		}
		if n := c.NextOpen(start); !c.IsOpen(n) || n.Before(start) {
			t.Errorf("NextOpen(%v) = %v; want an open instant no earlier", start, n)
		}
	})
}

func BenchmarkAdd(b *testing.B) {
	c := newYork(b)
	start := at(c.Location(), 2026, 11, 25, 15, 0)
	for _, bb := range []struct {
		name string
		d    time.Duration
	}{
		{"10m", 10 * time.Minute},
		{"366d", 366 * 8 * time.Hour}, // 366 business days of 8 hours
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				c.Add(start, bb.d)
			}
		})
	}
}

func BenchmarkAddDays366(b *testing.B) {
	c := newYork(b)
	start := at(c.Location(), 2026, 11, 25, 15, 0)
	for b.Loop() {
		c.AddDays(start, 366)
	}
}

func BenchmarkBetween366d(b *testing.B) {
	c := newYork(b)
	start := at(c.Location(), 2026, 11, 25, 15, 0)
	end := c.Add(start, 366*8*time.Hour)
	for b.Loop() {
		c.Between(start, end)
	}
}
