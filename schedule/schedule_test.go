package schedule_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/schedule"
)

var newYork, _ = time.LoadLocation("America/New_York")

func ny(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, newYork)
}

// defaultCalendar is the default agreement's: New York, Monday to Friday,
// US holidays, 24 December closed.
func defaultCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	a, err := agreement.Parse("default.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("parsing the default agreement: %v", err)
	}
	c, err := a.BusinessHours.Calendar()
	if err != nil {
		t.Fatalf("the default agreement's calendar: %v", err)
	}
	return c
}

// TestLatest checks the occurrences by hand, from a wall calendar of
// 2026-27 in New York.
func TestLatest(t *testing.T) {
	cal := defaultCalendar(t)
	tests := []struct {
		kind string
		now  time.Time
		want schedule.Occurrence
	}{
		// 1 December 2026 is a Tuesday: November's scorecard goes then.
		{schedule.Scorecard, ny(2026, 12, 7, 12, 0), schedule.Occurrence{Key: "2026-11", Period: "2026-11", Due: ny(2026, 12, 1, 8, 0)}},
		{schedule.Scorecard, ny(2026, 12, 1, 8, 0), schedule.Occurrence{Key: "2026-11", Period: "2026-11", Due: ny(2026, 12, 1, 8, 0)}},
		// A minute earlier it is October's, sent on Monday 2 November
		// (the 1st was a Sunday), at 08:00 EST, the day after DST ended.
		{schedule.Scorecard, ny(2026, 12, 1, 7, 59), schedule.Occurrence{Key: "2026-10", Period: "2026-10", Due: ny(2026, 11, 2, 8, 0)}},
		// 1 January 2027 is New Year's Day (a US holiday, a Friday), then
		// a weekend: December's scorecard goes on Monday 4 January.
		{schedule.Scorecard, ny(2027, 1, 3, 23, 0), schedule.Occurrence{Key: "2026-11", Period: "2026-11", Due: ny(2026, 12, 1, 8, 0)}},
		{schedule.Scorecard, ny(2027, 1, 4, 8, 0), schedule.Occurrence{Key: "2026-12", Period: "2026-12", Due: ny(2027, 1, 4, 8, 0)}},
		// Pacing: Monday 7 December 2026 is in ISO week 50.
		{schedule.Pacing, ny(2026, 12, 7, 8, 0), schedule.Occurrence{Key: "2026-W50", Period: "2026-12", Due: ny(2026, 12, 7, 8, 0)}},
		{schedule.Pacing, ny(2026, 12, 7, 7, 59), schedule.Occurrence{Key: "2026-W49", Period: "2026-11", Due: ny(2026, 11, 30, 8, 0)}},
		{schedule.Pacing, ny(2026, 12, 13, 23, 59), schedule.Occurrence{Key: "2026-W50", Period: "2026-12", Due: ny(2026, 12, 7, 8, 0)}},
		// 28 December 2026 is a Monday of ISO week 53; 4 January 2027 of
		// week 1 of 2027.
		{schedule.Pacing, ny(2027, 1, 1, 12, 0), schedule.Occurrence{Key: "2026-W53", Period: "2026-12", Due: ny(2026, 12, 28, 8, 0)}},
		{schedule.Pacing, ny(2027, 1, 4, 9, 0), schedule.Occurrence{Key: "2027-W01", Period: "2027-01", Due: ny(2027, 1, 4, 8, 0)}},
	}
	for _, tt := range tests {
		got, err := schedule.Latest(tt.kind, cal, tt.now.UTC())
		if err != nil {
			t.Errorf("Latest(%s, %v) = %v", tt.kind, tt.now, err)
			continue
		}
		if !got.Due.Equal(tt.want.Due) || got.Key != tt.want.Key || got.Period != tt.want.Period {
			t.Errorf("Latest(%s, %v) = %s %s %v; want %s %s %v", tt.kind, tt.now, got.Key, got.Period, got.Due.In(newYork),
				tt.want.Key, tt.want.Period, tt.want.Due)
		}
	}
	if _, err := schedule.Latest("daily", cal, time.Now()); err == nil {
		t.Errorf("Latest(daily) = nil error; want an error naming the kind")
	}
}

// TestNext: the occurrence after the latest one, by hand.
func TestNext(t *testing.T) {
	cal := defaultCalendar(t)
	for _, tt := range []struct {
		kind string
		now  time.Time
		want time.Time
		key  string
	}{
		{schedule.Scorecard, ny(2026, 12, 7, 12, 0), ny(2027, 1, 4, 8, 0), "2026-12"},
		{schedule.Scorecard, ny(2026, 11, 30, 12, 0), ny(2026, 12, 1, 8, 0), "2026-11"},
		{schedule.Pacing, ny(2026, 12, 7, 8, 0), ny(2026, 12, 14, 8, 0), "2026-W51"},
		{schedule.Pacing, ny(2026, 12, 6, 8, 0), ny(2026, 12, 7, 8, 0), "2026-W50"},
	} {
		got, err := schedule.Next(tt.kind, cal, tt.now.UTC())
		if err != nil || !got.Due.Equal(tt.want) || got.Key != tt.key {
			t.Errorf("Next(%s, %v) = %s %v, %v; want %s %v", tt.kind, tt.now, got.Key, got.Due.In(newYork), err, tt.key, tt.want)
		}
	}
}

// TestValidate: a good schedule is put in one form; each bad field is
// named, and a schedule to nobody is refused.
func TestValidate(t *testing.T) {
	s := schedule.Schedule{Kind: schedule.Scorecard, Roles: []tandem.Role{tandem.RoleSalesHead, tandem.RoleExecutive, tandem.RoleSalesHead},
		Addresses: []string{" Board@Example.com", "cfo@example.com", "board@example.com"}}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v; want nil", s, err)
	}
	want := schedule.Schedule{Kind: schedule.Scorecard, Roles: []tandem.Role{tandem.RoleExecutive, tandem.RoleSalesHead},
		Addresses: []string{"board@example.com", "cfo@example.com"}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Validate left (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		s     schedule.Schedule
		field string
		says  string
	}{
		{schedule.Schedule{Kind: "daily", Addresses: []string{"a@example.com"}}, "kind", `"daily" is not a kind`},
		{schedule.Schedule{Kind: schedule.Pacing, Roles: []tandem.Role{"boss"}}, "roles", "boss"},
		{schedule.Schedule{Kind: schedule.Pacing, Addresses: []string{"Ana <ana@example.com>"}}, "addresses", "write it bare"},
		{schedule.Schedule{Kind: schedule.Pacing, Addresses: []string{"ana@localhost"}}, "addresses", "not an email address"},
		{schedule.Schedule{Kind: schedule.Pacing}, "roles", "at least one role or address"},
	} {
		err := tt.s.Validate()
		if tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Validate(%+v) = %v; want EINVALID", tt.s, err)
			continue
		}
		found := false
		for _, f := range tandem.ErrorFields(err) {
			found = found || (f.Field == tt.field && strings.Contains(f.Message, tt.says))
		}
		if !found {
			t.Errorf("Validate(%+v) = %v; want field %s saying %q", tt.s, tandem.ErrorFields(err), tt.field, tt.says)
		}
	}
}

// FuzzAddress: any text gives an address or an error, never a panic, and
// an address read back reads the same.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"ana@example.com", " A@B.co ", "Ana <a@b.c>", "", "@", "a@b", strings.Repeat("a", 300) + "@x.io", "a\r\n@b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := schedule.Address(s)
		if err != nil {
			return
		}
		if b, err := schedule.Address(a); err != nil || b != a {
			t.Errorf("Address(%q) = %q, but Address(%q) = %q, %v", s, a, a, b, err)
		}
		if strings.ContainsAny(a, "\r\n<>") {
			t.Errorf("Address(%q) = %q: holds a line break or a bracket", s, a)
		}
	})
}
