package calendar

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	newYork := mustZone(t, "America/New_York")
	saoPaulo := mustZone(t, "America/Sao_Paulo")
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("time.Parse: %v", err)
		}
		return v
	}
	tests := []struct {
		in      string
		loc     *time.Location
		layouts []string
		want    time.Time
	}{
		// A calendar date is its day in the zone: midnight in New York is
		// 05:00 UTC in winter, 04:00 in summer.
		{"2018-03-01", newYork, nil, utc("2018-03-01T05:00:00Z")},
		{"2018-06-01", newYork, nil, utc("2018-06-01T04:00:00Z")},
		{"2018-03-01", time.UTC, nil, utc("2018-03-01T00:00:00Z")},
		{" 2018-03-01 ", newYork, nil, utc("2018-03-01T05:00:00Z")},
		// A US date through a mapping's layout.
		{"03/01/2018", newYork, []string{"01/02/2006"}, utc("2018-03-01T05:00:00Z")},
		{"01/03/2018", newYork, []string{"02/01/2006"}, utc("2018-03-01T05:00:00Z")},
		// A time of day without offset is the zone's wall clock.
		{"2018-03-01 10:00:00", newYork, nil, utc("2018-03-01T15:00:00Z")},
		{"2018-03-01T10:00:00", newYork, nil, utc("2018-03-01T15:00:00Z")},
		{"2018-03-01 10:00", newYork, nil, utc("2018-03-01T15:00:00Z")},
		{"2018-03-31 22:30:00.5", newYork, nil, utc("2018-04-01T02:30:00.5Z")},
		// An offset keeps its instant, whatever the zone.
		{"2018-03-01T10:00:00Z", newYork, nil, utc("2018-03-01T10:00:00Z")},
		{"2018-03-01T10:00:00-03:00", newYork, nil, utc("2018-03-01T13:00:00Z")},
		{"2018-03-01 10:00:00+01:00", newYork, nil, utc("2018-03-01T09:00:00Z")},
		{"2018-03-01T10:00:00.1234567Z", newYork, nil, utc("2018-03-01T10:00:00.123456Z")},
		// A nil zone is UTC.
		{"2018-03-01", nil, nil, utc("2018-03-01T00:00:00Z")},
		// Daylight saving: 02:30 on the day New York skips 02:00 to 03:00
		// is 03:30; São Paulo skipped midnight on 2018-11-04, so that day
		// starts at 01:00 local (03:00 UTC), still on the 4th.
		{"2018-03-11 02:30:00", newYork, nil, utc("2018-03-11T07:30:00Z")},
		{"2018-11-04", saoPaulo, nil, utc("2018-11-04T03:00:00Z")},
		{"2018-11-05", saoPaulo, nil, utc("2018-11-05T02:00:00Z")},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.loc, tt.layouts...)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q, %v, %q) = %v, %v; want %v", tt.in, tt.loc, tt.layouts, got, err, tt.want)
		}
	}

	for _, bad := range []struct {
		in      string
		layouts []string
		want    string
	}{
		{"", nil, `"" is not a date or a time`},
		{"2018-02-30", nil, `"2018-02-30" is not a date or a time`},
		{"2018-13-01", nil, `is not a date or a time`},
		{"01/03/2018", nil, `"01/03/2018" is not a date or a time`},
		{"yesterday", nil, `is not a date or a time`},
		{"2018-03-01", []string{"01/02/2006"}, `"2018-03-01" is not a time in any of the formats "01/02/2006"`},
		{"0000-01-01", nil, `out of range`},
		{"0001-01-01T00:00:00Z", nil, `out of range`},
		{"9999-12-31T23:00:00-05:00", nil, `out of range`},
	} {
		_, err := ParseTime(bad.in, newYork, bad.layouts...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseTime(%q, %v, %q) = %v; want an error containing %q", bad.in, newYork, bad.layouts, err, bad.want)
		}
	}
}

func TestWall(t *testing.T) {
	for _, tt := range []struct {
		in      string
		layouts []string
		want    string
	}{
		{"2018-03-01", nil, "2018-03-01"},
		{"03/01/2018", []string{"01/02/2006"}, "2018-03-01"},
		{"2018-03-01 00:00:00", nil, "2018-03-01"},
		{"2018-03-01 10:00:00", nil, "2018-03-01T10:00:00"},
		{"2018-03-01 10:00:00.25", nil, "2018-03-01T10:00:00.25"},
		{"2018-03-01T10:00:00-03:00", nil, "2018-03-01T13:00:00Z"},
		{"2018-03-01T10:00:00Z", nil, "2018-03-01T10:00:00Z"},
	} {
		got, err := Wall(tt.in, tt.layouts...)
		if err != nil || got != tt.want {
			t.Errorf("Wall(%q, %q) = %q, %v; want %q", tt.in, tt.layouts, got, err, tt.want)
		}
	}
	if got, err := Wall("2018-02-30"); err == nil {
		t.Errorf("Wall(%q) = %q; want an error", "2018-02-30", got)
	}
}

// FuzzParseTime checks the promises of ParseTime on any input: a date stays
// on its day in the zone and starts it; a value with an offset is read the
// same in every zone; Wall's form reads back as the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2018-03-01", "2018-11-04", "2018-03-11 02:30:00", "2018-03-01T10:00:00-03:00",
		"2018-03-01T10:00:00Z", "2018-03-31 22:30:00.5", "0001-01-01", "9999-12-31", "2018-02-30", ""} {
		f.Add(s)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatalf("time.LoadLocation: %v", err)
	}
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		f.Fatalf("time.LoadLocation: %v", err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ny, err := ParseTime(s, newYork)
		if err != nil {
			return
		}
		if ny.Location() != time.UTC || ny.IsZero() || ny.Year() < 1 || ny.Year() > 9999 || ny.Nanosecond()%1000 != 0 {
			t.Fatalf("ParseTime(%q) = %v; want a UTC time to the microsecond in years 1 to 9999", s, ny)
		}
		w, err := Wall(s)
		if err != nil {
			t.Fatalf("ParseTime(%q) = %v but Wall(%q) = %v", s, ny, s, err)
		}
		for _, loc := range []*time.Location{newYork, saoPaulo, time.UTC} {
			a, errA := ParseTime(s, loc)
			b, errB := ParseTime(w, loc)
			if (errA == nil) != (errB == nil) || !a.Equal(b) {
				t.Fatalf("ParseTime(%q, %v) = %v, %v; ParseTime(Wall = %q) = %v, %v; want the same", s, loc, a, errA, w, b, errB)
			}
			if errA != nil {
				continue
			}
			if _, err := time.Parse(time.DateOnly, strings.TrimSpace(s)); err == nil {
				// A date: its day in loc, from its first instant.
				if got := a.In(loc).Format(time.DateOnly); got != strings.TrimSpace(s) {
					t.Fatalf("ParseTime(%q, %v) = %v, on %s; want the same day", s, loc, a, got)
				}
				if a.Year() > 1 && a.Add(-time.Microsecond).In(loc).Format(time.DateOnly) == strings.TrimSpace(s) {
					t.Fatalf("ParseTime(%q, %v) = %v; the microsecond before is on the same day", s, loc, a)
				}
			}
			if strings.HasSuffix(w, "Z") && !a.Equal(ny) {
				t.Fatalf("ParseTime(%q) has an offset but reads %v in %v and %v in New York", s, a, loc, ny)
			}
		}
	})
}
