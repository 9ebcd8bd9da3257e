package report

import (
	"cmp"
	"context"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/sqldb"
)

// Campaigns returns the campaign report of a named period (2026-03,
// 2026-Q1, 2026; "" for the month containing now), read in the time zone of
// the agreement in force (UTC while none gives one), with ROI under the
// named model ("" for u_shaped): see [CampaignsBetween]. Errors: EINVALID
// naming period or model.
func Campaigns(ctx context.Context, db *sqldb.DB, now time.Time, period, model string) (attribution.Report, error) {
	m, merr := attribution.ParseModel(model)
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return attribution.Report{}, err
	}
	loc := time.UTC
	if a.BusinessHours.Location != nil {
		loc = a.BusinessHours.Location
	}
	var per calendar.Period
	if period == "" {
		per = calendar.MonthOf(now, loc)
	} else {
		per, err = calendar.ParsePeriod(period, loc)
	}
	if err != nil || merr != nil {
		var fields []tandem.FieldError
		fields = append(fields, tandem.ErrorFields(merr)...)
		fields = append(fields, tandem.ErrorFields(err)...)
		if len(fields) == 0 {
			return attribution.Report{}, err
		}
		return attribution.Report{}, tandem.Invalid(fields...)
	}
	r, err := CampaignsBetween(ctx, db, per.From, per.To, m)
	r.Period = per.Name
	return r, err
}

// CampaignsBetween returns the campaign report for [from, to) with ROI
// under model (docs/campaigns.md): per campaign the spend of the months the
// period touches, the new leads, MQLs and customers credited to their first
// touch's campaign, revenue attributed by every model, and cost per result;
// and the share of the period's leads, opportunities and won revenue that
// marketing sourced, by the sales_sourced rule of the agreement in force.
// The store reads the rows ([sqldb.DB.CampaignRows]); package attribution
// computes. Errors: EINVALID naming model or period.
func CampaignsBetween(ctx context.Context, db *sqldb.DB, from, to time.Time, model attribution.Model) (attribution.Report, error) {
	if _, err := attribution.ParseModel(string(model)); err != nil {
		return attribution.Report{}, err
	}
	rows, err := db.CampaignRows(ctx, from, to)
	if err != nil {
		return attribution.Report{}, err
	}
	return attribution.Build(campaignInput(rows, model)), nil
}

// campaignInput reads the store's rows as the report counts them: each
// lead by its first touch's campaign and by who found it.
func campaignInput(rows sqldb.CampaignRows, model attribution.Model) attribution.Input {
	a := rows.Agreement
	in := attribution.Input{From: rows.From, To: rows.To, Model: model, Campaigns: rows.Campaigns, Spend: rows.Spend,
		MarketingShareGoal: a.Goal.MarketingShare}
	// A group of leads alike is as many leads, by their first touch's
	// campaign and by who found them.
	expand := func(gs []sqldb.LeadGroup) []attribution.Lead {
		var out []attribution.Lead
		for _, g := range gs {
			l := attribution.Lead{FirstCampaign: cmp.Or(g.First, attribution.None), SalesSourced: a.Marketing.IsSalesSourced(&g.Lead)}
			for range g.Count {
				out = append(out, l)
			}
		}
		return out
	}
	in.NewLeads, in.MQLs, in.Opportunities = expand(rows.NewLeads), expand(rows.MQLs), expand(rows.Opportunities)
	for _, d := range rows.Won {
		l := rows.Leads[d.LeadID]
		d.Origin, d.Touches, d.SalesSourced = l.Origin, rows.Touches[d.LeadID], a.Marketing.IsSalesSourced(&l)
		in.Won = append(in.Won, d)
	}
	return in
}
