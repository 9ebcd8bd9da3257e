package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// ContentEffect returns the content's effect over a period (this month when
// period is "") with revenue influenced under model ("" for u-shaped), as
// docs/content.md defines it: the store reads the rows
// ([sqldb.DB.ContentEffect]), package content computes. Errors: EINVALID
// naming period or model.
func ContentEffect(ctx context.Context, db *sqldb.DB, now time.Time, period, model string) (content.Effect, string, error) {
	m, merr := attribution.ParseModel(model)
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return content.Effect{}, "", err
	}
	if period == "" {
		period = now.In(a.BusinessHours.Location).Format("2006-01")
	}
	per, perr := Period(a, period, now)
	if perr != nil || merr != nil {
		var fields []tandem.FieldError
		fields = append(fields, tandem.ErrorFields(perr)...)
		fields = append(fields, tandem.ErrorFields(merr)...)
		if len(fields) == 0 {
			return content.Effect{}, "", perr
		}
		return content.Effect{}, "", tandem.Invalid(fields...)
	}
	e, err := ContentEffectBetween(ctx, db, per.From, per.To, m)
	return e, per.Name, err
}

// ContentEffectBetween is [ContentEffect] over [from, to).
func ContentEffectBetween(ctx context.Context, db *sqldb.DB, from, to time.Time, m attribution.Model) (content.Effect, error) {
	in, err := db.ContentEffect(ctx, from, to)
	if err != nil {
		return content.Effect{}, err
	}
	in.Model = m
	return content.Measure(in), nil
}

// contentSection is the scorecard's content section: the items used,
// clicked or rated in the period, and every live item (so that the unused
// show), each with its figures; money in the major unit.
func contentSection(e content.Effect) scorecard.Content {
	c := scorecard.Content{Lines: []scorecard.ContentLine{}, Unused: e.Unused, NeverUsed: e.NeverUsed, Model: string(e.Model)}
	for _, l := range e.Lines {
		if l.Status != content.StatusLive && l.Uses == 0 && l.Clicks == 0 && l.Useful+l.NotUseful == 0 {
			continue
		}
		c.Lines = append(c.Lines, scorecard.ContentLine{Code: l.Code, Title: l.Title, Kind: l.Kind, Uses: l.Uses, Users: len(l.Users),
			Leads: l.Leads, ConnectRate: l.ConnectRate, ReplyRate: l.ReplyRate, AcceptRate: l.AcceptRate, SQLRate: l.SQLRate,
			CustomerRate: l.CustomerRate, Revenue: float64(l.RevenueCents) / 100, Clicks: l.Clicks, Useful: l.Useful, NotUseful: l.NotUseful})
	}
	return c
}
