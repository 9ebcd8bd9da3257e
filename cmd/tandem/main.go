// Command tandem runs Tandem: the system of record for the agreement between
// a company's marketing and sales teams. See README.md and docs/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
)

func main() {
	// TANDEM_CLOCK_START runs the whole program from another instant, at
	// normal speed: for tests and demos only (docs/clocks.md).
	var clk tandem.Clock = clock.Real{}
	if v := os.Getenv("TANDEM_CLOCK_START"); v != "" {
		start, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "tandem: TANDEM_CLOCK_START: %q is not an RFC 3339 time such as 2026-11-23T15:00:00-05:00\n", v)
			os.Exit(exitUsage)
		}
		clk = clock.NewOffset(start)
		fmt.Fprintf(os.Stderr, "tandem: TANDEM_CLOCK_START is set: the clock starts at %s, not now (for tests and demos only)\n", start.Format(time.RFC3339))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// A second signal ends the program at once; and whatever the
		// command is doing, it ends within stopWithin of the first. Every
		// write is a transaction: one cut short is rolled back.
		stop()
		time.Sleep(stopWithin)
		fmt.Fprintf(os.Stderr, "tandem: still running %v after the signal: exiting; the transaction in progress, if any, is rolled back\n", stopWithin)
		os.Exit(exitError)
	}()
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Clock: clk}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// stopWithin is how long a command may take to stop after SIGINT or
// SIGTERM: serve's requests in flight get serveDrain of it.
const stopWithin = 5 * time.Second

// Main is the program, with everything it reads from the outside world as a
// field, so tests run the whole command in-process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Clock          tandem.Clock

	// Config, read once from flags and the environment.
	DBPath string
	// ReadDSN is --db-read: a PostgreSQL standby the kept reports and the
	// report pages read from (see sqldb.DB.Standby).
	ReadDSN string
	// Channels are the channels serve may turn on, each by its flag; nil
	// means all of Tandem's (notify.Channels).
	Channels []notify.Channel

	db *sqldb.DB
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the command failed, or found problems
	exitUsage = 2 // the command line is wrong
)

// exitError carries an exit status through cobra.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

// Run runs the command line args and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := m.commands()
	root.SetArgs(args)
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	// What the command changes of users and tokens is recorded as the
	// command line's, under the name of who runs it (the audit log).
	actor := "cli"
	if u := m.Getenv("USER"); u != "" {
		actor += ":" + u
	}
	err := root.ExecuteContext(sqldb.WithActor(ctx, actor))
	if m.db != nil {
		m.db.Close()
		m.db = nil
	}
	if err == nil {
		return exitOK
	}
	code := exitError
	if es, ok := err.(*exitStatus); ok {
		code = es.code
		err = es.err
	} else if isUsage(err) {
		code = exitUsage
	}
	if err != nil {
		fmt.Fprintln(m.Stderr, "tandem: "+message(err))
	}
	return code
}

// message is what a user sees of an error: the domain message of an
// *tandem.Error, the whole chain otherwise (this is a local command line,
// not a network service, so internal detail helps more than it leaks).
func message(err error) string {
	if tandem.ErrorCode(err) != tandem.EINTERNAL {
		return tandem.ErrorMessage(err)
	}
	return err.Error()
}

func (m *Main) commands() *cobra.Command {
	root := &cobra.Command{
		Use:           "tandem",
		Short:         "Tandem runs the agreement between marketing and sales",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	dbDefault := m.Getenv("TANDEM_DB")
	if dbDefault == "" {
		dbDefault = "tandem.db"
	}
	root.PersistentFlags().StringVar(&m.DBPath, "db", dbDefault, "database: a SQLite file or a postgres:// URL (env TANDEM_DB)")
	root.PersistentFlags().StringVar(&m.ReadDSN, "db-read", m.Getenv("TANDEM_DB_READ"), "a postgres:// URL of a hot standby of --db that computes the kept reports and the report pages (env TANDEM_DB_READ)")
	root.AddCommand(m.demoCommand(), m.serveCommand(), m.agreementCommand(), m.userCommand(), m.tokenCommand(),
		m.importCommand(), m.leadCommand(), m.ledgerCommand())
	root.AddCommand(m.slaCommand())
	root.AddCommand(m.planCommand())
	root.AddCommand(m.paceCommand())
	root.AddCommand(m.ratesCommand())
	root.AddCommand(m.campaignCommand(), m.reportCommand(), m.jeopardyCommand())
	root.AddCommand(m.backupCommand(), m.exportCommand())
	root.AddCommand(m.auditCommand())
	root.AddCommand(m.scheduleCommand())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &exitStatus{exitUsage, err} })
	return root
}

func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "accepts ", "requires at least", "required flag", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// open connects to the configured database once per run.
func (m *Main) open(ctx context.Context) (*sqldb.DB, error) {
	if m.db != nil {
		return m.db, nil
	}
	db, err := sqldb.Open(ctx, m.DBPath, sqldb.Options{Clock: m.Clock, Logger: m.logger(), ReadDSN: m.ReadDSN})
	if err != nil {
		return nil, err
	}
	m.db = db
	return db, nil
}

// openWith is [Main.open] with the outbox writing notifications for the
// channels chs (the in-app inbox's are always written). A database open
// already, as the demo leaves it, is opened again.
func (m *Main) openWith(ctx context.Context, chs []notify.Channel) (*sqldb.DB, error) {
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			return nil, err
		}
		m.db = nil
	}
	db, err := sqldb.Open(ctx, m.DBPath, sqldb.Options{Clock: m.Clock, Logger: m.logger(), Channels: notify.Routes(chs), ReadDSN: m.ReadDSN})
	if err != nil {
		return nil, err
	}
	m.db = db
	return db, nil
}

// channels returns the channels serve may turn on.
func (m *Main) channels() []notify.Channel {
	if m.Channels == nil {
		return notify.Channels()
	}
	return m.Channels
}

// openExisting is [Main.open] for commands that only read: it returns nil
// and no error when the database is a SQLite file that does not exist, so
// that reading never creates one.
func (m *Main) openExisting(ctx context.Context) (*sqldb.DB, error) {
	if !sqldb.IsPostgres(m.DBPath) {
		if _, err := os.Stat(m.DBPath); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	return m.open(ctx)
}

func (m *Main) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// checkFormat is the usage error for a --format that is none of those the
// command writes.
func checkFormat(format string, allowed ...string) error {
	if slices.Contains(allowed, format) {
		return nil
	}
	want := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	return &exitStatus{exitUsage, fmt.Errorf("--format %q: want %s", format, want)}
}
