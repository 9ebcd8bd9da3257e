// Package calendar does arithmetic in business hours: the time every SLA
// clock of Tandem counts in. A [Calendar] is built from [Hours] (a time
// zone, the working days, the opening hours, a country's public holidays and
// extra closed dates) and answers whether an instant is open, when the next
// opening is, what instant lies a given amount of open time after another,
// and how much open time lies between two instants.
//
// The package is pure: it reads no clock and does no I/O. Every function
// takes the instants it needs, and a Calendar is safe for concurrent use.
//
// # Semantics
//
// All arithmetic is in the calendar's local wall-clock time, so a working day
// opens at the same local hour before and after a daylight-saving change,
// and a day whose hours contain the change is an hour shorter or longer
// (a calendar open 00:00–24:00 counts 23 or 25 hours on that day).
//
//   - A working day (a "business day") is a local date whose weekday is one
//     of [Hours.Days] and which is neither a public holiday of
//     [Hours.Holidays] nor one of [Hours.Closed].
//   - The open time of a working day is the half-open interval [Open, Close)
//     of local time on that date. An instant is open when it lies in the
//     open time of its working day: opening is open, closing is closed.
//   - "From a closed instant" means counting starts at the next opening:
//     a lead handed off on Saturday with a 4h clock is due at Monday 13:00
//     (on 09:00–17:00 hours), and with a 0m clock at Monday 09:00.
//   - [Calendar.Add] with a positive duration may end exactly at a closing
//     time: one hour from 16:00 on 09:00–17:00 hours is 17:00 that day, not
//     09:00 the next working day. A zero (or negative) duration gives
//     [Calendar.NextOpen].
//   - A business day in a span ([Calendar.AddDays], the d of "2d4h") means the
//     same local time on the next working day, whatever the length of the
//     days in between.
//   - A public holiday closes the day it falls on and, where the country
//     gives one, its substitute day: Independence Day on Saturday 4 July
//     2026 closes Friday 3 July and Saturday 4 July.
//   - An opening, closing or time of day that a daylight-saving change skips
//     is read as far after the change as it was meant to be into the gap:
//     02:30 on a day that jumps from 02:00 to 03:00 is 03:30.
//
// Results are in the calendar's location.
package calendar

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Hours configures a calendar.
type Hours struct {
	// Location is the time zone whose wall clock the hours are read in.
	Location *time.Location
	// Days are the working days; duplicates are ignored.
	Days []time.Weekday
	// Open and Close bound the working day in minutes after local
	// midnight: 0 <= Open < Close <= 24*60. Close 24*60 is the midnight
	// that ends the day.
	Open, Close int
	// Holidays is the country (one of [Countries]) whose public holidays
	// are closed, or "" for none.
	Holidays string
	// Closed are further closed dates, read in Location.
	Closed []Date
}

// Date is a calendar date, without a time or a zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Calendar is a checked [Hours]. Build one with [New]; the zero Calendar is
// not usable.
type Calendar struct {
	loc         *time.Location
	days        [7]bool
	open, close int // minutes after local midnight
	country     string
	closed      map[int]bool // day numbers
	// holidays caches, per year, the set of holiday day numbers. Filled
	// lazily, so that a calendar serves any year without computing all.
	holidays sync.Map // int (year) -> map[int]bool
}

// New checks h and returns its calendar. The error names the field that is
// wrong.
func New(h Hours) (*Calendar, error) {
	if h.Location == nil {
		return nil, fmt.Errorf("calendar: Location: no time zone")
	}
	c := &Calendar{loc: h.Location, open: h.Open, close: h.Close, country: h.Holidays, closed: map[int]bool{}}
	for _, d := range h.Days {
		if d < time.Sunday || d > time.Saturday {
			return nil, fmt.Errorf("calendar: Days: %d is not a weekday", int(d))
		}
		c.days[d] = true
	}
	if !slices.Contains(c.days[:], true) {
		return nil, fmt.Errorf("calendar: Days: no working days")
	}
	switch {
	case h.Open < 0 || h.Open >= 24*60:
		return nil, fmt.Errorf("calendar: Open: %d minutes is not a time of day (0 to %d)", h.Open, 24*60-1)
	case h.Close <= 0 || h.Close > 24*60:
		return nil, fmt.Errorf("calendar: Close: %d minutes is not a time of day (1 to %d)", h.Close, 24*60)
	case h.Open >= h.Close:
		return nil, fmt.Errorf("calendar: Open: %s is not before Close %s", clock(h.Open), clock(h.Close))
	}
	if h.Holidays != "" {
		if _, ok := countries[h.Holidays]; !ok {
			return nil, fmt.Errorf("calendar: Holidays: unknown country %q (known: %s)", h.Holidays, strings.Join(Countries(), ", "))
		}
	}
	for i, d := range h.Closed {
		t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		if y, m, dd := t.Date(); y != d.Year || m != d.Month || dd != d.Day {
			return nil, fmt.Errorf("calendar: Closed[%d]: %s is not a date", i, d)
		}
		c.closed[dayNumber(d.Year, d.Month, d.Day)] = true
	}
	return c, nil
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsOpen reports whether t lies in open time.
func (c *Calendar) IsOpen(t time.Time) bool {
	t = t.In(c.loc)
	o, cl, ok := c.working(c.dayOf(t))
	return ok && !t.Before(o) && t.Before(cl)
}

// NextOpen returns t itself if it is open, or else the next opening after
// it.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	t, _, _ = c.nextOpen(t)
	return t
}

// nextOpen returns NextOpen(t), the day number of its working day and that
// day's closing.
func (c *Calendar) nextOpen(t time.Time) (time.Time, int, time.Time) {
	t = t.In(c.loc)
	n := c.dayOf(t)
	if o, cl, ok := c.working(n); ok {
		if t.Before(o) {
			return o, n, cl
		}
		if t.Before(cl) {
			return t, n, cl
		}
	}
	n, o, cl := c.nextWorking(n + 1)
	return o, n, cl
}

// Add returns the instant d of open time after t. From a closed instant the
// count starts at the next opening. The result may be a closing time (see
// the package comment); when d <= 0 it is [Calendar.NextOpen] of t.
//
// Add takes time in proportion to the days spanned, not to d.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	t, n, cl := c.nextOpen(t)
	if d <= 0 {
		return t
	}
	for {
		left := cl.Sub(t)
		if d <= left {
			return t.Add(d)
		}
		d -= left
		n, t, cl = c.nextWorking(n + 1)
	}
}

// AddDays returns the instant n working days after t at the same local time
// of day. From a closed instant it counts from the next opening. If that
// time is not open on the day reached (a daylight-saving change can do
// that), the result is the next opening after it. When n <= 0 it is
// [Calendar.NextOpen] of t.
func (c *Calendar) AddDays(t time.Time, n int) time.Time {
	t, day, _ := c.nextOpen(t)
	if n <= 0 {
		return t
	}
	for range n {
		day, _, _ = c.nextWorking(day + 1)
	}
	y, m, d := civil(day)
	hh, mm, ss := t.Clock()
	return c.NextOpen(wall(y, m, d, hh*60+mm, ss, t.Nanosecond(), c.loc))
}

// Due returns the due time of a clock of days business days and minutes
// business minutes started at t: [Calendar.AddDays], then [Calendar.Add].
// A span of zero is due at the next opening.
func (c *Calendar) Due(t time.Time, days, minutes int) time.Time {
	return c.Add(c.AddDays(t, days), time.Duration(minutes)*time.Minute)
}

// Between returns the open time between a and b, or 0 if b is not after a:
// a response time in business hours.
//
// Between takes time in proportion to the days spanned.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var sum time.Duration
	for n, last := c.dayOf(a.In(c.loc)), c.dayOf(b.In(c.loc)); n <= last; n++ {
		o, cl, ok := c.working(n)
		if !ok {
			continue
		}
		if a.After(o) {
			o = a
		}
		if b.Before(cl) {
			cl = b
		}
		if cl.After(o) {
			sum += cl.Sub(o)
		}
	}
	return sum
}

// bounds returns the opening and closing instants of day n.
func (c *Calendar) bounds(n int) (open, close time.Time) {
	y, m, d := civil(n)
	return wall(y, m, d, c.open, 0, 0, c.loc), wall(y, m, d, c.close, 0, 0, c.loc)
}

// wall returns the instant when the clocks of loc show min minutes (sec
// seconds, nsec nanoseconds) after the midnight that starts the date y-m-d;
// 24*60 minutes is the midnight that ends it. A wall time that a
// daylight-saving change skips is read as if the change had not happened
// yet, which puts it as far after the gap as it is into it (02:30 on a day
// that skips from 02:00 to 03:00 is 03:30). time.Date leaves that choice
// open, and does take the other side when the gap starts at midnight
// (America/Santiago), which would put a day's opening in the day before.
func wall(y int, m time.Month, d, min, sec, nsec int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, min, sec, nsec, loc)
	// Almost always t shows the time asked for; check that cheaply.
	if min < 24*60 && t.Hour() == min/60 && t.Minute() == min%60 && t.Second() == sec && t.Day() == d {
		return t
	}
	want := time.Date(y, m, d, 0, min, sec, nsec, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if got.Before(want) {
		t = t.Add(want.Sub(got))
	}
	return t
}

// working reports whether day n is a working day with some open time, and
// if so returns its opening and closing.
func (c *Calendar) working(n int) (open, close time.Time, ok bool) {
	if !c.days[weekday(n)] || c.closed[n] || c.holiday(n) {
		return time.Time{}, time.Time{}, false
	}
	open, close = c.bounds(n)
	// Hours inside a daylight-saving gap can shrink to nothing, and a date
	// that a zone skipped (Pacific/Apia, 2011-12-30) has none: its
	// opening falls on a later date.
	return open, close, close.After(open) && c.dayOf(open) == n
}

// nextWorking returns the first working day numbered n or later, with its
// opening and closing. It ends: every week has a working day, and holidays
// and closed dates are finite and few.
func (c *Calendar) nextWorking(n int) (int, time.Time, time.Time) {
	for {
		if o, cl, ok := c.working(n); ok {
			return n, o, cl
		}
		n++
	}
}

func (c *Calendar) holiday(n int) bool {
	if c.country == "" {
		return false
	}
	y, _, _ := civil(n)
	set, ok := c.holidays.Load(y)
	if !ok {
		m := map[int]bool{}
		for _, d := range holidayDays(c.country, y) {
			m[d] = true
		}
		set, _ = c.holidays.LoadOrStore(y, m)
	}
	return set.(map[int]bool)[n]
}

// dayOf returns the day number of t's date in t's location.
func (c *Calendar) dayOf(t time.Time) int {
	y, m, d := t.Date()
	return dayNumber(y, m, d)
}

// Days are numbered from 1970-01-01 (day 0), so that moving to the next day
// is n+1 whatever the zone does.

func dayNumber(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func civil(n int) (int, time.Month, int) {
	return time.Unix(int64(n)*86400, 0).UTC().Date()
}

// weekday returns the weekday of day n; day 0 was a Thursday.
func weekday(n int) time.Weekday {
	return time.Weekday(((n+4)%7 + 7) % 7)
}
