package agreement

import (
	"fmt"

	"github.com/tandemhq/tandem/calendar"
)

// Calendar returns the calendar the clocks count in. It fails when the
// business hours name a holiday country the calendar does not know, or
// when they were not checked by [Parse] (no location, no days).
func (b BusinessHours) Calendar() (*calendar.Calendar, error) {
	loc := b.Location
	if loc == nil && b.TimeZone != "" {
		var err error
		if loc, err = calendar.LoadLocation(b.TimeZone); err != nil {
			return nil, fmt.Errorf("business hours: time zone: %w", err)
		}
	}
	closed := make([]calendar.Date, len(b.ClosedDates))
	for i, d := range b.ClosedDates {
		closed[i] = calendar.Date(d)
	}
	c, err := calendar.New(calendar.Hours{
		Location: loc,
		Days:     b.Days,
		Open:     int(b.Open),
		Close:    int(b.Close),
		Holidays: b.Holidays,
		Closed:   closed,
	})
	if err != nil {
		return nil, fmt.Errorf("business hours: %w", err)
	}
	return c, nil
}
