package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
)

func (m *Main) agreementCommand() *cobra.Command {
	c := &cobra.Command{Use: "agreement", Short: "Write, check, compare, store and sign the agreement"}

	var force bool
	initCmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write the commented default agreement to FILE (agreement.yaml; - for standard output)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			file := "agreement.yaml"
			if len(args) == 1 {
				file = args[0]
			}
			if file == "-" {
				_, err := m.Stdout.Write(agreement.Default())
				return err
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			if !force {
				flags |= os.O_EXCL
			}
			f, err := os.OpenFile(file, flags, 0o644)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; pass --force to overwrite it", file)
			} else if err != nil {
				return err
			}
			if _, err := f.Write(agreement.Default()); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "wrote %s: edit it, check it with `tandem agreement check %s`, then store it with `tandem agreement propose %s`\n", file, file, file)
			return nil
		},
	}
	initCmd.Flags().BoolVar(&force, "force", false, "overwrite FILE if it exists")

	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Check an agreement file; print every problem as FILE:LINE:COL: message",
		Long: `Check an agreement file; print every problem as FILE:LINE:COL: message.

Each rule (the stages' entry rules and marketing.sales_sourced) is run on
sample leads, and must stay within a tenth of its budget (docs/agreement.md,
Rule budgets); a rule too slow or too big is a problem at its line.

When the database (--db) exists, also check the file against its users:
every role an escalation step notifies must be held by a user, and the
cadence needs a sales_rep; and against its content library: every cadence
step's template must be live content (docs/content.md). A database whose
library is still empty has its templates left unchecked, with a note.
Without a database only the file is checked, and none is created.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := m.readAgreement(args[0])
			if err != nil {
				return err
			}
			if err := m.problems(args[0], a.CheckRules(args[0])); err != nil {
				return err
			}
			staffed, err := m.checkStaff(c.Context(), args[0], a)
			if err != nil {
				return err
			}
			contentNote, err := m.checkContent(c.Context(), args[0], a)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s: ok: %s\n", args[0], summary(a))
			if staffed {
				fmt.Fprintf(m.Stdout, "%s: ok: the database has a user for every role the agreement needs\n", args[0])
			}
			if contentNote != "" {
				fmt.Fprintf(m.Stdout, "%s: %s\n", args[0], contentNote)
			}
			return nil
		},
	}

	diff := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "List the changes from one agreement file to another, in words",
		Args:  cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			old, err := m.readAgreement(args[0])
			if err != nil {
				return err
			}
			new, err := m.readAgreement(args[1])
			if err != nil {
				return err
			}
			changes := agreement.Diff(old, new)
			if len(changes) == 0 {
				fmt.Fprintln(m.Stdout, "no changes")
			}
			for _, ch := range changes {
				fmt.Fprintln(m.Stdout, "- "+ch)
			}
			return nil
		},
	}

	var by string
	propose := &cobra.Command{
		Use:   "propose FILE",
		Short: "Store FILE as a new agreement version, to be signed by both heads",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			body, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			v, created, err := db.ProposeAgreement(c.Context(), args[0], string(body), by)
			if err != nil {
				return err
			}
			if !created {
				fmt.Fprintf(m.Stdout, "%s is the same as agreement version %d; nothing stored\n", args[0], v.Version)
				return nil
			}
			fmt.Fprintf(m.Stdout, "stored as agreement version %d; it comes into force when a marketing head and a sales head sign it:\n  tandem agreement sign %d --as EMAIL\n", v.Version, v.Version)
			return nil
		},
	}
	propose.Flags().StringVar(&by, "as", "cli", "who proposes the version")

	var signer string
	sign := &cobra.Command{
		Use:   "sign VERSION --as EMAIL",
		Short: "Sign an agreement version as a marketing head or a sales head",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := parseVersion(args[0])
			if err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			v, err := db.SignAgreement(c.Context(), n, signer)
			if err != nil {
				return err
			}
			if !v.InForceFrom.IsZero() {
				fmt.Fprintf(m.Stdout, "agreement version %d is signed by both heads and in force from %s\n", v.Version, v.InForceFrom.Format("2006-01-02 15:04:05 MST"))
			} else {
				fmt.Fprintf(m.Stdout, "signed agreement version %d as %s; it awaits the other head's signature\n", v.Version, signer)
			}
			return nil
		},
	}
	sign.Flags().StringVar(&signer, "as", "", "the email of the signing head")
	sign.MarkFlagRequired("as")

	list := &cobra.Command{
		Use:   "list",
		Short: "List stored agreement versions and their signatures",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			vs, err := db.AgreementVersions(c.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tCREATED\tBY\tSIGNED BY\tIN FORCE FROM")
			for _, v := range vs {
				signed := ""
				for i, s := range v.Signatures {
					if i > 0 {
						signed += ", "
					}
					signed += s.Email + " (" + string(s.Role)
					if s.BacktestPeriod != "" {
						signed += ", saw the " + s.BacktestPeriod + " backtest"
					}
					signed += ")"
				}
				inForce := "awaiting signatures"
				if !v.InForceFrom.IsZero() {
					inForce = v.InForceFrom.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Version, v.CreatedAt.Format("2006-01-02 15:04"), v.CreatedBy, signed, inForce)
			}
			return tw.Flush()
		},
	}

	show := &cobra.Command{
		Use:   "show VERSION",
		Short: "Print a stored agreement version's file",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := parseVersion(args[0])
			if err != nil {
				return err
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			v, err := db.AgreementVersion(c.Context(), n)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(m.Stdout, v.Body)
			return err
		},
	}
	c.AddCommand(initCmd, check, diff, propose, sign, list, show, m.backtestCommand())
	return c
}

// readAgreement reads and checks an agreement file. Problems are printed
// one per line and end the command with exit status 1.
func (m *Main) readAgreement(file string) (*agreement.Agreement, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	a, err := agreement.Parse(file, data)
	if err := m.problems(file, err); err != nil {
		return nil, err
	}
	return a, err
}

// problems prints the problems of a file one per line, and ends the command
// with exit status 1; other errors pass through.
func (m *Main) problems(file string, err error) error {
	var problems *agreement.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(m.Stdout, problems.Error())
		return &exitStatus{exitError, fmt.Errorf("%s: %d problem(s)", file, len(problems.List))}
	}
	return err
}

// checkStaff checks a valid agreement against the users of the database,
// when there is one, and reports whether it did. A SQLite file that does
// not exist is no database: checking a file must not create one. Problems
// are printed one per line and end the command with exit status 1, as
// [Main.readAgreement] does.
func (m *Main) checkStaff(ctx context.Context, file string, a *agreement.Agreement) (bool, error) {
	db, err := m.openExisting(ctx)
	if err != nil {
		return false, err
	}
	if db == nil {
		return false, nil
	}
	users, err := db.Users(ctx)
	if err != nil {
		return false, err
	}
	held := map[tandem.Role]int{}
	for _, u := range users {
		held[u.Role]++
	}
	err = a.CheckStaff(file, held)
	var problems *agreement.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(m.Stdout, problems.Error())
		return false, &exitStatus{exitError, fmt.Errorf("%s: %d problem(s)", file, len(problems.List))}
	}
	return err == nil, err
}

// checkContent checks the cadence's templates against the content library
// of the database, when it exists and its library holds any item: each
// must be live content. It returns what to say of the check ("" without a
// database).
func (m *Main) checkContent(ctx context.Context, file string, a *agreement.Agreement) (string, error) {
	db, err := m.openExisting(ctx)
	if err != nil || db == nil {
		return "", err
	}
	items, err := db.ContentItems(ctx)
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "note: the content library is empty, so the cadence's templates are not checked against it (docs/content.md)", nil
	}
	live, err := db.LiveContent(ctx)
	if err != nil {
		return "", err
	}
	err = a.CheckContent(file, live)
	var problems *agreement.Problems
	if errors.As(err, &problems) {
		fmt.Fprintln(m.Stdout, problems.Error())
		return "", &exitStatus{exitError, fmt.Errorf("%s: %d problem(s)", file, len(problems.List))}
	}
	if err != nil {
		return "", err
	}
	return "ok: every template the cadence names is live content", nil
}

// summary is the one line `agreement check` prints for a valid file.
func summary(a *agreement.Agreement) string {
	return fmt.Sprintf("%q: %d stages; %d-step cadence, first touch within %s; %d qualified leads a month; revenue goal %s a %s, %.0f%% from marketing; unified KPI %s",
		a.Name, len(a.Stages), len(a.Sales.Cadence), a.Sales.FirstTouchWithin, a.Marketing.QualifiedLeadsPerMonth,
		strconv.FormatFloat(a.Goal.Revenue, 'f', -1, 64), a.Goal.Period, a.Goal.MarketingShare*100, a.Goal.UnifiedKPI)
}

func parseVersion(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, &exitStatus{exitUsage, fmt.Errorf("%q is not an agreement version number", s)}
	}
	return n, nil
}
