package calendar

// Periods: the months, quarters and years every report of Tandem covers,
// read in the agreement's time zone. ParsePeriod is the one parser of a
// period written by a person (a flag, a query parameter, a form field).

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The years a period may fall in. Outside them a period is refused, so that
// no figure computed over it holds a time that JSON cannot encode and no
// request can ask for a thousand years of work.
const (
	MinYear = 1970
	MaxYear = 2200
)

// Period is the span of time a report covers: a calendar month, quarter or
// year in the agreement's time zone.
type Period struct {
	Name string    `json:"name"` // 2026-11, 2026-Q4 or 2026
	From time.Time `json:"from"`
	To   time.Time `json:"to"` // exclusive: the first instant after the period
	// Months scales marketing's monthly commitment: 1, 3 or 12.
	Months int `json:"months"`
}

// ParsePeriod reads a period written as a month (2026-11), a quarter
// (2026-Q4) or a year (2026), whose days are read in loc. A bad period is an
// EINVALID error naming the field "period".
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	bad := func() (Period, error) {
		return Period{}, tandem.Invalid(tandem.FieldError{Field: "period",
			Message: fmt.Sprintf("%q is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)", s)})
	}
	ys, rest, dash := strings.Cut(s, "-")
	if len(ys) != 4 || !digits(ys) {
		return bad()
	}
	year, _ := strconv.Atoi(ys)
	if year < MinYear || year > MaxYear {
		return Period{}, tandem.Invalid(tandem.FieldError{Field: "period",
			Message: fmt.Sprintf("%q is out of range: a period falls in the years %d to %d", s, MinYear, MaxYear)})
	}
	month, months := 1, 12
	switch {
	case !dash:
	case len(rest) == 2 && digits(rest):
		month, months = int(rest[0]-'0')*10+int(rest[1]-'0'), 1
		if month < 1 || month > 12 {
			return bad()
		}
	case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q') && rest[1] >= '1' && rest[1] <= '4':
		month, months = 3*int(rest[1]-'1')+1, 3
	default:
		return bad()
	}
	return newPeriod(year, time.Month(month), months, loc), nil
}

// MonthOf returns the calendar month, in loc, that t falls in.
func MonthOf(t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	return newPeriod(t.Year(), t.Month(), 1, loc)
}

func newPeriod(year int, month time.Month, months int, loc *time.Location) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	p := Period{From: from, To: from.AddDate(0, months, 0), Months: months}
	switch months {
	case 1:
		p.Name = fmt.Sprintf("%04d-%02d", year, int(month))
	case 3:
		p.Name = fmt.Sprintf("%04d-Q%d", year, (int(month)-1)/3+1)
	default:
		p.Name = fmt.Sprintf("%04d", year)
	}
	return p
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
