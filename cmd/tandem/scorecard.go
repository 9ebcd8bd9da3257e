package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) scorecardCommand() *cobra.Command {
	var period, format, out string
	c := &cobra.Command{
		Use:   "scorecard [--period P] [--format html|json|csv] [--out FILE]",
		Short: "The monthly scorecard: the unified KPI, revenue, both teams against their commitments, the funnel, and the agenda",
		Long: `Compute the scorecard of a month (2026-11), a quarter (2026-Q4) or a year
(docs/scorecard.md): the unified KPI first, revenue against the goal, marketing
and sales each against what they signed, the funnel by stage and by source,
campaign ROI, the reasons sales rejected hand-offs, review ratings by
campaign, the period's jeopardy alerts, and an agenda listing the largest
shortfalls first.

A period that has ended and holds data (a lead created in it, a deal won or
lost in it) is frozen the first time its scorecard is computed: every later
run prints the same numbers. The HTML is one self-contained
page, with charts and a print style sheet.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "html", "json", "csv"); err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			sc, err := report.Scorecard(c.Context(), db, m.Clock.Now(), period)
			if err != nil {
				return planFlagError(err)
			}
			switch sc.Status {
			case scorecard.StatusNoAgreement:
				fmt.Fprintf(m.Stderr, "tandem: %s had no agreement in force: its figures are described, not judged\n", sc.Period)
			case scorecard.StatusRunning:
				fmt.Fprintf(m.Stderr, "tandem: %s is running (day %d of %d): volumes are judged when it ends\n", sc.Period, sc.DaysElapsed, sc.DaysTotal)
			}
			w := m.Stdout
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			switch format {
			case "json":
				if out == "" {
					return m.printJSON(sc)
				}
				return writeJSON(w, sc)
			case "csv":
				return sc.WriteCSV(w)
			}
			return sc.WriteHTML(w)
		},
	}
	c.Flags().StringVar(&period, "period", "", "a month (2026-11), quarter (2026-Q4) or year (2026); the current month by default")
	c.Flags().StringVar(&format, "format", "html", "html, json or csv")
	c.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of standard output")
	return c
}

func (m *Main) jeopardyCommand() *cobra.Command {
	c := &cobra.Command{Use: "jeopardy", Short: "Check the goal for jeopardy and list the alerts raised"}
	var r planRequest
	var format string
	check := &cobra.Command{
		Use:   "check [--period P] [--format table|json]",
		Short: "Check a period now and raise each new alert to the heads and the executives",
		Long: `Check the period (the goal period containing today by default) as the daily
round does (docs/jeopardy.md): won revenue projected below the goal, or
qualified-lead volume, the acceptance rate, the close rate or the average deal
drifting below the plan beyond the agreement's tolerance. Each alert is raised
once per cause and period, through the notification outbox: tandem serve
sends its email and chat messages.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			// The alert's messages on every channel wait in the outbox
			// until a tandem serve with --smtp, --chat-webhook... sends
			// them; in-app ones are delivered at once.
			db, err := m.openWith(c.Context(), m.channels())
			if err != nil {
				return err
			}
			out, err := report.Check(c.Context(), db, m.Clock.Now(), report.Request{Period: r.period})
			if err != nil {
				return planFlagError(err)
			}
			if format == "json" {
				return m.printJSON(out)
			}
			return writeCheck(m.Stdout, out)
		},
	}
	check.Flags().StringVar(&r.period, "period", "", "a month, quarter or year; the goal period containing today by default")
	check.Flags().StringVar(&format, "format", "table", "table or json")
	var listPeriod, listFormat string
	list := &cobra.Command{
		Use:   "list [--period P] [--format table|json]",
		Short: "List the jeopardy alerts raised, newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(listFormat, "table", "json"); err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			var f sqldb.AlertFilter
			if listPeriod != "" {
				f.Periods = []string{listPeriod}
			}
			alerts, err := db.Alerts(c.Context(), f)
			if err != nil {
				return err
			}
			if listFormat == "json" {
				return m.printJSON(alerts)
			}
			return writeAlerts(m.Stdout, alerts)
		},
	}
	list.Flags().StringVar(&listPeriod, "period", "", "only this period's alerts (2026-Q4, 2026-11)")
	list.Flags().StringVar(&listFormat, "format", "table", "table or json")
	c.AddCommand(check, list)
	return c
}

func writeCheck(w io.Writer, c report.Checked) error {
	if len(c.Found) == 0 {
		_, err := fmt.Fprintf(w, "%s: no jeopardy: the projection reaches the goal and no rate drifts beyond the tolerance\n", c.Period)
		return err
	}
	raised := map[jeopardy.Cause]bool{}
	for _, a := range c.Raised {
		raised[a.Cause] = true
	}
	for _, a := range c.Found {
		state := "raised before"
		if raised[a.Cause] {
			state = "raised now"
		}
		if _, err := fmt.Fprintf(w, "%s %s (%s): %s\n", c.Period, a.Cause, state, a.Summary); err != nil {
			return err
		}
	}
	return nil
}

func writeAlerts(w io.Writer, alerts []jeopardy.Alert) error {
	if len(alerts) == 0 {
		_, err := fmt.Fprintln(w, "no jeopardy alert has been raised")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RAISED\tPERIOD\tCAUSE\tSUMMARY")
	for _, a := range alerts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.RaisedAt.Format("2006-01-02 15:04"), a.Period, a.Cause, strings.ReplaceAll(a.Summary, "\t", " "))
	}
	return tw.Flush()
}
