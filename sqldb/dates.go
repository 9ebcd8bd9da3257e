package sqldb

import (
	"context"
	"maps"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// Zone returns the time zone that dates and times written without an
// offset are read in, now: the business hours' zone of the agreement in
// force, or of the default agreement while none is (see [DB.AgreementAt]).
// A calendar date (2018-03-01) is that day in this zone, so that it stays
// on its day in every report.
func (db *DB) Zone(ctx context.Context) (*time.Location, error) {
	a, _, err := db.AgreementAt(ctx, db.Now())
	if err != nil {
		return nil, err
	}
	return a.BusinessHours.Location, nil
}

// zone is [DB.Zone] at the transaction's time.
func (tx *Tx) zone(ctx context.Context) (*time.Location, error) {
	a, _, err := tx.agreementAt(ctx, tx.Now)
	if err != nil {
		return nil, err
	}
	return a.BusinessHours.Location, nil
}

// inZone reads the time fields of an input (those isTime names) with
// calendar.ParseTime in loc and writes them as the instants they mean
// (tandem.FormatTime), so that the domain, which knows no zone, reads a
// date of a file or of the API as its day in the agreement's zone and not
// as midnight UTC. A value with an offset keeps its instant. A value that
// is not a time is left as it is: the domain refuses it, naming its field,
// with the input's other problems. The map is copied when a value changes.
func inZone(fields map[string]string, isTime func(string) bool, loc *time.Location) map[string]string {
	var out map[string]string
	for name, v := range fields {
		if v == "" || !isTime(name) {
			continue
		}
		t, err := calendar.ParseTime(v, loc)
		if err != nil {
			continue
		}
		if s := tandem.FormatTime(t); s != v {
			if out == nil {
				out = maps.Clone(fields)
			}
			out[name] = s
		}
	}
	if out == nil {
		return fields
	}
	return out
}

func leadTime(name string) bool {
	f, ok := tandem.LookupLeadField(name)
	return ok && f.Kind == tandem.KindTime
}

func dealTime(name string) bool {
	k, ok := tandem.LookupDealField(name)
	return ok && k == tandem.KindTime
}

// leadInZone is [inZone] for a lead's input, its own values and its
// initial ones.
func leadInZone(in tandem.LeadInput, loc *time.Location) tandem.LeadInput {
	in.Fields, in.Initial = inZone(in.Fields, leadTime, loc), inZone(in.Initial, leadTime, loc)
	return in
}

// dealInZone is [inZone] for a deal's input, its own values and its
// initial ones.
func dealInZone(in tandem.DealInput, loc *time.Location) tandem.DealInput {
	in.Fields, in.Initial = inZone(in.Fields, dealTime, loc), inZone(in.Initial, dealTime, loc)
	return in
}
