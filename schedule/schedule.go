// Package schedule holds the rule of when a scheduled report is due: the
// monthly scorecard on the first working day of each month at 08:00, and
// the weekly pacing digest every Monday at 08:00, both in the agreement's
// time zone and calendar (docs/integrations.md, "Scheduled scorecard").
// It is pure: the worker asks it which occurrence is due, the store makes
// sure each occurrence is sent once.
//
// A cron expression (robfig/cron, STACK.md) cannot say "the first working
// day" (it knows no holidays), so the rule is written here over the
// agreement's calendar.
package schedule

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// Kinds of schedule.
const (
	Scorecard = "scorecard" // the scorecard of the month just closed, on the first working day at 08:00
	Pacing    = "pacing"    // the pacing of the month so far, every Monday at 08:00
)

// Kinds lists the kinds of schedule.
var Kinds = []string{Scorecard, Pacing}

// SendHour is the hour of the day, in the agreement's time zone, at which
// a schedule sends.
const SendHour = 8

// Limits on a schedule's recipients.
const (
	MaxAddresses = 50
	maxAddress   = 254 // RFC 5321's limit on a path
)

// Schedule sends a report of its kind to the users of its roles and to its
// addresses.
type Schedule struct {
	ID        int64         `json:"id"`
	Kind      string        `json:"kind"`
	Roles     []tandem.Role `json:"roles"`
	Addresses []string      `json:"addresses"`
	CreatedBy string        `json:"created_by"`
	CreatedAt time.Time     `json:"created_at"`
}

// Validate checks the schedule's kind and recipients and puts them in one
// form (addresses lower-cased, roles and addresses sorted and without
// repeats). It returns EINVALID naming each bad field.
func (s *Schedule) Validate() error {
	var errs []tandem.FieldError
	if !slices.Contains(Kinds, s.Kind) {
		errs = append(errs, tandem.FieldError{Field: "kind", Message: fmt.Sprintf("%q is not a kind of schedule: want %s", s.Kind, strings.Join(Kinds, " or "))})
	}
	for _, r := range s.Roles {
		if _, err := tandem.ParseRole(string(r)); err != nil {
			errs = append(errs, tandem.FieldError{Field: "roles", Message: tandem.ErrorMessage(err)})
		}
	}
	if len(s.Addresses) > MaxAddresses {
		errs = append(errs, tandem.FieldError{Field: "addresses", Message: fmt.Sprintf("%d addresses: at most %d", len(s.Addresses), MaxAddresses)})
	}
	for i, a := range s.Addresses {
		clean, err := Address(a)
		if err != nil {
			errs = append(errs, tandem.FieldError{Field: "addresses", Message: err.Error()})
			continue
		}
		s.Addresses[i] = clean
	}
	if len(s.Roles) == 0 && len(s.Addresses) == 0 {
		errs = append(errs, tandem.FieldError{Field: "roles", Message: "a schedule needs at least one role or address to send to"})
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	slices.Sort(s.Roles)
	s.Roles = slices.Compact(s.Roles)
	slices.Sort(s.Addresses)
	s.Addresses = slices.Compact(s.Addresses)
	return nil
}

// Address reads one email address, written bare (ana@example.com), and
// returns it lower-cased, or an error saying why it is not one.
func Address(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxAddress {
		return "", fmt.Errorf("%q is not an email address", clip(s))
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", fmt.Errorf("%q is not an email address (write it bare: name@example.com)", clip(s))
	}
	return strings.ToLower(a.Address), nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Occurrence is one send of a schedule.
type Occurrence struct {
	// Key names the occurrence, once per schedule: the scorecard's month
	// (2026-11) or the pacing digest's ISO week (2026-W50).
	Key string
	// Period is the report's period: the month just closed for the
	// scorecard, the month of the Monday for the pacing digest.
	Period string
	// Due is when it is sent.
	Due time.Time
}

// Latest returns the latest occurrence of a schedule of kind due at or
// before now, in the calendar cal (the agreement's business hours).
func Latest(kind string, cal *calendar.Calendar, now time.Time) (Occurrence, error) {
	loc := cal.Location()
	t := now.In(loc)
	switch kind {
	case Scorecard:
		month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		o := monthly(cal, month)
		if o.Due.After(now) {
			o = monthly(cal, month.AddDate(0, -1, 0))
		}
		return o, nil
	case Pacing:
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		day = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // back to Monday
		o := weekly(day)
		if o.Due.After(now) {
			o = weekly(day.AddDate(0, 0, -7))
		}
		return o, nil
	}
	return Occurrence{}, fmt.Errorf("%q is not a kind of schedule", kind)
}

// Next returns the first occurrence of a schedule of kind due after now.
func Next(kind string, cal *calendar.Calendar, now time.Time) (Occurrence, error) {
	o, err := Latest(kind, cal, now)
	if err != nil {
		return o, err
	}
	loc := cal.Location()
	switch kind {
	case Scorecard:
		d := o.Due.In(loc)
		return monthly(cal, time.Date(d.Year(), d.Month()+1, 1, 0, 0, 0, 0, loc)), nil
	default:
		d := o.Due.In(loc)
		return weekly(time.Date(d.Year(), d.Month(), d.Day()+7, 0, 0, 0, 0, loc)), nil
	}
}

// monthly is the scorecard's occurrence in the month that starts at
// month: on its first working day at SendHour, reporting the month before.
func monthly(cal *calendar.Calendar, month time.Time) Occurrence {
	loc := cal.Location()
	open := cal.NextOpen(month).In(loc) // the first working day's opening
	due := time.Date(open.Year(), open.Month(), open.Day(), SendHour, 0, 0, 0, loc)
	prev := calendar.MonthOf(month.AddDate(0, 0, -1), loc).Name
	return Occurrence{Key: prev, Period: prev, Due: due}
}

// weekly is the pacing digest's occurrence on the Monday monday (local
// midnight): at SendHour, reporting the month of that Monday.
func weekly(monday time.Time) Occurrence {
	loc := monday.Location()
	year, week := monday.ISOWeek()
	return Occurrence{Key: fmt.Sprintf("%04d-W%02d", year, week), Period: calendar.MonthOf(monday, loc).Name,
		Due: time.Date(monday.Year(), monday.Month(), monday.Day(), SendHour, 0, 0, 0, loc)}
}
