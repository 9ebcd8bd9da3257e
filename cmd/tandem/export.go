package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) exportCommand() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "export --format jsonl DIR",
		Short: "Write the whole database as JSON lines, one file per table, that 'tandem import jsonl' loads",
		Long: `Write the whole database to DIR (new or empty) as JSON lines, from one
snapshot while Tandem runs: one file per table (users without password
hashes, agreement versions and signatures, campaigns and spend, leads,
events, deals, marketing touches, hand-offs, tasks, timers, routing credits,
reviews, notifications, alerts, frozen scorecards), one row per line, and
manifest.json last (format version, schema, source database, time, rows per
file). Stage entries and stage counts are rebuilt by the import; sessions,
API tokens and kept reports are left out. The same data gives the same
bytes from SQLite and PostgreSQL. 'tandem import jsonl DIR' loads it into an
empty database of either kind: that is how a team moves from SQLite to
PostgreSQL. See docs/operations.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "jsonl" {
				return &exitStatus{exitUsage, fmt.Errorf("--format %q: want jsonl", format)}
			}
			db, err := m.openExisting(c.Context())
			if err != nil {
				return err
			}
			if db == nil {
				return fmt.Errorf("%s: no such database", m.DBPath)
			}
			start := time.Now()
			man, err := db.Dump(c.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "exported %s from %s (schema %d) to %s in %s\n", rowCounts(man), man.Dialect, man.Schema, args[0],
				time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "jsonl", "the export's format: jsonl")
	return c
}

func (m *Main) importJSONLCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "jsonl DIR",
		Short: "Load an export (tandem export --format jsonl) into an empty database of either kind",
		Long: `Load the export in DIR, written by 'tandem export --format jsonl' from
SQLite or PostgreSQL, into the database, which must be empty (a new SQLite
file, or a new PostgreSQL database or schema): a database that holds rows
is refused. Ids, times and the ledger are kept as they were; the rows go in
in one transaction, so a bad row leaves the database empty and names the
file and line. Then the stage entries and stage counts are rebuilt from the
events, and the ledger is verified as 'tandem ledger verify' does. Export
and import with the same version of tandem. Users sign in again with new
passwords (tandem user set EMAIL --reset) and API tokens are created again.
See docs/operations.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			if _, err := sqldb.ReadManifest(args[0]); err != nil { // before a SQLite file is made
				return err
			}
			db, err := m.open(ctx)
			if err != nil {
				return err
			}
			start := time.Now()
			man, err := db.Load(ctx, args[0], func(c sqldb.DumpCount) {
				fmt.Fprintf(m.Stderr, "read %s: %d rows\n", c.File, c.Rows)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "imported %s from %s (exported from %s at %s) in %s\n", rowCounts(man), args[0], man.Dialect,
				man.ExportedAt.Format(time.RFC3339), time.Since(start).Round(time.Millisecond))
			return m.verifyLedger(ctx, db, m.Stdout)
		},
	}
}

// rowCounts says how many rows of each table an export holds.
func rowCounts(man sqldb.Manifest) string {
	parts := make([]string, len(man.Tables))
	for i, t := range man.Tables {
		parts[i] = fmt.Sprintf("%d %s", t.Rows, strings.ReplaceAll(t.Table, "_", " "))
	}
	return strings.Join(parts, ", ")
}

// verifyLedger checks the imported ledger and stage counts as 'tandem
// ledger verify' does, printing what differs and a summary.
func (m *Main) verifyLedger(ctx context.Context, db *sqldb.DB, w io.Writer) error {
	n, bad, err := db.VerifyLedger(ctx, func(id int64, diff string) { fmt.Fprintf(w, "lead %d: %s\n", id, diff) })
	if err != nil {
		return err
	}
	counts, err := db.VerifyStageCounts(ctx, func(diff string) { fmt.Fprintln(w, diff) })
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ledger verified: %d leads checked, %d differ from their ledger, %d rows of stage counts differ\n", n, bad, counts)
	if bad > 0 || counts > 0 {
		return &exitStatus{exitError, nil}
	}
	return nil
}
