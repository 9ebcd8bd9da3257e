package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) ratesCommand() *cobra.Command {
	var from, to, period, by, format string
	c := &cobra.Command{
		Use:   "rates [--from P --to P | --period P] [--by source|origin|segment] [--format table|json]",
		Short: "Measure the funnel from history: conversion, deal size, sales cycle, close rate, each with its samples",
		Long: `Measure the funnel from the ledger and the deals, as docs/plan.md explains
("Rates from history"): for the leads that entered each path stage in the
window, the share that reached the next stage (the close rate for the last
pair) and the last stage; for the deals won in the window, their count,
revenue, average and median size, and the sales cycle (the median days
from first contact to win). Each figure comes with the count it rests on;
one on fewer than 30 samples says so.

  --from, --to  the first and last month, quarter or year of the window
                (--to defaults to the current month)
  --period      one month, quarter or year
                (default: the 12 months before the current one)
  --by          one row group per lead source, origin or segment

Periods are read in the time zone of the agreement in force.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			if by != "" && !slices.Contains(sqldb.HistoryGroupings, by) {
				return &exitStatus{exitUsage, fmt.Errorf("--by %q: want one of %s", by, strings.Join(sqldb.HistoryGroupings, ", "))}
			}
			db, err := m.openExisting(ctx)
			if err != nil {
				return err
			}
			a, _, err := report.Agreement(ctx, db, m.Clock.Now())
			if err != nil {
				return err
			}
			loc := a.BusinessHours.Location
			win, err := ratesWindow(from, to, period, m.Clock.Now(), loc)
			if err != nil {
				return err
			}
			q := sqldb.HistoryQuery{From: win.From, To: win.To, By: by, Stages: a.PathStages()}
			var cohorts []plan.Cohort
			if db != nil {
				if cohorts, err = db.History(ctx, q); err != nil {
					return err
				}
			}
			out := ratesOutput{Period: plan.WindowName(q.From, q.To), From: q.From, To: q.To, By: by, MinSamples: plan.MinSamples,
				Groups: []ratesGroup{}}
			for _, c := range cohorts {
				out.Groups = append(out.Groups, ratesGroup{Group: c.Group, Stages: c.Stages, Rates: c.Figures()})
			}
			if format == "json" {
				return m.printJSON(out)
			}
			return writeRatesTable(m.Stdout, out)
		},
	}
	c.Flags().StringVar(&from, "from", "", "the first month (2017-06), quarter or year of the window")
	c.Flags().StringVar(&to, "to", "", "the last month (2018-10), quarter or year of the window (default: the current month)")
	c.Flags().StringVar(&period, "period", "", "one month, quarter or year (default: the 12 months before the current month)")
	c.Flags().StringVar(&by, "by", "", "group the leads by source, origin or segment")
	c.Flags().StringVar(&format, "format", "table", "table or json")
	return c
}

// ratesOutput is what tandem rates prints, and its JSON.
type ratesOutput struct {
	Period     string       `json:"period"`
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"` // exclusive
	By         string       `json:"by"`
	MinSamples int          `json:"min_samples"`
	Groups     []ratesGroup `json:"groups"`
}

type ratesGroup struct {
	Group  string            `json:"group"`
	Stages []plan.StageCount `json:"stages"`
	Rates  []plan.Figure     `json:"rates"`
}

// ratesWindow reads the window of tandem rates from its flags: --period,
// or --from with an optional --to (each a month, quarter or year, --to
// included), or by default the 12 months before now's month.
func ratesWindow(from, to, period string, now time.Time, loc *time.Location) (calendar.Period, error) {
	parse := func(flag, s string) (calendar.Period, error) {
		p, err := calendar.ParsePeriod(s, loc)
		if err != nil {
			msg := tandem.ErrorMessage(err)
			if fs := tandem.ErrorFields(err); len(fs) == 1 {
				msg = fs[0].Message
			}
			return p, &exitStatus{exitUsage, fmt.Errorf("%s: %s", flag, msg)}
		}
		return p, nil
	}
	this := calendar.MonthOf(now, loc)
	switch {
	case period != "" && (from != "" || to != ""):
		return calendar.Period{}, &exitStatus{exitUsage, errors.New("--period: give either --period or --from and --to, not both")}
	case period != "":
		return parse("--period", period)
	case from == "" && to != "":
		return calendar.Period{}, &exitStatus{exitUsage, fmt.Errorf("--to %s: give --from too", to)}
	case from == "":
		return calendar.Period{Name: "last 12 months", From: this.From.AddDate(0, -12, 0), To: this.From, Months: 12}, nil
	}
	f, err := parse("--from", from)
	if err != nil {
		return f, err
	}
	t := this
	if to != "" {
		if t, err = parse("--to", to); err != nil {
			return t, err
		}
	}
	if !f.From.Before(t.To) {
		return calendar.Period{}, &exitStatus{exitUsage, fmt.Errorf("--from %s is after --to %s: the window must start before it ends", f.Name, t.Name)}
	}
	return calendar.Period{Name: f.Name + ".." + t.Name, From: f.From, To: t.To}, nil
}

// writeRatesTable writes the rates for people: one row per figure and
// group, with its count and samples, and the figures on too few samples
// said so.
func writeRatesTable(w io.Writer, out ratesOutput) error {
	by := ""
	if out.By != "" {
		by = ", by " + out.By
	}
	loc := out.From.Location()
	fmt.Fprintf(w, "Rates %s (%s to %s, %s)%s\n", out.Period, out.From.Format("2006-01-02"),
		out.To.In(loc).AddDate(0, 0, -1).Format("2006-01-02"), loc, by)
	if len(out.Groups) == 0 {
		fmt.Fprintln(w, "no lead entered a stage and no deal was won in the window")
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "RATE\tVALUE\tCOUNT\tSAMPLES\t\n"
	if out.By != "" {
		head = strings.ToUpper(out.By) + "\t" + head
	}
	fmt.Fprint(tw, head)
	for _, g := range out.Groups {
		name := g.Group
		if name == "" {
			name = "(none)"
		}
		for _, f := range g.Rates {
			value, count := "-", "-"
			if f.Samples > 0 {
				value = ratesValue(f)
			}
			if f.Count > 0 || strings.Contains(f.Name, "_to_") || f.Name == plan.CloseRate {
				count = strconv.Itoa(f.Count)
			}
			note := ""
			switch {
			case f.Name == plan.WonDeals || f.Name == plan.WonRevenue:
			case f.Samples == 0:
				note = "no samples"
			case f.TooFewSamples:
				note = fmt.Sprintf("too few samples (n=%d, need %d)", f.Samples, plan.MinSamples)
			}
			if f.Name == plan.CloseRate {
				// A close rate of leads, not the win rate of closed deals:
				// say what it divides by.
				note = strings.TrimPrefix(note+"; reached the last stage ÷ entered the one before (not won ÷ (won + lost))", "; ")
			}
			row := fmt.Sprintf("%s\t%s\t%s\t%d\t%s\n", f.Name, value, count, f.Samples, note)
			if out.By != "" {
				row = name + "\t" + row
			}
			fmt.Fprint(tw, row)
		}
	}
	return tw.Flush()
}

func ratesValue(f plan.Figure) string {
	switch f.Name {
	case plan.WonDeals:
		return strconv.Itoa(int(f.Value))
	case plan.WonRevenue, plan.AverageDealSize, plan.MedianDealSize:
		return planMoney(f.Value)
	case plan.SalesCycleDays:
		return strconv.FormatFloat(f.Value, 'f', 1, 64) + " days"
	}
	return planPct(f.Value)
}
