package calendar

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestParsePeriod(t *testing.T) {
	newYork := mustZone(t, "America/New_York")
	tests := []struct {
		in       string
		name     string
		from, to time.Time
		months   int
	}{
		{"2026-11", "2026-11", time.Date(2026, 11, 1, 0, 0, 0, 0, newYork), time.Date(2026, 12, 1, 0, 0, 0, 0, newYork), 1},
		{"2026-Q4", "2026-Q4", time.Date(2026, 10, 1, 0, 0, 0, 0, newYork), time.Date(2027, 1, 1, 0, 0, 0, 0, newYork), 3},
		{"2026-q1", "2026-Q1", time.Date(2026, 1, 1, 0, 0, 0, 0, newYork), time.Date(2026, 4, 1, 0, 0, 0, 0, newYork), 3},
		{"2026", "2026", time.Date(2026, 1, 1, 0, 0, 0, 0, newYork), time.Date(2027, 1, 1, 0, 0, 0, 0, newYork), 12},
		{"2026-12", "2026-12", time.Date(2026, 12, 1, 0, 0, 0, 0, newYork), time.Date(2027, 1, 1, 0, 0, 0, 0, newYork), 1},
		{"1970-01", "1970-01", time.Date(1970, 1, 1, 0, 0, 0, 0, newYork), time.Date(1970, 2, 1, 0, 0, 0, 0, newYork), 1},
		{"2200", "2200", time.Date(2200, 1, 1, 0, 0, 0, 0, newYork), time.Date(2201, 1, 1, 0, 0, 0, 0, newYork), 12},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in, newYork)
		if err != nil || p.Name != tt.name || !p.From.Equal(tt.from) || !p.To.Equal(tt.to) || p.Months != tt.months {
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %s from %v to %v, %d months", tt.in, p, err, tt.name, tt.from, tt.to, tt.months)
		}
	}
	for _, bad := range []string{"", "2026-", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-11", "2026-1", "2026-011", "november", "0000", "1969", "1969-12", "2201", "2201-Q1", "9999", "9999-12", "2026/11", "２０２６"} {
		_, err := ParsePeriod(bad, newYork)
		var fields []tandem.FieldError
		if e, ok := err.(*tandem.Error); ok {
			fields = e.Fields
		}
		if tandem.ErrorCode(err) != tandem.EINVALID || len(fields) != 1 || fields[0].Field != "period" {
			t.Errorf("ParsePeriod(%q) = %v; want EINVALID naming period", bad, err)
		}
	}
	if m := MonthOf(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), newYork); m.Name != "2026-11" {
		t.Errorf("MonthOf(1 Dec 03:00 UTC) = %s; want 2026-11 (still November in New York)", m.Name)
	}
}

// FuzzParsePeriod: any text is a period or a clear error naming the field,
// never a panic; a period read back from its name is the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-Q4", "2026", "2026-q1", "0000-01", "9999-12", "2026-13", "2026-Q5", "-", "", "2026-1"} {
		f.Add(s)
	}
	loc := mustZone(f, "America/New_York")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s, loc)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != "period" {
				t.Fatalf("ParsePeriod(%q) = %v; want an invalid error naming period", s, err)
			}
			return
		}
		if !p.From.Before(p.To) || p.Months != 1 && p.Months != 3 && p.Months != 12 {
			t.Fatalf("ParsePeriod(%q) = %+v", s, p)
		}
		again, err := ParsePeriod(p.Name, loc)
		if err != nil || !again.From.Equal(p.From) || !again.To.Equal(p.To) {
			t.Fatalf("ParsePeriod(%q) = %+v, but its name %q reads as %+v, %v", s, p, p.Name, again, err)
		}
	})
}

func mustZone(tb testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}
