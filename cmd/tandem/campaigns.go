package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
)

func (m *Main) campaignCommand() *cobra.Command {
	c := &cobra.Command{Use: "campaign", Short: "Register campaigns and their monthly spend (docs/campaigns.md)"}
	var name, channel string
	add := &cobra.Command{
		Use:   "add CODE [--name NAME] [--channel CHANNEL]",
		Short: "Register a campaign by the code leads carry in their campaign field, or rename it",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			cp, created, err := db.SaveCampaign(c.Context(), tandem.Campaign{Code: args[0], Name: name, Channel: channel})
			if err != nil {
				return err
			}
			verb := "updated"
			if created {
				verb = "registered"
			}
			fmt.Fprintf(m.Stdout, "%s campaign %s (%s, channel %s)\n", verb, cp.Code, orDash(cp.Name), orDash(cp.Channel))
			return nil
		},
	}
	add.Flags().StringVar(&name, "name", "", "the campaign's name")
	add.Flags().StringVar(&channel, "channel", "", "its marketing channel, in the words of a lead's origin (paid_search, social, email...)")

	var month, amount string
	spend := &cobra.Command{
		Use:   "spend CODE --month YYYY-MM --amount AMOUNT",
		Short: "Set a registered campaign's spend for a month (replacing what was set)",
		Long: `Set what a registered campaign cost in a calendar month. --amount is in
the currency's major unit, like 12000.50, without thousands separators or a
currency symbol. Setting a month again replaces its amount.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			cents, err := tandem.ParseAmount(amount)
			if err != nil {
				return tandem.Invalid(tandem.FieldError{Field: "amount", Message: err.Error()})
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			s, err := db.SetCampaignSpend(c.Context(), tandem.CampaignSpend{Campaign: args[0], Month: month, AmountCents: cents}, "cli")
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "campaign %s spent %s in %s\n", s.Campaign, tandem.FormatAmount(s.AmountCents), s.Month)
			return nil
		},
	}
	spend.Flags().StringVar(&month, "month", "", "the month, YYYY-MM")
	spend.Flags().StringVar(&amount, "amount", "", "the month's spend in major units, like 12000.50")
	spend.MarkFlagRequired("month")
	spend.MarkFlagRequired("amount")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the registered campaigns with their total spend and months",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			cs, err := db.Campaigns(c.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME\tCHANNEL\tSPEND\tMONTHS\tREGISTERED\t")
			for _, cp := range cs {
				var total int64
				months := "–"
				for i, s := range cp.Spend {
					total += s.AmountCents
					if i == 0 {
						months = s.Month
					} else if i == len(cp.Spend)-1 {
						months += " to " + s.Month
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", cp.Code, orDash(cp.Name), orDash(cp.Channel), tandem.FormatAmount(total),
					months, cp.CreatedAt.Format(time.DateOnly))
			}
			return tw.Flush()
		},
	}
	c.AddCommand(add, spend, list)
	return c
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
