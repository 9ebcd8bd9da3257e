package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) backupCommand() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the SQLite database while Tandem runs (PostgreSQL: pg_dump)",
		Long: `Write a consistent copy of the SQLite database to FILE, from one snapshot,
while 'tandem serve' goes on writing (SQLite's VACUUM INTO, which also
compacts the copy). The copy is checked (SQLite's integrity check) before
it gets its name, so a failed backup leaves no FILE. An existing FILE is
refused unless --force. Restore by stopping Tandem and putting the copy in
place of the database file.

` + sqldb.PgDumpAdvice + `. See docs/operations.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			db, err := m.openExisting(c.Context())
			if err != nil {
				return err
			}
			if db == nil {
				return fmt.Errorf("%s: no such database", m.DBPath)
			}
			start := time.Now()
			info, err := db.Backup(c.Context(), args[0], force)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "wrote %s (%d bytes, schema %d: %d leads, %d events; integrity check ok) in %s\n",
				args[0], info.Bytes, info.Schema, info.Leads, info.Events, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	return c
}
