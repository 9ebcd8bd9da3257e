package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sqldb"
)

// demoAdmin marks a database that already holds the demo company.
const demoAdmin = "admin@demo.example"

func (m *Main) demoCommand() *cobra.Command {
	var size int
	var seed uint64
	var buildOnly bool
	addr := m.Getenv("TANDEM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Build a demo company (once) from a seeded simulation, then serve it",
		Long: `Build a demo company in the database from Tandem's seeded simulator: users in
every role, the default agreement signed by both heads, and --size leads from
the past year, run through the agreement's stage rules. The same seed gives
the same company. A database that already holds the demo is served as is.
Then serve it, as 'tandem serve' does, unless --build-only.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			db, err := m.open(ctx)
			if err != nil {
				return err
			}
			if _, err := db.UserByEmail(ctx, demoAdmin); tandem.ErrorCode(err) == tandem.ENOTFOUND {
				if err := m.buildDemo(ctx, db, size, seed); err != nil {
					return err
				}
			} else if err != nil {
				return err
			} else {
				fmt.Fprintf(m.Stdout, "%s already holds the demo company\n", m.DBPath)
			}
			_, secret, err := db.CreateToken(ctx, fmt.Sprintf("demo-%d", m.Clock.Now().UnixNano()), tandem.RoleAdmin)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "\nAn admin API token for the demo (shown once):\n  %s\nTry:\n  curl -H 'Authorization: Bearer %s' 'http://%s/api/v1/leads?stage=mql&limit=5'\n\n", secret, secret, addr)
			if buildOnly {
				return nil
			}
			return m.serve(ctx, m.serveEnv(addr))
		},
	}
	c.Flags().IntVar(&size, "size", 5000, "how many leads to simulate")
	c.Flags().Uint64Var(&seed, "seed", 1, "the simulation's seed: the same seed gives the same company")
	c.Flags().BoolVar(&buildOnly, "build-only", false, "build the demo and exit without serving")
	c.Flags().StringVar(&addr, "addr", addr, "address to serve on (env TANDEM_ADDR)")
	return c
}

// demoHandoffs is how many leads the demo hands to sales today.
const demoHandoffs = 24

// buildDemo fills the database with the demo company.
func (m *Main) buildDemo(ctx context.Context, db *sqldb.DB, size int, seed uint64) error {
	if size < 0 || size > 10_000_000 {
		return &exitStatus{exitUsage, fmt.Errorf("--size must be between 0 and 10,000,000")}
	}
	users := []tandem.User{
		{Email: demoAdmin, Name: "Ada Admin", Role: tandem.RoleAdmin},
		{Email: "mia@demo.example", Name: "Mia Marketing-Head", Role: tandem.RoleMarketingHead},
		{Email: "mark@demo.example", Name: "Mark Marketer", Role: tandem.RoleMarketing},
		{Email: "sam@demo.example", Name: "Sam Sales-Head", Role: tandem.RoleSalesHead},
		{Email: "manu@demo.example", Name: "Manu Manager", Role: tandem.RoleSalesManager},
		{Email: "rita@demo.example", Name: "Rita Rep", Role: tandem.RoleSalesRep},
		{Email: "raj@demo.example", Name: "Raj Rep", Role: tandem.RoleSalesRep},
		{Email: "rosa@demo.example", Name: "Rosa Rep", Role: tandem.RoleSalesRep},
		{Email: "eve@demo.example", Name: "Eve Executive", Role: tandem.RoleExecutive},
	}
	// Who reports to whom, and the sales team, so routing and escalation
	// have a hierarchy to work with.
	managers := map[string]string{
		"mark@demo.example": "mia@demo.example",
		"manu@demo.example": "sam@demo.example",
		"rita@demo.example": "manu@demo.example",
		"raj@demo.example":  "manu@demo.example",
		"rosa@demo.example": "manu@demo.example",
	}
	ids := map[string]int64{}
	for i := range users {
		u := &users[i]
		u.ManagerID = ids[managers[u.Email]]
		if u.Role == tandem.RoleSalesManager || u.Role == tandem.RoleSalesRep {
			u.Team = "Inbound"
		}
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		ids[u.Email] = u.ID
	}
	v, _, err := db.ProposeAgreement(ctx, "default agreement", string(agreement.Default()), "user:"+demoAdmin)
	if err != nil {
		return err
	}
	for _, head := range []string{"mia@demo.example", "sam@demo.example"} {
		if _, err := db.SignAgreement(ctx, v.Version, head); err != nil {
			return err
		}
	}
	leads := sim.Leads(seed, size, m.Clock.Now())
	var created int
	for i := 0; i < len(leads); i += 1000 {
		rs, err := db.IntakeLeads(ctx, leads[i:min(i+1000, len(leads))], sqldb.IntakeOptions{DefaultSource: "web", Actor: "demo"})
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Status == tandem.StatusCreated {
				created++
			}
		}
	}
	// History qualified before the agreement was signed, so it starts no
	// clocks; today's hand-offs fill the reps' queues.
	fresh := sim.Leads(seed+1_000_000, demoHandoffs, m.Clock.Now())
	for i := range fresh {
		f := fresh[i].Fields
		delete(f, "created_at")
		f["score"] = "80"
		if f["email"] == "" {
			f["email"] = fmt.Sprintf("today-%d@demo.example", i+1)
		}
	}
	if _, err := db.IntakeLeads(ctx, fresh, sqldb.IntakeOptions{DefaultSource: "web", Actor: "demo"}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "built the demo company in %s: %d users, agreement version %d signed by both heads, %d leads of history, %d hand-offs today\n",
		m.DBPath, len(users), v.Version, created, len(fresh))
	return nil
}
