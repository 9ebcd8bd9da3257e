package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/csvout"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/report"
)

func (m *Main) reportDealsCommand() *cobra.Command {
	var period, format string
	var by []string
	c := &cobra.Command{
		Use:   "deals [--period P] [--by DIM [--by DIM2]] [--format table|json|csv]",
		Short: "Report win rates and deals per owner, team, manager, product, account, source, month...",
		Long: `Report the deals of a period, per group: the opportunities opened in it,
those of them still open (by stage), the deals won and lost in it (by close
date), the win rate = won / (won + lost) with its sample size, won revenue,
average and median won deal, and the median days from engage to close of
the won and of the lost deals. A win rate on fewer than 30 closed deals
says so. Definitions: docs/deals.md, "Deals report".

--by is one of ` + strings.Join(dealreport.Dims, ", ") + `,
given once or twice (or as a list: --by owner,quarter). Without it, the
total alone. --period is a month (2026-03), a quarter (2026-Q1) or a year
(2026) in the agreement's time zone; the current month by default.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			db, err := m.openExisting(c.Context())
			if err != nil {
				return err
			}
			now := m.Clock.Now()
			if db != nil {
				now = db.Now()
			}
			r, err := report.Deals(c.Context(), db, now, period, by)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return m.printJSON(r)
			case "csv":
				return writeDealsCSV(m.Stdout, r)
			}
			return writeDealsTable(m.Stdout, r)
		},
	}
	c.Flags().StringVar(&period, "period", "", "a month (2026-03), quarter (2026-Q1) or year (2026); the current month by default")
	c.Flags().StringSliceVar(&by, "by", nil, "group by one or two of "+strings.Join(dealreport.Dims, ", "))
	c.Flags().StringVar(&format, "format", "table", "table, json or csv")
	return c
}

// dealsRows returns the report's groups and then its total, named TOTAL
// in the first column (and nothing in the others).
func dealsRows(r dealreport.Report) (rows []dealreport.Group, names [][]string) {
	for _, g := range r.Groups {
		var vs []string
		for _, v := range g.Values {
			if v == "" {
				v = "(none)"
			}
			vs = append(vs, v)
		}
		rows, names = append(rows, g), append(names, vs)
	}
	total := make([]string, len(r.By))
	if len(total) > 0 {
		total[0] = "TOTAL"
	}
	return append(rows, r.Total), append(names, total)
}

// openColumn names the column of an open stage: "open" for the one open
// stage of a pipeline without stages, open_STAGE for the others.
func openColumn(stage, sep string) string {
	if stage == "open" {
		return "open"
	}
	return "open" + sep + stage
}

func optCents(p *int64) string {
	if p == nil {
		return ""
	}
	return money(*p)
}

func optDays(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func optRate(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}

func writeDealsTable(w io.Writer, r dealreport.Report) error {
	by := ""
	if len(r.By) > 0 {
		by = ", by " + strings.Join(r.By, " and ")
	}
	loc := r.From.Location()
	fmt.Fprintf(w, "Deals %s (%s to %s, %s)%s\n\n", r.Period, r.From.Format("2006-01-02"),
		r.To.In(loc).Add(-time.Nanosecond).Format("2006-01-02"), loc, by)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var head []string
	for _, d := range r.By {
		head = append(head, strings.ToUpper(strings.ReplaceAll(d, "_", " ")))
	}
	head = append(head, "OPENED")
	for _, s := range r.OpenStages {
		head = append(head, strings.ToUpper(openColumn(s, " ")))
	}
	head = append(head, "WON", "LOST", "WIN RATE", "N", "WON REVENUE", "AVERAGE WON", "MEDIAN WON", "DAYS TO WIN", "DAYS TO LOSE", "")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	dash := func(s string) string { return orDash(s) }
	rows, names := dealsRows(r)
	for i, g := range rows {
		row := append(names[i], strconv.Itoa(g.Opened))
		for _, s := range r.OpenStages {
			row = append(row, strconv.Itoa(g.Open[s]))
		}
		rate := "–"
		if g.WinRate != nil {
			rate = pctOr(g.WinRate)
		}
		note := ""
		if g.TooFewSamples {
			note = fmt.Sprintf("too few closed deals (n=%d, need %d)", g.Samples, r.MinSamples)
		}
		row = append(row, strconv.Itoa(g.Won), strconv.Itoa(g.Lost), rate, strconv.Itoa(g.Samples), money(g.WonCents),
			dash(optCents(g.AverageWonCents)), dash(optCents(g.MedianWonCents)), dash(optDays(g.MedianDaysWon)),
			dash(optDays(g.MedianDaysLost)), note)
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func writeDealsCSV(w io.Writer, r dealreport.Report) error {
	cw := csvout.NewWriter(w)
	head := append([]string{}, r.By...)
	head = append(head, "opened")
	for _, s := range r.OpenStages {
		head = append(head, openColumn(s, "_"))
	}
	head = append(head, "won", "lost", "win_rate", "samples", "too_few_samples", "won_revenue", "average_won", "median_won",
		"median_days_won", "days_won_samples", "median_days_lost", "days_lost_samples")
	cw.WriteText(head...)
	num := csvout.Number
	itoa := func(n int) csvout.Cell { return num(strconv.Itoa(n)) }
	rows, names := dealsRows(r)
	for i, g := range rows {
		var row []csvout.Cell
		for j, v := range names[i] {
			if i < len(r.Groups) {
				v = g.Values[j] // a group without a value is empty in a file
			}
			row = append(row, csvout.Text(v))
		}
		row = append(row, itoa(g.Opened))
		for _, s := range r.OpenStages {
			row = append(row, itoa(g.Open[s]))
		}
		row = append(row, itoa(g.Won), itoa(g.Lost), num(optRate(g.WinRate)), itoa(g.Samples),
			csvout.Text(strconv.FormatBool(g.TooFewSamples)), num(money(g.WonCents)), num(optCents(g.AverageWonCents)),
			num(optCents(g.MedianWonCents)), num(optDays(g.MedianDaysWon)), itoa(g.DaysWonSamples),
			num(optDays(g.MedianDaysLost)), itoa(g.DaysLostSamples))
		cw.Write(row...)
	}
	return cw.Flush()
}
