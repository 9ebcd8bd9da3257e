package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/csvout"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) slaCommand() *cobra.Command {
	c := &cobra.Command{Use: "sla", Short: "Measure both sides against the agreement: the SLA report and a lead's cadence"}
	var period, by, format string
	report := &cobra.Command{
		Use:   "report [--period P] [--by rep|team|source] [--format table|json|csv]",
		Short: "Report sales' clocks and cadence per rep, team or source, and marketing's commitments",
		Long: `Report how both sides kept the agreement over a period.

Sales, per rep, team or source, over the hand-offs started in the period:
response time (business time from hand-off to first touch, median and 90th
percentile), the share touched and the share accepted or rejected within
their clocks, touches per lead, routing delay against rep delay, and every
cadence step: on time, late, skipped, missed, overdue, open or not owed.

Marketing: qualified leads against the monthly commitment (per segment
where the agreement splits it, scaled to the period), the acceptance rate
and the average review rating against the quality floor, and each breach.

--period is a month (2026-11), a quarter (2026-Q4) or a year (2026) in the
agreement's time zone; the current month by default. A period still running
is measured so far.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			r, err := report.SLA(c.Context(), db, sqldb.SLAQuery{Period: period, By: by})
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return m.printJSON(r)
			case "csv":
				return writeReportCSV(m.Stdout, r)
			}
			return writeReportTable(m.Stdout, r)
		},
	}
	report.Flags().StringVar(&period, "period", "", "a month (2026-11), quarter (2026-Q4) or year (2026); the current month by default")
	report.Flags().StringVar(&by, "by", "rep", "group sales by rep, team or source")
	report.Flags().StringVar(&format, "format", "table", "table, json or csv")

	lead := &cobra.Command{
		Use:   "lead ID",
		Short: "Show a lead's latest hand-off clock by clock and step by step",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, db, err := m.leadArg(c.Context(), args[0])
			if err != nil {
				return err
			}
			lines, err := db.LeadCadence(c.Context(), id)
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(m.Stdout, l)
			}
			return nil
		},
	}
	c.AddCommand(report, lead)
	return c
}

// writeReportTable writes the report for people: the sales rows and their
// total, marketing's side, and the cadence step by step over every
// hand-off.
func writeReportTable(w io.Writer, r sla.Report) error {
	loc := r.Period.From.Location()
	running := ""
	if !r.Complete {
		running = ", so far"
	}
	fmt.Fprintf(w, "SLA report %s (%s to %s, %s), agreement version %d, as of %s%s\n\n", r.Period.Name,
		r.Period.From.Format("2006-01-02"), r.Period.To.AddDate(0, 0, -1).Format("2006-01-02"), loc,
		r.AgreementVersion, r.AsOf.In(loc).Format("2006-01-02 15:04 MST"), running)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tHAND-OFFS\tRESPONSE MEDIAN\tP90\tTOUCHED IN TIME\tLATE\tUNTOUCHED\tDECIDED IN TIME\tACCEPTED\tREJECTED\tDISQUALIFIED\tTOUCHES/LEAD\tROUTING DELAY\tREP DELAY\n",
		strings.ToUpper(r.By))
	for _, row := range append(r.Sales, r.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", row.Key, row.Handoffs,
			sample(row.ResponseMedian, row.Responses), sample(row.ResponseP90, row.Responses),
			ofShare(row.TouchedInTime, row.TouchMeasured()), row.TouchedLate, row.Untouched,
			ofShare(row.DecidedInTime, row.DecideMeasured()), row.Accepted, row.Rejected, row.Disqualified,
			strconv.FormatFloat(math.Round(row.TouchesPerLead*10)/10, 'f', -1, 64),
			sample(row.RoutingDelayMedian, row.Routed), sample(row.RepDelayMedian, row.RepDelays))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t := r.Total; t.TouchPending+t.DecisionPending > 0 {
		fmt.Fprintf(w, "(clocks not yet due are left out: %d first touches, %d decisions)\n", t.TouchPending, t.DecisionPending)
	}

	mk := r.Marketing
	fmt.Fprintf(w, "\nMARKETING\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "qualified leads\t%d of %d (%s)\n", mk.QualifiedLeads, mk.Commitment, pct(mk.VolumeShare()))
	for _, s := range mk.BySegment {
		fmt.Fprintf(tw, "  %s\t%d of %d\n", s.Segment, s.Count, s.Commitment)
	}
	acceptance := "-"
	if mk.Decided > 0 {
		acceptance = pct(mk.AcceptanceRate)
	}
	fmt.Fprintf(tw, "acceptance rate\t%s (%d of %d decided), floor %s\n", acceptance, mk.Accepted, mk.Decided, pct(mk.MinAcceptanceRate))
	rating := "-"
	if mk.Ratings > 0 {
		rating = strconv.FormatFloat(math.Round(mk.AverageRating*10)/10, 'f', -1, 64)
	}
	fmt.Fprintf(tw, "average rating\t%s (%s), floor %s\n", rating, sla.Count(mk.Ratings, "review"), strconv.FormatFloat(mk.MinAverageRating, 'f', -1, 64))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(mk.Breaches) == 0 {
		fmt.Fprintln(w, "no breach")
	}
	for _, b := range mk.Breaches {
		fmt.Fprintln(w, "breach: "+b)
	}

	fmt.Fprintf(w, "\nCADENCE (all hand-offs)\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CADENCE\tSTEP\tCHANNEL\tTEMPLATE\tON TIME\tLATE\tSKIPPED\tMISSED\tOVERDUE\tOPEN\tNOT OWED\tLATE MEDIAN")
	for _, s := range r.Total.Steps {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", s.Cadence, s.Step, s.Channel, s.Template,
			ofShare(s.OnTime, s.Due()), s.Late, s.Skipped, s.Missed, s.Overdue, s.Open, s.NotOwed,
			sample(s.LateMedian, s.Late))
	}
	return tw.Flush()
}

// writeReportCSV writes the sales rows and their total, one line each, with
// durations in seconds and shares between 0 and 1.
func writeReportCSV(w io.Writer, r sla.Report) error {
	cw := csvout.NewWriter(w)
	cw.WriteText(r.By, "handoffs", "responses", "response_median_s", "response_p90_s",
		"touched_in_time", "touched_late", "untouched", "touch_pending", "touched_in_time_share",
		"decided", "decided_in_time", "undecided", "decision_pending", "decided_in_time_share",
		"accepted", "rejected", "disqualified", "touches", "touches_per_lead",
		"routed", "routing_delay_median_s", "rep_delays", "rep_delay_median_s")
	n := func(s string) csvout.Cell { return csvout.Number(s) }
	for _, row := range append(r.Sales, r.Total) {
		cw.Write(csvout.Text(row.Key), n(itoa(row.Handoffs)), n(itoa(row.Responses)), n(secs(row.ResponseMedian)), n(secs(row.ResponseP90)),
			n(itoa(row.TouchedInTime)), n(itoa(row.TouchedLate)), n(itoa(row.Untouched)), n(itoa(row.TouchPending)), n(fraction(row.TouchedInTimeShare)),
			n(itoa(row.Decided)), n(itoa(row.DecidedInTime)), n(itoa(row.Undecided)), n(itoa(row.DecisionPending)), n(fraction(row.DecidedInTimeShare)),
			n(itoa(row.Accepted)), n(itoa(row.Rejected)), n(itoa(row.Disqualified)), n(itoa(row.Touches)), n(fraction(row.TouchesPerLead)),
			n(itoa(row.Routed)), n(secs(row.RoutingDelayMedian)), n(itoa(row.RepDelays)), n(secs(row.RepDelayMedian)))
	}
	return cw.Flush()
}

func itoa(n int) string { return strconv.Itoa(n) }

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

func fraction(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

// sample writes a duration measured over n samples, "-" for none.
func sample(d time.Duration, n int) string {
	if n == 0 {
		return "-"
	}
	return sla.Duration(d)
}

// ofShare writes n of a total as a percentage and the counts, "-" for
// nothing to measure.
func ofShare(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%d/%d)", pct(ratio(n, of)), n, of)
}

func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// pct writes a share as a percentage with at most one decimal.
func pct(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64) + "%"
}
