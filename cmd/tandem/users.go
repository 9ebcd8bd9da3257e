package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
)

func (m *Main) userCommand() *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage users"}
	var role, name string
	add := &cobra.Command{
		Use:   "add EMAIL --role ROLE",
		Short: "Add a user (roles: admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			u := tandem.User{Email: args[0], Name: name, Role: tandem.Role(role)}
			if err := db.CreateUser(c.Context(), &u); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "added user %d: %s (%s)\n", u.ID, u.Email, u.Role)
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "", "the user's role")
	add.Flags().StringVar(&name, "name", "", "the user's full name")
	add.MarkFlagRequired("role")
	list := &cobra.Command{
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
			tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE")
			for _, u := range us {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role)
			}
			return tw.Flush()
		},
	}
	c.AddCommand(add, list)
	return c
}

func (m *Main) tokenCommand() *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "Manage API tokens"}
	var name, role string
	create := &cobra.Command{
		Use:   "create --name NAME --role ROLE",
		Short: "Create an API token and print it (only its hash is stored)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			db, err := m.open(c.Context())
			if err != nil {
				return err
			}
			_, secret, err := db.CreateToken(c.Context(), name, tandem.Role(role))
			if err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, secret)
			fmt.Fprintf(m.Stderr, "token %q (%s) created; it is shown only this once. Use it as: Authorization: Bearer TOKEN\n", name, role)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name for the token, such as the integration that uses it")
	create.Flags().StringVar(&role, "role", "", "the role the token acts with")
	create.MarkFlagRequired("name")
	create.MarkFlagRequired("role")
	c.AddCommand(create)
	return c
}
