package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tandemhq/tandem"
)

// VerifyLedger replays every lead's events and compares the result with the
// stored lead, calling bad for each lead that differs. It returns how many
// leads it checked and how many differ.
func (db *DB) VerifyLedger(ctx context.Context, bad func(id int64, diff string)) (checked, differ int, err error) {
	defer wrap(&err, "verify ledger")
	var after int64
	for {
		page, err := db.Leads(ctx, tandem.LeadFilter{After: after, Limit: 1000})
		if err != nil {
			return checked, differ, err
		}
		if len(page.Leads) == 0 {
			return checked, differ, nil
		}
		first, last := page.Leads[0].ID, page.Leads[len(page.Leads)-1].ID
		var events []tandem.Event
		err = db.view(ctx, func(tx *Tx) error {
			events, err = tx.events(ctx, `lead_id >= $1 AND lead_id <= $2`, first, last)
			return err
		})
		if err != nil {
			return checked, differ, err
		}
		byLead := map[int64][]tandem.Event{}
		for _, e := range events {
			byLead[e.LeadID] = append(byLead[e.LeadID], e)
		}
		for _, l := range page.Leads {
			checked++
			got, err := tandem.Replay(byLead[l.ID])
			if err != nil {
				differ++
				bad(l.ID, err.Error())
				continue
			}
			if !reflect.DeepEqual(normal(l), normal(got)) {
				differ++
				stored, _ := json.Marshal(l)
				replayed, _ := json.Marshal(got)
				bad(l.ID, fmt.Sprintf("stored %s, replayed %s", stored, replayed))
			}
		}
		after = last
	}
}

// normal makes empty and nil attributes compare equal.
func normal(l tandem.Lead) tandem.Lead {
	if len(l.Attributes) == 0 {
		l.Attributes = nil
	}
	return l
}
