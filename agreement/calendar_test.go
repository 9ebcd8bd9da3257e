package agreement

import (
	"strings"
	"testing"
	"time"
)

func TestBusinessHoursCalendar(t *testing.T) {
	a, err := Parse("default.yaml", Default())
	if err != nil {
		t.Fatalf("Parse(default.yaml) = %v; want no error", err)
	}
	c, err := a.BusinessHours.Calendar()
	if err != nil {
		t.Fatalf("BusinessHours.Calendar() = %v; want no error", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}
	tests := []struct {
		start time.Time
		span  Span
		want  time.Time
	}{
		// Thanksgiving, a US holiday, is closed.
		{time.Date(2026, 11, 25, 15, 0, 0, 0, ny), Span{Minutes: 240}, time.Date(2026, 11, 27, 11, 0, 0, 0, ny)},
		// 24 December is one of the file's closed dates; Christmas is a holiday.
		{time.Date(2026, 12, 23, 16, 0, 0, 0, ny), Span{Days: 1}, time.Date(2026, 12, 28, 16, 0, 0, 0, ny)},
		// A Saturday hand-off with a 0m clock is due at Monday's opening.
		{time.Date(2026, 11, 7, 10, 0, 0, 0, ny), Span{}, time.Date(2026, 11, 9, 9, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		if got := c.Due(tt.start, tt.span.Days, tt.span.Minutes); !got.Equal(tt.want) {
			t.Errorf("Due(%v, %v) = %v; want %v", tt.start, tt.span, got, tt.want)
		}
	}
}

func TestBusinessHoursCalendarUnknownCountry(t *testing.T) {
	a, err := Parse("default.yaml", Default())
	if err != nil {
		t.Fatalf("Parse(default.yaml) = %v; want no error", err)
	}
	b := a.BusinessHours
	b.Holidays = "XX"
	_, err = b.Calendar()
	if err == nil || !strings.Contains(err.Error(), `"XX"`) || !strings.Contains(err.Error(), "Holidays") {
		t.Errorf("BusinessHours{Holidays: XX}.Calendar() = %v; want an error naming Holidays and XX", err)
	}
}
