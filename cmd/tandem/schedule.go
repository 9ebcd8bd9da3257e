package main

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/schedule"
)

func (m *Main) scheduleCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "schedule",
		Short: "List, add and remove the reports sent by email on a schedule",
		Long: `Schedules send a report by email (tandem serve --smtp): the monthly
scorecard on the first working day of each month at 08:00, and the weekly
pacing digest every Monday at 08:00, in the agreement's time zone. Each goes
to the users of its roles and to its addresses (docs/integrations.md,
"Scheduled scorecard").`,
	}
	c.AddCommand(m.scheduleListCommand(), m.scheduleAddCommand(), m.scheduleRemoveCommand())
	return c
}

func (m *Main) scheduleListCommand() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List the schedules, when each sends next and what it sent last",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			db, err := m.openExisting(c.Context())
			if err != nil || db == nil {
				return err
			}
			rows, err := report.Schedules(c.Context(), db, m.Clock.Now())
			if err != nil {
				return err
			}
			if format == "json" {
				return m.printJSON(rows)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tROLES\tADDRESSES\tNEXT\tLAST")
			for _, r := range rows {
				last := "-"
				if l := r.LastSent; l != nil {
					last = l.Occurrence + " " + l.State
					if l.State == "sent" {
						last += fmt.Sprintf(" to %d", l.Recipients)
					} else if l.LastError != "" {
						last += ": " + l.LastError
					}
				}
				roles := make([]string, len(r.Roles))
				for i, x := range r.Roles {
					roles[i] = string(x)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, orDash(strings.Join(roles, ",")), orDash(strings.Join(r.Addresses, ",")),
					tandem.FormatTime(r.Next), last)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&format, "format", "table", "table or json")
	return c
}

func (m *Main) scheduleAddCommand() *cobra.Command {
	var roles, to []string
	c := &cobra.Command{
		Use:   "add scorecard|pacing [--role ROLE]... [--to ADDRESS]...",
		Short: "Send the monthly scorecard or the weekly pacing digest to roles and addresses",
		Long: `Add a schedule. scorecard sends the scorecard of the month just closed on
the first working day of each month at 08:00; pacing sends the month's
pacing every Monday at 08:00 (in the agreement's time zone). It goes to
every user of each --role who has an email, and to each --to address. The
first send is the first occurrence after now.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			s := schedule.Schedule{Kind: args[0], Addresses: to}
			for _, r := range roles {
				s.Roles = append(s.Roles, tandem.Role(r))
			}
			if err := s.Validate(); err != nil {
				return &exitStatus{exitUsage, scheduleUsage(err)}
			}
			db, err := m.openExisting(c.Context())
			if err != nil || db == nil {
				return err
			}
			s, err = db.AddSchedule(c.Context(), s)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "schedule %d added: %s\n", s.ID, s.Kind)
			return nil
		},
	}
	c.Flags().StringArrayVar(&roles, "role", nil, "send to the users of this role; repeat for more ("+roleNames()+")")
	c.Flags().StringArrayVar(&to, "to", nil, "send to this email address; repeat for more")
	return c
}

// scheduleUsage writes a schedule's field errors as the flags that set
// them.
func scheduleUsage(err error) error {
	fs := tandem.ErrorFields(err)
	if len(fs) == 0 {
		return err
	}
	flag := map[string]string{"kind": "KIND", "roles": "--role", "addresses": "--to"}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = flag[f.Field] + ": " + f.Message
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}

func roleNames() string {
	names := make([]string, len(tandem.Roles))
	for i, r := range tandem.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func (m *Main) scheduleRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Stop a schedule (what it sent stays on record)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return &exitStatus{exitUsage, fmt.Errorf("ID %q: want the number tandem schedule list shows", args[0])}
			}
			db, err := m.openExisting(c.Context())
			if err != nil || db == nil {
				return err
			}
			if err := db.RemoveSchedule(c.Context(), id); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "schedule %d removed\n", id)
			return nil
		},
	}
}
