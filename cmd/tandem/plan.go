package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/report"
)

func (m *Main) planCommand() *cobra.Command {
	var goal, share, period, format string
	var sets []string
	c := &cobra.Command{
		Use:   "plan [--goal REVENUE] [--share SHARE] [--period P] [--set NAME=VALUE]... [--format table|json]",
		Short: "Work the revenue goal back to the leads needed: the reverse funnel, with what-ifs",
		Long: `Work the revenue goal back along the path, as docs/plan.md explains:

  revenue goal × share from marketing = marketing revenue goal
  ÷ average deal size = customers needed
  ÷ close rate = opportunities needed
  ÷ each conversion rate back along the path = SQLs, SALs, MQLs, leads needed

for the period and for each of its months, each count rounded up to a whole
lead or deal before the next division.

Everything comes from the agreement in force (the default agreement file
when none is): the goal, the share, the funnel's rates, and marketing's
mission, which decides what marketing is held to. The flags are what-ifs,
marked as overrides in the output:

  --goal      the revenue goal for the period; without it, the agreement's
              goal scaled to the period (a quarterly goal ÷ 3 for a month)
  --share     the share from marketing: 0.6 or 60%
  --period    a month (2027-01), a quarter (2027-Q1) or a year (2027) in the
              agreement's time zone; the goal period containing today
              by default
  --set       NAME=VALUE for average_deal_size, close_rate or a conversion
              pair like mql_to_sal (a rate as 0.7 or 70%); repeatable`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			p, a, version, err := m.makePlan(c.Context(), planRequest{goal: goal, share: share, period: period, sets: sets,
				goalSet: c.Flags().Changed("goal"), shareSet: c.Flags().Changed("share")})
			if err != nil {
				return err
			}
			if format == "json" {
				return m.printJSON(struct {
					// AgreementVersion is null for the default agreement.
					AgreementVersion *int `json:"agreement_version"`
					plan.Plan
				}{version, p})
			}
			return writePlanTable(m.Stdout, p, version, a.Goal)
		},
	}
	c.Flags().StringVar(&goal, "goal", "", "the revenue goal for the period (default: the agreement's, scaled to the period)")
	c.Flags().StringVar(&share, "share", "", "the share of the goal from marketing, 0.6 or 60% (default: the agreement's)")
	c.Flags().StringVar(&period, "period", "", "a month (2027-01), quarter (2027-Q1) or year (2027); the goal period containing today by default")
	c.Flags().StringArrayVar(&sets, "set", nil, "a what-if NAME=VALUE: average_deal_size, close_rate or a pair like mql_to_sal (repeatable)")
	c.Flags().StringVar(&format, "format", "table", "table or json")
	return c
}

// planRequest is what the plan's flags ask for.
type planRequest struct {
	goal, share, period string
	goalSet, shareSet   bool
	sets                []string
}

// makePlan computes the plan the flags ask for (see report.Plan), from the
// agreement in force or the default one, said on standard error. A SQLite
// file that does not exist holds no agreement: planning must not create a
// database.
func (m *Main) makePlan(ctx context.Context, r planRequest) (plan.Plan, *agreement.Agreement, *int, error) {
	req, err := r.request()
	if err != nil {
		return plan.Plan{}, nil, nil, err
	}
	db, err := m.openExisting(ctx)
	if err != nil {
		return plan.Plan{}, nil, nil, err
	}
	pl, err := report.Plan(ctx, db, m.Clock.Now(), req)
	if pl.Agreement != nil && pl.Version == nil {
		fmt.Fprintln(m.Stderr, "tandem: no signed agreement is in force: planning from the default agreement (tandem agreement init writes it to a file)")
	}
	if err != nil {
		return plan.Plan{}, nil, nil, planHint(planFlagError(err))
	}
	return pl.Plan, pl.Agreement, pl.Version, nil
}

// request reads the flags' values into a report.Request.
func (r planRequest) request() (report.Request, error) {
	req := report.Request{Period: r.period}
	if r.goalSet {
		v, err := strconv.ParseFloat(r.goal, 64)
		if err != nil {
			return req, &exitStatus{exitUsage, fmt.Errorf("--goal %q: want an amount, like 1200000", r.goal)}
		}
		req.Goal = &v
	}
	if r.shareSet {
		v, err := report.ParseShare(r.share)
		if err != nil {
			return req, &exitStatus{exitUsage, fmt.Errorf("--share %q: want a share, like 0.6 or 60%%", r.share)}
		}
		req.Share = &v
	}
	for _, s := range r.sets {
		set, ok := report.ParseSet(s)
		if !ok {
			return req, &exitStatus{exitUsage, fmt.Errorf("--set %q: want NAME=VALUE, like close_rate=0.25, mql_to_sal=70%% or average_deal_size=15000", s)}
		}
		req.Sets = append(req.Sets, set)
	}
	return req, nil
}

// planFlagError is a usage error for the values of the command line: each
// field error of err, named by its flag; an error of the agreement or the
// history (a rate left to history with none) is returned as it is.
func planFlagError(err error) error {
	fs := tandem.ErrorFields(err)
	if len(fs) == 0 {
		return err
	}
	msgs := make([]string, len(fs))
	for i, f := range fs {
		switch f.Field {
		case "goal.revenue":
			msgs[i] = "--goal: " + f.Message
		case "goal.marketing_share":
			msgs[i] = "--share: " + f.Message
		case "period":
			msgs[i] = "--period: " + f.Message
		default:
			if !strings.HasPrefix(f.Message, "the what-if") && !strings.HasPrefix(f.Message, "is not a figure") && !strings.HasPrefix(f.Message, "is the close rate") {
				return err
			}
			msgs[i] = "--set " + f.Field + ": " + f.Message
		}
	}
	return &exitStatus{exitUsage, errors.New(strings.Join(msgs, "; "))}
}

// planHint adds to an error of the plan, for each rate left to history
// without history, the what-if that plans meanwhile.
func planHint(err error) error {
	var sets []string
	for _, f := range tandem.ErrorFields(err) {
		if strings.HasPrefix(f.Message, "is history, but there is no history") {
			name := f.Field[strings.LastIndex(f.Field, ".")+1:]
			value := "RATE"
			if name == plan.AverageDealSize {
				value = "AMOUNT"
			}
			sets = append(sets, "--set "+name+"="+value)
		}
	}
	if len(sets) == 0 {
		return err
	}
	return &exitStatus{exitError, fmt.Errorf("%s\nor plan with a what-if meanwhile: tandem plan %s", tandem.ErrorMessage(err), strings.Join(sets, " "))}
}

// writePlanTable writes the plan for people: the goal, one row per stage
// back along the path with the period's count, each month's and the rate
// it was divided by, then marketing's targets and the warnings.
func writePlanTable(w io.Writer, p plan.Plan, version *int, ag agreement.Goal) error {
	per := p.Goal.Period
	from := "the default agreement"
	if version != nil {
		from = fmt.Sprintf("agreement version %d", *version)
	}
	fmt.Fprintf(w, "Plan %s (%s to %s, %s), %s, marketing mission %s\n", per.Name, per.From.Format("2006-01-02"),
		per.To.AddDate(0, 0, -1).Format("2006-01-02"), per.From.Location(), from, p.Mission)
	revenue := string(p.Goal.RevenueSource)
	if p.Goal.RevenueSource == plan.SourceAgreement && ag.Period != "" && report.PeriodMonths(ag.Period) != per.Months {
		revenue = fmt.Sprintf("agreement: %s a %s, for %d of its %d months", planMoney(ag.Revenue), ag.Period, per.Months, report.PeriodMonths(ag.Period))
	}
	fmt.Fprintf(w, "revenue goal %s (%s) × %s from marketing (%s) = marketing revenue goal %s\n\n", planMoney(p.Goal.Revenue), revenue,
		planPct(p.Goal.MarketingShare), p.Goal.ShareSource, planMoney(p.MarketingRevenue))

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STAGE\tNEEDED\t%s\tRATE\tVALUE\tSOURCE\tSAMPLES\n", strings.Join(p.Months, "\t"))
	row := make([]string, len(p.Months))
	for i, v := range p.MarketingRevenuePerMonth {
		row[i] = planMoney(v)
	}
	fmt.Fprintf(tw, "revenue\t%s\t%s\t× marketing_share\t%s\t%s\t-\n", planMoney(p.MarketingRevenue), strings.Join(row, "\t"),
		planPct(p.Goal.MarketingShare), p.Goal.ShareSource)
	for _, s := range p.Stages {
		for i, n := range s.PerMonth {
			row[i] = strconv.FormatInt(n, 10)
		}
		value := planPct(s.Rate.Value)
		if s.RateName == plan.AverageDealSize {
			value = planMoney(s.Rate.Value)
		}
		samples := "-"
		if s.Rate.Source == plan.SourceHistory {
			samples = fmt.Sprintf("%d (%s)", s.Rate.Samples, s.Rate.Period)
			if s.Rate.TooFewSamples {
				samples = fmt.Sprintf("%d (%s, too few)", s.Rate.Samples, s.Rate.Period)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t÷ %s\t%s\t%s\t%s\n", s.Stage, s.Needed, strings.Join(row, "\t"), s.RateName, value, s.Rate.Source, samples)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, t := range p.Targets {
		switch t.Kind {
		case plan.TargetPipeline:
			fmt.Fprintf(w, "marketing's target (pipeline): %d leads reaching %s, worth %s, for sales to close\n", t.Needed, t.Stage, planMoney(t.Value))
		case plan.TargetRevenue:
			fmt.Fprintf(w, "marketing's target (revenue): %s won from %d leads reaching %s\n", planMoney(t.Value), t.Needed, t.Stage)
		}
	}
	for _, warning := range p.Warnings {
		fmt.Fprintln(w, "warning: "+warning)
	}
	return nil
}

// planMoney writes an amount to the cent, without trailing zeros.
func planMoney(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

// planPct writes a share as a percentage with at most two decimals.
func planPct(x float64) string {
	return strconv.FormatFloat(math.Round(x*10000)/100, 'f', -1, 64) + "%"
}
