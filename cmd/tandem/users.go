package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
)

func (m *Main) userCommand() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage users, their teams and managers"}
	c.AddCommand(m.userAddCommand(), m.userSetCommand(), m.userListCommand())
	return c
}

func (m *Main) userAddCommand() *cobra.Command {
	var role, name, team, manager, pw string
	c := &cobra.Command{
		Use:   "add EMAIL --role ROLE [--name N] [--team T] [--manager EMAIL] [--password P]",
		Short: "Add a user (roles: admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)",
		Long: `Add a user. A sales_rep reports to a sales_manager or a sales_head, a
sales_manager to a sales_head, marketing to a marketing_head; other roles
have no manager.

The user signs in to the web app with their email and a password: give
it with --password, or let Tandem make a strong one, printed this once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			generated := !c.Flags().Changed("password")
			if generated {
				pw = password.Generate(args[0])
			} else if err := password.Check(pw, args[0]); err != nil {
				return tandem.Invalid(tandem.FieldError{Field: "password", Message: err.Error()})
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			u := tandem.User{Email: args[0], Name: name, Role: tandem.Role(role), Team: team}
			var boss tandem.User
			if manager != "" {
				if boss, err = db.UserByEmail(c.Context(), manager); tandem.ErrorCode(err) == tandem.ENOTFOUND {
					return tandem.Errorf(tandem.ENOTFOUND, "manager: no user with email %s", manager)
				} else if err != nil {
					return err
				}
				u.ManagerID = boss.ID
			}
			if err := db.CreateUser(c.Context(), &u); err != nil {
				return err
			}
			if _, err := db.SetPassword(c.Context(), u.Email, password.Hash(pw)); err != nil {
				return err
			}
			details := []string{string(u.Role)}
			if u.Team != "" {
				details = append(details, "team "+u.Team)
			}
			if u.ManagerID != 0 {
				details = append(details, "reports to "+boss.Email)
			}
			fmt.Fprintf(m.Stdout, "added user %d: %s (%s)\n", u.ID, u.Email, strings.Join(details, ", "))
			if generated {
				fmt.Fprintf(m.Stdout, "password: %s\n", pw)
				fmt.Fprintf(m.Stderr, "the password is shown only this once; %s can change it after signing in\n", u.Email)
			}
			return nil
		},
	}
	c.Flags().StringVar(&pw, "password", "", "the user's password (at least 12 characters, not a common one, not the email); without it one is made and printed")
	c.Flags().StringVar(&role, "role", "", "the user's role")
	c.Flags().StringVar(&name, "name", "", "the user's full name")
	c.Flags().StringVar(&team, "team", "", "the user's team")
	c.Flags().StringVar(&manager, "manager", "", "the email of the user's manager")
	c.MarkFlagRequired("role")
	return c
}

func (m *Main) userSetCommand() *cobra.Command {
	var team, manager, role, pw string
	var absent, present, reset, signOut bool
	var weight int
	c := &cobra.Command{
		Use:   "set EMAIL [--team T] [--manager EMAIL] [--role R] [--weight N] [--absent | --present] [--password P | --reset] [--sign-out]",
		Short: "Change a user's team, manager, role, presence or password; only the flags given change",
		Long: `Change a user. Only the flags given change: --team "" takes the user out of
their team, --manager "" leaves them without a manager. Absent users keep
their leads; routing skips them until they are marked present again.
--weight sets a rep's share of hand-offs under weighted routing (default 1).
--password sets the user's password; --reset makes a new one and prints it
this once. Either signs the user out of every browser, as --sign-out alone
does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var up tandem.UserUpdate
			flags := c.Flags()
			if flags.Changed("password") && reset {
				return &exitStatus{exitUsage, fmt.Errorf("--password and --reset cannot be given together")}
			}
			newPassword := flags.Changed("password") || reset
			if reset {
				pw = password.Generate(args[0])
			} else if newPassword {
				if err := password.Check(pw, args[0]); err != nil {
					return tandem.Invalid(tandem.FieldError{Field: "password", Message: err.Error()})
				}
			}
			if flags.Changed("team") {
				up.Team = &team
			}
			if flags.Changed("manager") {
				up.Manager = &manager
			}
			if flags.Changed("role") {
				r := tandem.Role(role)
				up.Role = &r
			}
			if flags.Changed("weight") {
				up.Weight = &weight
			}
			switch {
			case flags.Changed("absent") && flags.Changed("present"):
				return &exitStatus{exitUsage, fmt.Errorf("--absent and --present cannot be given together")}
			case flags.Changed("absent"):
				up.Absent = &absent
			case flags.Changed("present"):
				away := !present
				up.Absent = &away
			}
			if up.IsZero() && !newPassword && !signOut {
				return &exitStatus{exitUsage, fmt.Errorf("nothing to change: give --team, --manager, --role, --weight, --absent, --present, --password, --reset or --sign-out")}
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			before, err := db.UserByEmail(c.Context(), args[0])
			if err != nil {
				return err
			}
			after := before
			if !up.IsZero() {
				if after, err = db.UpdateUser(c.Context(), args[0], up); err != nil {
					return err
				}
			}
			var changes, signedOut []string
			if newPassword {
				// Setting the password ends the user's sessions too.
				if _, err := db.SetPassword(c.Context(), before.Email, password.Hash(pw)); err != nil {
					return err
				}
				signedOut = append(signedOut, "new password (signed out everywhere)")
			} else if signOut {
				n, err := db.RevokeSessions(c.Context(), before.Email)
				if err != nil {
					return err
				}
				what := "sessions"
				if n == 1 {
					what = "session"
				}
				signedOut = append(signedOut, fmt.Sprintf("signed out everywhere (%d %s ended)", n, what))
			}
			if after.Team != before.Team {
				changes = append(changes, fmt.Sprintf("team %s (was %s)", orNone(after.Team), orNone(before.Team)))
			}
			if after.ManagerID != before.ManagerID {
				was, err := m.email(c.Context(), before.ManagerID)
				if err != nil {
					return err
				}
				now, err := m.email(c.Context(), after.ManagerID)
				if err != nil {
					return err
				}
				changes = append(changes, fmt.Sprintf("manager %s (was %s)", orNone(now), orNone(was)))
			}
			if after.Role != before.Role {
				changes = append(changes, fmt.Sprintf("role %s (was %s)", after.Role, before.Role))
			}
			if after.Absent != before.Absent {
				changes = append(changes, fmt.Sprintf("%s (was %s)", status(after), status(before)))
			}
			changes = append(changes, signedOut...)
			if len(changes) == 0 {
				fmt.Fprintf(m.Stdout, "%s: nothing changed\n", after.Email)
				return nil
			}
			fmt.Fprintf(m.Stdout, "updated %s: %s\n", after.Email, strings.Join(changes, ", "))
			if reset {
				fmt.Fprintf(m.Stdout, "password: %s\n", pw)
				fmt.Fprintf(m.Stderr, "the password is shown only this once; %s can change it after signing in\n", after.Email)
			}
			return nil
		},
	}
	c.Flags().StringVar(&pw, "password", "", "a new password for the user (at least 12 characters, not a common one, not the email)")
	c.Flags().BoolVar(&reset, "reset", false, "make a new password for the user and print it")
	c.Flags().BoolVar(&signOut, "sign-out", false, "end every session of the user")
	c.Flags().StringVar(&team, "team", "", `the user's team ("" for none)`)
	c.Flags().StringVar(&manager, "manager", "", `the email of the user's manager ("" for none)`)
	c.Flags().StringVar(&role, "role", "", "the user's role")
	c.Flags().IntVar(&weight, "weight", 1, "the rep's share of hand-offs under weighted routing (1 to 100)")
	c.Flags().BoolVar(&absent, "absent", false, "mark the user absent: routing skips them")
	c.Flags().BoolVar(&present, "present", false, "mark the user present again")
	return c
}

func (m *Main) userListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			us, err := db.Users(c.Context())
			if err != nil {
				return err
			}
			emails := make(map[int64]string, len(us))
			for _, u := range us {
				emails[u.ID] = u.Email
			}
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tTEAM\tMANAGER\tSTATUS")
			for _, u := range us {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Team, emails[u.ManagerID], status(u))
			}
			return tw.Flush()
		},
	}
}

// email returns the email of the user with the id, or "" for id 0.
func (m *Main) email(ctx context.Context, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	u, err := m.db.UserByID(ctx, id)
	return u.Email, err
}

func status(u tandem.User) string {
	if u.Absent {
		return "absent"
	}
	return "active"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (m *Main) tokenCommand() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var name, role, user, expires string
	var scopes []string
	create := &cobra.Command{
		Use:   "create --name NAME (--role ROLE | --user EMAIL) [--scope SCOPE...] [--expires DATE]",
		Short: "Create an API token and print it (only its hash is stored)",
		Long: `Create an API token and print it once; only its hash is stored. A token
for an integration acts with --role; a token for a person acts as --user:
with that user's role, whatever it is when the token is used, and every
change it makes is recorded as the user's.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (role == "") == (user == "") {
				return &exitStatus{exitUsage, fmt.Errorf("give --role ROLE for an integration's token or --user EMAIL for a person's, not both")}
			}
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			spec := sqldb.TokenSpec{Name: name, Role: tandem.Role(role), Email: user}
			if spec.Scopes, err = access.ParseScopes(strings.Join(scopes, " ")); err != nil {
				return &exitStatus{exitUsage, err}
			}
			if spec.ExpiresAt, err = access.ParseTokenExpiry(expires); err != nil {
				return &exitStatus{exitUsage, err}
			}
			tok, secret, err := db.CreateScopedToken(c.Context(), spec)
			if err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, secret)
			who := string(tok.Role)
			if tok.UserEmail != "" {
				who = "acting as " + tok.UserEmail + ", " + who
			}
			if len(tok.Scopes) > 0 {
				who += "; scopes " + strings.Join(tok.Scopes, ", ")
			}
			if !tok.ExpiresAt.IsZero() {
				who += "; stops working " + tok.ExpiresAt.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(m.Stderr, "token %q (%s) created; it is shown only this once. Use it as: Authorization: Bearer TOKEN\n", name, who)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name for the token, such as the integration that uses it")
	create.Flags().StringVar(&role, "role", "", "the role an integration's token acts with")
	create.Flags().StringVar(&user, "user", "", "the email of the person the token acts for")
	create.Flags().StringSliceVar(&scopes, "scope", nil, "a scope the token is limited to (repeat, or separate with commas): "+
		"leads:read, leads:write, work:write, deals:write, reports:read, hooks:manage, admin; none: every scope its role allows")
	create.Flags().StringVar(&expires, "expires", "", "the date the token stops working, at the start of the day, UTC (2027-01-31); none: never")
	create.MarkFlagRequired("name")
	c.AddCommand(create)
	return c
}
