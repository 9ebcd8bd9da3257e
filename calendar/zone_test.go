package calendar_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/calendar"
)

// TestLoadLocation: the zone read once is the zone time.LoadLocation
// reads (the same offsets on both sides of a DST change), the second read
// gives the same *Location, and a bad name fails like the standard one.
func TestLoadLocation(t *testing.T) {
	a, err := calendar.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	std, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("time.LoadLocation: %v", err)
	}
	for _, at := range []time.Time{time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC), time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 5, 59, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)} {
		if got, want := at.In(a).Format(time.RFC3339), at.In(std).Format(time.RFC3339); got != want {
			t.Errorf("%v in the kept zone = %s; want %s", at, got, want)
		}
	}
	if b, err := calendar.LoadLocation("America/New_York"); err != nil || b != a {
		t.Errorf("second LoadLocation = %p, %v; want the same %p", b, err, a)
	}
	for _, bad := range []string{"Mars/Olympus_Mons", "../../etc/passwd"} {
		if _, err := calendar.LoadLocation(bad); err == nil {
			t.Errorf("LoadLocation(%q) succeeded; want an error", bad)
		}
	}
}
