package main

import (
	"context"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// demoMeetings holds the monthly meetings of the two months before now's
// on the third of the month after each, at 15:00 UTC: each records an
// action item for the first three lines of its month's agenda, owned by
// the head of the side the line is about and due two weeks later. Ten days
// after a meeting its owners have done the first two; the third stays open,
// so that this month's scorecard opens with "2 of 3 done; 1 overdue" once it
// is due. A meeting still in the future is not held.
func demoMeetings(ctx context.Context, db *sqldb.DB, clk *clock.Fake, now time.Time) error {
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	owners := map[string]tandem.User{}
	for _, u := range users {
		side := ""
		switch u.Role {
		case tandem.RoleMarketingHead:
			side = scorecard.Marketing
		case tandem.RoleSalesHead:
			side = scorecard.Sales
		}
		if _, ok := owners[side]; side != "" && !ok && u.Email != "" {
			owners[side] = u
		}
	}
	if owners[scorecard.Marketing].ID == 0 || owners[scorecard.Sales].ID == 0 {
		return nil // no heads: no meeting
	}
	owners[scorecard.Both] = owners[scorecard.Sales]
	defer clk.Set(now)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for back := 2; back >= 1; back-- {
		per := month.AddDate(0, -back, 0)
		held := per.AddDate(0, 1, 2).Add(15 * time.Hour)
		if held.After(now) {
			continue
		}
		clk.Set(held)
		name := per.Format("2006-01")
		sc, err := report.ReadScorecard(ctx, db, held, name)
		if err != nil {
			return fmt.Errorf("the demo's %s meeting: %w", name, err)
		}
		var items []meeting.Item
		for i, line := range sc.Agenda {
			if i == 3 {
				break
			}
			owner := owners[line.Owner]
			if owner.ID == 0 {
				owner = owners[scorecard.Sales]
			}
			actx := sqldb.WithActor(ctx, "user:"+owners[scorecard.Sales].Email)
			it, err := report.RecordActionItem(actx, db, held, name, meeting.New{What: "Act on: " + line.Text, Owner: owner.Email,
				Due: held.AddDate(0, 0, 14).Format(time.DateOnly), Topic: line.Topic})
			if err != nil {
				return fmt.Errorf("the demo's %s meeting: %w", name, err)
			}
			items = append(items, it)
		}
		done := held.AddDate(0, 0, 10)
		if done.After(now) {
			continue
		}
		clk.Set(done)
		for i, it := range items {
			if i == 2 {
				break
			}
			u := owners[scorecard.Sales]
			if it.OwnerID == owners[scorecard.Marketing].ID {
				u = owners[scorecard.Marketing]
			}
			if _, err := db.CloseActionItem(sqldb.WithActor(ctx, "user:"+u.Email), it.ID, u); err != nil {
				return fmt.Errorf("the demo's %s meeting: %w", name, err)
			}
		}
	}
	return nil
}
