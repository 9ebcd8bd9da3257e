package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/tandemhq/tandem"
)

// VerifyLedger replays every lead's events and compares the result with the
// stored lead, and the stage entries the events give (with the path stages
// of the agreement in force) with those stored, calling bad for each
// difference with what differs. It returns how many leads it checked and
// how many differ in either way.
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
		var stored map[int64][]stageEntry
		var path []string
		err = db.view(ctx, func(tx *Tx) error {
			if events, err = tx.events(ctx, `lead_id >= $1 AND lead_id <= $2`, first, last); err != nil {
				return err
			}
			if stored, err = tx.storedStageEntries(ctx, first, last); err != nil {
				return err
			}
			path, err = tx.pathStages(ctx)
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
			ok := true
			if got, err := tandem.Replay(byLead[l.ID]); err != nil {
				ok = false
				bad(l.ID, "the ledger does not replay: "+err.Error())
			} else if !reflect.DeepEqual(normal(l), normal(got)) {
				ok = false
				stored, _ := json.Marshal(l)
				replayed, _ := json.Marshal(got)
				bad(l.ID, fmt.Sprintf("the ledger replays to a different lead: stored %s, replayed %s", stored, replayed))
			}
			if d := diffStageEntries(stored[l.ID], stageEntriesOf(byLead[l.ID], path)); d != "" {
				ok = false
				bad(l.ID, "its stage entries differ from the ledger's: "+d)
			}
			if !ok {
				differ++
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
