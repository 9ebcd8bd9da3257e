package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/backtest"
	"github.com/tandemhq/tandem/report"
)

func (m *Main) backtestCommand() *cobra.Command {
	var period string
	var asJSON bool
	c := &cobra.Command{
		Use:   "backtest FILE --period P [--json]",
		Short: "Replay a past period of the ledger under a proposed agreement file, beside the version in force",
		Long: `Replay a past period of the ledger under a proposed agreement file and
report, side by side with the version in force at the period's end, what it
would have asked and judged: MQLs handed over against the commitment,
hand-offs per rep and peak open load (routing and capacity re-run),
first-touch and accept compliance, the breaches and escalations that would
have fired, the cadence steps owed, and the plan's leads needed.

The touches, decisions and ends of the hand-offs keep their real times;
the stage rules, business hours, clocks, cadence, routing, capacity,
escalation, commitments and plan are the file's. Nothing is written.

--period is a month (2026-11), a quarter (2026-Q3) or a year (2026) in the
agreement's time zone. See docs/agreement.md, "Backtest".`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := m.readAgreement(args[0])
			if err != nil {
				return err
			}
			db, err := m.openExisting(c.Context())
			if err != nil {
				return err
			}
			if db == nil {
				return fmt.Errorf("no database at %s: a backtest replays its ledger", m.DBPath)
			}
			r, err := report.Backtest(c.Context(), db, a, 0, period, db.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return m.printJSON(struct {
					backtest.Report
					Rows []backtest.Row `json:"rows"`
				}{r, r.Rows()})
			}
			fmt.Fprintf(m.Stdout, "Backtest of %s over %s (as of %s)\n\n", args[0], r.Period.Name, r.AsOf.Format("2006-01-02 15:04 MST"))
			w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(w, "\tin force\tproposed\t\n")
			for _, row := range r.Rows() {
				mark := ""
				if row.Changed {
					mark = "*"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", row.Figure, row.InForce, row.Proposed, mark)
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&period, "period", "", "the period to replay: a month (2026-11), a quarter (2026-Q3) or a year (2026)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.MarkFlagRequired("period")
	return c
}
