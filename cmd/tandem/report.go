package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/csvout"
	"github.com/tandemhq/tandem/report"
)

// reportCommand is the group of the reports read in the monthly meeting;
// each report is one subcommand.
func (m *Main) reportCommand() *cobra.Command {
	c := &cobra.Command{Use: "report", Short: "Print the reports both teams read: the monthly scorecard, campaigns and attribution, deals and win rates"}
	c.AddCommand(m.scorecardCommand(), m.reportCampaignsCommand(), m.reportDealsCommand())
	return c
}

func (m *Main) reportCampaignsCommand() *cobra.Command {
	var period, model, format string
	c := &cobra.Command{
		Use:   "campaigns [--period P] [--model u_shaped] [--format table|json|csv]",
		Short: "Report spend, leads, MQLs, customers, attributed revenue and ROI per campaign",
		Long: `Report every campaign over a period: its spend in the period's months; the
new leads, MQLs (entries into the hand-off stage) and customers (deals won)
credited to the campaign of each lead's first marketing touch; won revenue
attributed by first_touch, last_touch, linear and u_shaped; cost per lead,
per MQL and per customer; and ROI under --model. Then revenue by origin, and
the share of the period's leads, opportunities and won revenue that
marketing sourced, against the agreement's goal.marketing_share.

--period is a month (2026-03), a quarter (2026-Q1) or a year (2026) in the
agreement's time zone; the current month by default. A figure whose
denominator is 0 prints as –. Definitions: docs/campaigns.md.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			r, err := report.Campaigns(c.Context(), db, db.Now(), period, model)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return m.printJSON(r)
			case "csv":
				return writeCampaignCSV(m.Stdout, r)
			}
			return writeCampaignTable(m.Stdout, r)
		},
	}
	c.Flags().StringVar(&period, "period", "", "a month (2026-03), quarter (2026-Q1) or year (2026); the current month by default")
	c.Flags().StringVar(&model, "model", "u_shaped", "the attribution model ROI uses: first_touch, last_touch, linear or u_shaped")
	c.Flags().StringVar(&format, "format", "table", "table, json or csv")
	return c
}

func money(cents int64) string { return tandem.FormatAmount(cents) }

func moneyOr(p *int64) string {
	if p == nil {
		return "–"
	}
	return money(*p)
}

func pctOr(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func writeCampaignTable(w io.Writer, r attribution.Report) error {
	fmt.Fprintf(w, "Campaigns %s (%s to %s), ROI by %s\n\n", r.Period, r.From.Format("2006-01-02"), r.To.Add(-time.Nanosecond).Format("2006-01-02"), r.Model)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CAMPAIGN\tCHANNEL\tSPEND\tLEADS\tMQLS\tCUSTOMERS\tFIRST TOUCH\tLAST TOUCH\tLINEAR\tU-SHAPED\tCOST/LEAD\tCOST/MQL\tCOST/CUSTOMER\tROI\t")
	for _, l := range append(r.Campaigns, r.Total) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Campaign, orDash(l.Channel), money(l.SpendCents),
			l.Leads, l.MQLs, l.Customers, money(l.RevenueCents[attribution.FirstTouch]), money(l.RevenueCents[attribution.LastTouch]),
			money(l.RevenueCents[attribution.Linear]), money(l.RevenueCents[attribution.UShaped]),
			moneyOr(l.CostPerLeadCents), moneyOr(l.CostPerMQLCents), moneyOr(l.CostPerCustomerCents), pctOr(l.ROI))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Origins) > 0 {
		fmt.Fprintln(w, "\nWon revenue by origin")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "ORIGIN\tFIRST TOUCH\tLAST TOUCH\tLINEAR\tU-SHAPED\t")
		for _, o := range r.Origins {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", o.Origin, money(o.RevenueCents[attribution.FirstTouch]), money(o.RevenueCents[attribution.LastTouch]),
				money(o.RevenueCents[attribution.Linear]), money(o.RevenueCents[attribution.UShaped]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	s := r.Sourcing
	fmt.Fprintf(w, "\nMarketing-sourced: %d of %d new leads (%s), %d of %d opportunities (%s), %s of %s won revenue (%s; goal %.0f%%)\n",
		s.MarketingLeads, s.Leads, pctOr(s.LeadShare), s.MarketingOpportunities, s.Opportunities, pctOr(s.OpportunityShare),
		money(s.MarketingWonCents), money(s.WonCents), pctOr(s.RevenueShare), s.MarketingShareGoal*100)
	return nil
}

func writeCampaignCSV(w io.Writer, r attribution.Report) error {
	cw := csvout.NewWriter(w)
	cw.WriteText("campaign", "name", "channel", "registered", "spend", "leads", "mqls", "customers",
		"revenue_first_touch", "revenue_last_touch", "revenue_linear", "revenue_u_shaped",
		"cost_per_lead", "cost_per_mql", "cost_per_customer", "roi")
	opt := func(p *int64) csvout.Cell {
		if p == nil {
			return csvout.Number("")
		}
		return csvout.Number(money(*p))
	}
	num := csvout.Number
	for _, l := range append(r.Campaigns, r.Total) {
		roi := ""
		if l.ROI != nil {
			roi = strconv.FormatFloat(*l.ROI, 'f', 4, 64)
		}
		cw.Write(csvout.Text(l.Campaign), csvout.Text(l.Name), csvout.Text(l.Channel), csvout.Text(strconv.FormatBool(l.Registered)), num(money(l.SpendCents)),
			num(strconv.Itoa(l.Leads)), num(strconv.Itoa(l.MQLs)), num(strconv.Itoa(l.Customers)),
			num(money(l.RevenueCents[attribution.FirstTouch])), num(money(l.RevenueCents[attribution.LastTouch])),
			num(money(l.RevenueCents[attribution.Linear])), num(money(l.RevenueCents[attribution.UShaped])),
			opt(l.CostPerLeadCents), opt(l.CostPerMQLCents), opt(l.CostPerCustomerCents), num(roi))
	}
	return cw.Flush()
}
