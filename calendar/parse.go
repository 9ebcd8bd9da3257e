package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layouts are the forms [ParseTime] and [Wall] read when they are given
// none: RFC 3339 (an instant, with its offset or Z), a calendar date, and a
// date with a time of day but no offset, with a T or a space between them.
// Seconds may carry a fraction.
var Layouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	time.DateOnly,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
}

// probe is a zone no layout's offset is likely to name: a value read the
// same in UTC and in probe carried its own offset.
var probe = time.FixedZone("probe", 5*3600+17*60)

// ParseTime is the one reader of the dates and times that people and files
// write, for every import, the API and the reports. It reads s in the first
// of layouts (Go layouts; [Layouts] when none is given) that fits:
//
//   - A value with an offset (2018-03-01T10:00:00-03:00, or Z for UTC) is
//     that instant, whatever loc is.
//   - A calendar date (2018-03-01, or 03/01/2018 through the layout
//     "01/02/2006") is the day in loc: the instant its first moment starts
//     there, midnight, or the end of a daylight-saving gap that starts at
//     midnight. It stays on its day in every report read in loc.
//   - A date with a time of day and no offset (2018-03-01 10:00:00) is that
//     wall-clock time in loc; a time that a daylight-saving change skips is
//     read as far after the gap as it is into it, as [Calendar] does.
//
// The result is in UTC, to the microsecond (as both databases keep it), in
// the years 1 to 9999, and not the zero time, which means "no time".
func ParseTime(s string, loc *time.Location, layouts ...string) (time.Time, error) {
	w, zoned, err := read(s, layouts)
	if err != nil {
		return time.Time{}, err
	}
	t := w
	if !zoned {
		if loc == nil {
			loc = time.UTC
		}
		t = wall(w.Year(), w.Month(), w.Day(), w.Hour()*60+w.Minute(), w.Second(), w.Nanosecond(), loc)
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range (want a year between 1 and 9999)", s)
	}
	return t, nil
}

// Wall reads s as [ParseTime] does, for a reader that does not know yet the
// zone it will be read in (an import's file, read before the store knows the
// agreement in force). It returns the value in the form ParseTime reads
// back, and which it reads the same in every zone: RFC 3339 in UTC for a
// value with an offset, 2018-03-01 for a calendar date, and
// 2018-03-01T10:00:00 (with a fraction when there is one) for a wall-clock
// time.
func Wall(s string, layouts ...string) (string, error) {
	w, zoned, err := read(s, layouts)
	if err != nil {
		return "", err
	}
	if zoned {
		t, err := ParseTime(s, time.UTC, layouts...)
		if err != nil {
			return "", err
		}
		return t.Format(time.RFC3339Nano), nil
	}
	w = w.Truncate(time.Microsecond)
	if w.Year() < 1 || w.Year() > 9999 {
		return "", fmt.Errorf("%q is out of range (want a year between 1 and 9999)", s)
	}
	if w.Hour() == 0 && w.Minute() == 0 && w.Second() == 0 && w.Nanosecond() == 0 {
		return w.Format(time.DateOnly), nil
	}
	return w.Format("2006-01-02T15:04:05.999999"), nil
}

// read returns the first reading of s by layouts, as a wall clock in UTC
// unless zoned says that s named its offset, when it is that instant.
func read(s string, layouts []string) (w time.Time, zoned bool, err error) {
	custom := len(layouts) > 0
	if !custom {
		layouts = Layouts
	}
	s = strings.TrimSpace(s)
	for _, layout := range layouts {
		a, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil {
			continue
		}
		b, err := time.ParseInLocation(layout, s, probe)
		if err != nil {
			continue
		}
		return a, a.Equal(b), nil
	}
	if custom {
		q := make([]string, len(layouts))
		for i, l := range layouts {
			q[i] = strconv.Quote(l)
		}
		return time.Time{}, false, fmt.Errorf("%q is not a time in any of the formats %s", s, strings.Join(q, ", "))
	}
	return time.Time{}, false, fmt.Errorf("%q is not a date or a time (want a date, like 2026-11-22, a date and time of day, like 2026-11-22 09:30, or RFC 3339, like 2026-11-22T09:30:00Z)", s)
}
