package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sim/company"
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
		Long: `Build a demo company in the database from Tandem's seeded simulator: two
sales teams, marketing, an executive and an admin; the default agreement
signed by both heads a year ago; and a year of work simulated on the real
engine through a fake clock: --size leads arriving, hand-offs routed, reps
touching leads along the cadence with imperfect compliance (so clocks breach
and escalate), accepting, rejecting with reasons, reviewing, qualifying, and
winning or losing deals. Today's work is left open in the reps' queues. The
same seed gives the same company. A database that already holds the demo is
served as is.
Then serve it, as 'tandem serve' does, unless --build-only.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			db, err := m.open(ctx)
			if err != nil {
				return err
			}
			if _, err := db.UserByEmail(ctx, demoAdmin); tandem.ErrorCode(err) == tandem.ENOTFOUND {
				if err := m.buildDemo(ctx, size, seed); err != nil {
					return err
				}
			} else if err != nil {
				return err
			} else {
				fmt.Fprintf(m.Stdout, "%s already holds the demo company: sign in with the password printed when it was built (tandem user set EMAIL --reset makes a new one)\n", m.DBPath)
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

// buildDemo fills the database with the demo company: the simulator runs a
// year of it on the real store through a fake clock that stops at now,
// truncated to the hour, and is then put away: the demo is served on the
// program's own clock.
func (m *Main) buildDemo(ctx context.Context, size int, seed uint64) error {
	if size < 0 || size > 10_000_000 {
		return &exitStatus{exitUsage, fmt.Errorf("--size must be between 0 and 10,000,000")}
	}
	now := m.Clock.Now().UTC().Truncate(time.Hour)
	clk := clock.NewFake(now)
	db, err := sqldb.Open(ctx, m.DBPath, sqldb.Options{Clock: clk})
	if err != nil {
		return err
	}
	defer db.Close()
	c := company.Sim{Seed: seed, Leads: size, Now: now, Agreement: demoAgreement(size), AdminEmail: demoAdmin}
	began := time.Now()
	sum, err := c.Run(ctx, db, clk)
	if err != nil {
		return fmt.Errorf("simulate the demo company: %w", err)
	}
	if err := demoMeetings(ctx, db, clk, now); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "built the demo company in %s in %s: %s\n", m.DBPath, time.Since(began).Round(100*time.Millisecond), sum)
	return m.demoSignIn(ctx, db)
}

// demoSignIn gives every person of the demo company one generated password
// and prints, once, how to sign in as each role: the first person of each
// role in the order of tandem.Roles.
func (m *Main) demoSignIn(ctx context.Context, db *sqldb.DB) error {
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	emails := make([]string, len(users))
	for i, u := range users {
		emails[i] = u.Email
	}
	secret := password.Generate(emails...)
	hash := password.Hash(secret) // one hash for all: a demo, not a company
	first := map[tandem.Role]string{}
	for _, u := range users {
		if _, err := db.SetPassword(ctx, u.Email, hash); err != nil {
			return err
		}
		if _, ok := first[u.Role]; !ok {
			first[u.Role] = u.Email
		}
	}
	fmt.Fprintf(m.Stdout, "\nSign in to the web app with the password %s (shown once; tandem user set EMAIL --reset makes a new one) as any of the demo's people, for instance:\n", secret)
	for _, r := range tandem.Roles {
		if email, ok := first[r]; ok {
			fmt.Fprintf(m.Stdout, "  %-15s %s\n", r, email)
		}
	}
	return nil
}

// demoAgreement is the default agreement with a routing capacity that fits
// the simulated volume: a rep's accepted leads stay open hand-offs until
// their deal closes, weeks later.
func demoAgreement(size int) []byte {
	// The default agreement's goal and commitments fit a company ten times
	// the default demo's: scale them to the simulated volume, a little
	// above what it reaches, so that the scorecard and the jeopardy check
	// show a stretch rather than a rout. A year of 5,000 leads hands sales
	// about 130 qualified leads and wins about 100,000 a month.
	mqls := max(10, size*3/100) // a month, split 20/30/50 by segment
	ent, mid := mqls/5, mqls*3/10
	body := string(agreement.Default())
	for _, r := range [][2]string{
		{"capacity: 40", fmt.Sprintf("capacity: %d", max(40, size/50))},
		{"qualified_leads_per_month: 400", fmt.Sprintf("qualified_leads_per_month: %d", mqls)},
		{"enterprise: 80", fmt.Sprintf("enterprise: %d", ent)},
		{"mid_market: 120", fmt.Sprintf("mid_market: %d", mid)},
		{"smb: 200", fmt.Sprintf("smb: %d", mqls-ent-mid)},
		{"revenue: 1200000", fmt.Sprintf("revenue: %d", max(30000, size*66))},
	} {
		body = strings.Replace(body, r[0], r[1], 1)
	}
	return []byte(body)
}
