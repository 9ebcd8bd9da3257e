package calendar

import (
	"sync"
	"time"
)

// zones holds the time zones LoadLocation has read, by name.
var zones sync.Map // string → *time.Location

// LoadLocation is time.LoadLocation read once per name: the standard one
// opens and parses the zone's file on every call, and Tandem names the
// same one or two zones in every agreement it parses and every notice it
// writes. A *time.Location is immutable, so one is shared by all. Names
// that fail are not kept (they are rare and cheap to refuse again).
func LoadLocation(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
