package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) auditCommand() *cobra.Command {
	var f sqldb.AuditFilter
	var format string
	c := &cobra.Command{
		Use:   "audit [--subject user:EMAIL|token:NAME|form:NAME|source:NAME|webhook:ID|schedule:ID] [--limit N] [--before ID] [--format table|json]",
		Short: "Show the audit log: who changed which users and API tokens, and how",
		Long: `Show the audit log, newest first: every change to users and API tokens
(created, role, team, manager, absence or weight changed, password set or
reset, every session ended, token created or revoked), who made it and the
fields it changed, whichever way it came (API, settings page, command line,
users import). Passwords and token secrets are never recorded.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			db, err := m.openExisting(c.Context())
			if err != nil || db == nil {
				return err
			}
			es, err := db.Audit(c.Context(), f)
			if tandem.ErrorCode(err) == tandem.EINVALID {
				return &exitStatus{exitUsage, fmt.Errorf("--%s", tandem.ErrorMessage(err))}
			} else if err != nil {
				return err
			}
			if format == "json" {
				return m.printJSON(es)
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tAT\tACTOR\tACTION\tSUBJECT\tCHANGES")
			for _, e := range es {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, tandem.FormatTime(e.At), e.Actor, e.Action, e.Subject, auditChanges(e.Changes))
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&f.Subject, "subject", "", "only the entries of this subject: user:EMAIL, token:NAME, form:NAME, source:NAME, webhook:ID or schedule:ID")
	c.Flags().IntVar(&f.Limit, "limit", 100, "how many entries, at most 1000")
	c.Flags().Int64Var(&f.BeforeID, "before", 0, "only entries older than this id, to page back")
	c.Flags().StringVar(&format, "format", "table", "table or json")
	return c
}

// auditChanges shows changes as field=from→to, one after the other.
func auditChanges(cs []tandem.FieldChange) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s=%q→%q", c.Field, c.From, c.To)
	}
	return strings.Join(parts, " ")
}
