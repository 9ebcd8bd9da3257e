package agreement

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on a span: a year of business days, or a year's worth of minutes.
const (
	maxSpanDays    = 366
	maxSpanMinutes = 366 * 24 * 60
)

// Span is a length of working time, written as "10m", "4h", "1d" or "2d4h".
// Minutes and hours count working time inside business hours; a day is a
// business day, so "1d" from Wednesday 15:00 falls due Thursday 15:00 (or on
// the next working day if Thursday is closed). "2d4h" means two business
// days, then four business hours. The zero Span is no time at all.
type Span struct {
	// Days counts business days.
	Days int
	// Minutes counts business minutes after the days (hours are kept as
	// minutes: "4h" is 240).
	Minutes int
}

// ParseSpan reads a span: one or more parts, each a whole number and a unit
// (d, h or m), in that order, each unit at most once, with no spaces.
func ParseSpan(s string) (Span, error) {
	bad := func(why string) (Span, error) {
		return Span{}, fmt.Errorf("%q is not a span (%s; write it like 10m, 4h, 1d or 2d4h)", s, why)
	}
	if s == "" {
		return bad("it is empty")
	}
	if s[0] == '-' || s[0] == '+' {
		return bad("a span has no sign: it counts forward from its start, never back")
	}
	var sp Span
	rest := s
	last := -1 // index into "dhm" of the previous unit
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return bad(fmt.Sprintf("expected a number at %q", rest))
		}
		if i == len(rest) {
			return bad(fmt.Sprintf("%s has no unit: add d, h or m", rest))
		}
		if i > 6 {
			return bad("the number is too large")
		}
		n, _ := strconv.Atoi(rest[:i])
		unit := strings.IndexByte("dhm", rest[i])
		if unit < 0 {
			return bad(fmt.Sprintf("unknown unit %q: the units are d (business days), h and m", rest[i:i+1]))
		}
		if unit <= last {
			return bad("give days, then hours, then minutes, each once")
		}
		last = unit
		switch unit {
		case 0:
			sp.Days = n
		case 1:
			sp.Minutes += n * 60
		case 2:
			sp.Minutes += n
		}
		rest = rest[i+1:]
	}
	if sp.Days > maxSpanDays || sp.Minutes > maxSpanMinutes {
		return bad(fmt.Sprintf("the longest span is %dd, or %dh", maxSpanDays, maxSpanMinutes/60))
	}
	return sp, nil
}

// String writes the span back in the file's notation: days, then hours, then
// minutes, leaving out the parts that are zero ("90m" is written "1h30m").
// The zero span is "0m".
func (s Span) String() string {
	if s.IsZero() {
		return "0m"
	}
	var b strings.Builder
	if s.Days != 0 {
		fmt.Fprintf(&b, "%dd", s.Days)
	}
	if h := s.Minutes / 60; h != 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := s.Minutes % 60; m != 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	return b.String()
}

// IsZero reports whether the span is no time at all.
func (s Span) IsZero() bool { return s.Days == 0 && s.Minutes == 0 }

// BusinessMinutes returns the span's length in business minutes, for a
// business day of dayMinutes minutes. It is how two spans that mix days and
// hours are compared.
func (s Span) BusinessMinutes(dayMinutes int) int {
	return s.Days*dayMinutes + s.Minutes
}

// MarshalText writes the span as [Span.String] does, so a Span reads well in
// JSON.
func (s Span) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a span as [ParseSpan] does.
func (s *Span) UnmarshalText(b []byte) error {
	sp, err := ParseSpan(string(b))
	if err != nil {
		return err
	}
	*s = sp
	return nil
}
