package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &exitStatus{exitUsage, fmt.Errorf("%q is not a lead id", s)}
	}
	return id, nil
}

// leadArg parses a lead id argument and opens the database.
func (m *Main) leadArg(ctx context.Context, arg string) (int64, *sqldb.DB, error) {
	id, err := parseID(arg)
	if err != nil {
		return 0, nil, err
	}
	db, err := m.open(ctx)
	return id, db, err
}

// printJSON writes v to standard output as indented JSON.
func (m *Main) printJSON(v any) error { return writeJSON(m.Stdout, v) }

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (m *Main) leadCommand() *cobra.Command {
	c := &cobra.Command{Use: "lead", Short: "Look at and move leads"}
	var format string
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a lead as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, db, err := m.leadArg(c.Context(), args[0])
			if err != nil {
				return err
			}
			l, err := db.Lead(c.Context(), id)
			if err != nil {
				return err
			}
			return m.printJSON(l)
		},
	}
	history := &cobra.Command{
		Use:   "history ID",
		Short: "Show a lead's ledger: every change, who made it, when and why",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, db, err := m.leadArg(c.Context(), args[0])
			if err != nil {
				return err
			}
			events, err := db.LeadEvents(c.Context(), id)
			if err != nil {
				return err
			}
			if format == "json" {
				return m.printJSON(events)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "OCCURRED\tRECORDED\tEVENT\tBY\tWHAT\tWHY")
			for _, e := range events {
				why := e.Reason
				if e.Rule != "" {
					why = "rule " + e.Rule
				}
				if e.AgreementVersion > 0 {
					why = strings.TrimSpace(why + fmt.Sprintf(" (agreement v%d)", e.AgreementVersion))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.OccurredAt.Format("2006-01-02 15:04"), e.RecordedAt.Format("2006-01-02 15:04"),
					e.Type, e.Actor, describeChanges(e.Changes), why)
			}
			return tw.Flush()
		},
	}
	history.Flags().StringVar(&format, "format", "table", "table or json")
	var reason, as string
	move := &cobra.Command{
		Use:   "move ID STAGE --reason TEXT",
		Short: "Move a lead to a stage by hand (the agreement must allow the move)",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			id, db, err := m.leadArg(c.Context(), args[0])
			if err != nil {
				return err
			}
			who := "cli"
			if as != "" {
				u, err := db.UserByEmail(c.Context(), as)
				if err != nil {
					return err
				}
				who = "user:" + u.Email
			}
			l, err := db.MoveLead(c.Context(), id, args[1], reason, who)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "lead %d is now %s\n", l.ID, l.Stage)
			return nil
		},
	}
	move.Flags().StringVar(&reason, "reason", "", "why the lead moves (required)")
	move.Flags().StringVar(&as, "as", "", "the email of the user making the move")
	c.AddCommand(show, history, move)
	return c
}

func describeChanges(cs []tandem.FieldChange) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.From == "" {
			parts = append(parts, fmt.Sprintf("%s=%q", c.Field, c.To))
		} else {
			parts = append(parts, fmt.Sprintf("%s %q→%q", c.Field, c.From, c.To))
		}
	}
	return strings.Join(parts, " ")
}

func (m *Main) ledgerCommand() *cobra.Command {
	c := &cobra.Command{Use: "ledger", Short: "Check the ledger"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Replay every lead's events and check they give the stored lead, its stage entries and its deals' stage entries, and the stage counts",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			n, bad, err := db.VerifyLedger(c.Context(), func(id int64, diff string) {
				fmt.Fprintf(m.Stdout, "lead %d: %s\n", id, diff)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%d leads checked, %d differ from their ledger\n", n, bad)
			// The funnel's hourly counts are said only when they differ.
			counts, err := db.VerifyStageCounts(c.Context(), func(diff string) {
				fmt.Fprintln(m.Stdout, diff)
			})
			if err != nil {
				return err
			}
			if counts > 0 {
				fmt.Fprintf(m.Stdout, "%d rows of stage counts differ from the stage entries\n", counts)
			}
			if bad > 0 || counts > 0 {
				return &exitStatus{exitError, nil}
			}
			return nil
		},
	}
	c.AddCommand(verify)
	return c
}
