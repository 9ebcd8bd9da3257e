package sqldb

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// VerifyLedger replays every lead's events and compares the result with the
// stored lead, the stage entries the events give (with the path stages of
// the agreement in force) with those stored, and the stage entries of the
// lead's deals that its deal events give with those stored, calling bad
// for each difference with what differs. It returns how many leads it checked and
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
		var storedDeals map[int64][]dealStageEntry
		var path []string
		err = db.view(ctx, func(tx *Tx) error {
			if events, err = tx.events(ctx, `lead_id >= $1 AND lead_id <= $2`, first, last); err != nil {
				return err
			}
			if stored, err = tx.storedStageEntries(ctx, first, last); err != nil {
				return err
			}
			if storedDeals, err = tx.storedDealStageEntries(ctx, first, last); err != nil {
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
			if d := diffDealStageEntries(storedDeals[l.ID], dealStageEntriesOf(byLead[l.ID])); d != "" {
				ok = false
				bad(l.ID, "its deals' stage entries differ from the ledger's: "+d)
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

// storedDealStageEntries returns the stored stage entries of the deals of
// the leads with ids from first to last, by lead, ordered by deal and stage.
func (tx *Tx) storedDealStageEntries(ctx context.Context, first, last int64) (map[int64][]dealStageEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.lead_id, e.deal_id, e.stage, e.entered_at
		FROM deal_stage_entries e JOIN deals d ON d.id = e.deal_id
		WHERE d.lead_id >= $1 AND d.lead_id <= $2 ORDER BY e.deal_id, e.stage`, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byLead := map[int64][]dealStageEntry{}
	for rows.Next() {
		var lead int64
		var e dealStageEntry
		if err := rows.Scan(&lead, &e.dealID, &e.stage, scanTime{&e.at}); err != nil {
			return nil, err
		}
		byLead[lead] = append(byLead[lead], e)
	}
	return byLead, rows.Err()
}

// diffDealStageEntries describes how a lead's deals' stored stage entries
// differ from those its deal events give, "" when they do not.
func diffDealStageEntries(stored, want []dealStageEntry) string {
	type key struct {
		deal  int64
		stage string
	}
	return diffEntries(stored, want, func(e dealStageEntry) (key, time.Time) { return key{e.dealID, e.stage}, e.at },
		func(a, b key) int { return cmp.Or(cmp.Compare(a.deal, b.deal), strings.Compare(a.stage, b.stage)) },
		func(k key) string { return fmt.Sprintf("deal %d %s", k.deal, k.stage) })
}
