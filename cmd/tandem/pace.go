package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/figure"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/report"
)

func (m *Main) paceCommand() *cobra.Command {
	var r planRequest
	var format string
	var seed uint64
	c := &cobra.Command{
		Use:   "pace [--period P] [--goal REVENUE] [--share SHARE] [--set NAME=VALUE]... [--format table|json] [--seed N]",
		Short: "Compare the period's actuals with its plan, day by day, and the odds of reaching the goal",
		Long: `Pace the period against its plan (tandem plan, with the same flags): for
every path stage, the leads that entered it so far against the plan's even
line, the run-rate projection to the period's end, and the probability of
reaching the last stage's plan from a seeded Monte Carlo (docs/pace.md).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			r.goalSet, r.shareSet = c.Flags().Changed("goal"), c.Flags().Changed("share")
			req, err := r.request()
			if err != nil {
				return err
			}
			db, err := m.openExisting(c.Context())
			if err != nil {
				return err
			}
			out, err := report.Pace(c.Context(), db, m.Clock.Now(), req, seed)
			switch {
			case out.Pace.NoAgreement:
				fmt.Fprintf(m.Stderr, "tandem: no signed agreement was in force in %s: its figures are described, not judged (--goal paces against a goal of your own)\n", out.Pace.Period.Name)
			case out.Agreement != nil && out.Version == nil:
				fmt.Fprintln(m.Stderr, "tandem: no signed agreement is in force: pacing against your goal with the default agreement's rates")
			}
			if err != nil {
				return planHint(planFlagError(err))
			}
			if format == "json" {
				return m.printJSON(out.Pace)
			}
			return writePaceTable(m.Stdout, out.Pace)
		},
	}
	c.Flags().StringVar(&r.goal, "goal", "", "the revenue goal for the period (default: the agreement's, scaled to the period)")
	c.Flags().StringVar(&r.share, "share", "", "the share of the goal from marketing, 0.6 or 60% (default: the agreement's)")
	c.Flags().StringVar(&r.period, "period", "", "a month (2027-01), quarter (2027-Q1) or year (2027); the goal period containing today by default")
	c.Flags().StringArrayVar(&r.sets, "set", nil, "a what-if NAME=VALUE, as for tandem plan (repeatable)")
	c.Flags().StringVar(&format, "format", "table", "table or json")
	c.Flags().Uint64Var(&seed, "seed", 1, "the Monte Carlo's seed: the same seed gives the same probability")
	return c
}

// writePaceTable writes the pace for people: the period's one target
// first (what the projection and the probability are of), then each path
// stage against marketing's plan, then revenue against the goal. Figures
// are written as the pages write them (package figure).
func writePaceTable(w io.Writer, p pace.Pace) error {
	fmt.Fprintf(w, "Pace %s: day %d of %d, as of %s\n", p.Period.Name, p.DaysElapsed, p.DaysTotal, p.AsOf.Format("2006-01-02 15:04 MST"))
	t := p.Target
	if t.Value > 0 {
		fmt.Fprintf(w, "target: %s (%s)\n", t.Label, t.Source)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tMARKETING'S PLAN\tEXPECTED BY NOW\tACTUAL\tPROJECTED\tON TRACK\t")
	for _, s := range p.Stages {
		on := "yes"
		switch {
		case s.Planned == 0:
			on = "-" // no plan to be on track for
		case !s.OnTrack:
			on = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Stage, figure.Count(float64(s.Planned)), figure.Count(s.ExpectedByNow),
			figure.Count(float64(s.Actual)), figure.Count(float64(s.Projected)), on)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if p.NoAgreement {
		fmt.Fprintf(w, "\nwon revenue: %s so far, projected %s\n", figure.Money(float64(p.RevenueActualCents)/100),
			figure.Money(float64(p.RevenueProjectedCents)/100))
		_, err := fmt.Fprintln(w, "no target: no signed agreement was in force in the period; its figures are described, not judged")
		return err
	}
	fmt.Fprintf(w, "\nwon revenue: %s so far, projected %s, against the goal of %s\n", figure.Money(float64(p.RevenueActualCents)/100),
		figure.Money(float64(p.RevenueProjectedCents)/100), figure.Money(float64(p.RevenuePlannedCents)/100))
	if t.Value <= 0 {
		_, err := fmt.Fprintln(w, "no target: the plan asks for none in the period")
		return err
	}
	verdict := "reaches the target"
	if p.TargetProjected < t.Value {
		verdict = "short of the target"
	}
	fmt.Fprintf(w, "%s: %s so far, projected %s, %s of %s\n", t.Name(), t.Format(p.TargetActual), t.Format(p.TargetProjected), verdict, t.Format(t.Value))
	_, err := fmt.Fprintf(w, "probability of reaching the target (%s): %s (%d futures, seed %d)\n", t.Label, figure.Percent(p.Probability), p.Trials, p.Seed)
	return err
}
