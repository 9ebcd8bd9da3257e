package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/password"
)

// demoNow is the fixed "now" the demo tests build at: a Tuesday afternoon,
// so today's hand-offs are in the reps' queues.
var demoNow = time.Date(2026, 11, 3, 19, 0, 0, 0, time.UTC)

// skipDemoIfShort skips a test that simulates a demo company in -short
// mode (go test -short runs the fast loop; CI runs them all).
func skipDemoIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("simulates a demo company; skipped in -short mode")
	}
}

// buildDemoDB builds the demo at size and seed into a new SQLite file and
// returns its path.
func buildDemoDB(t *testing.T, size, seed string) string {
	t.Helper()
	skipDemoIfShort(t)
	dsn := filepath.Join(t.TempDir(), "demo.db")
	r := tandemCmd(t, clock.NewFake(demoNow), dsn, "demo", "--build-only", "--size", size, "--seed", seed)
	if r.code != 0 || !strings.Contains(r.stdout, "built the demo company") {
		t.Fatalf("tandem demo --build-only --size %s --seed %s: exit %d, stdout %q, stderr %q", size, seed, r.code, r.stdout, r.stderr)
	}
	return dsn
}

// demoCounts reads what the demo built, straight from the tables.
func demoCounts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer db.Close()
	counts := map[string]int{}
	for _, q := range []string{
		`SELECT 'stage ' || stage, count(*) FROM leads GROUP BY stage`,
		`SELECT 'event ' || type, count(*) FROM events GROUP BY type`,
		`SELECT 'deal ' || stage, count(*) FROM deals GROUP BY stage`,
		`SELECT 'task ' || state, count(*) FROM tasks GROUP BY state`,
		`SELECT 'handoffs', count(*) FROM handoffs`,
		`SELECT 'handoffs decided ' || decision, count(*) FROM handoffs WHERE decision <> '' GROUP BY decision`,
		`SELECT 'rejected with a reason', count(*) FROM handoffs WHERE reject_reason <> ''`,
		`SELECT 'reviews', count(*) FROM reviews`,
		`SELECT 'reviews low', count(*) FROM reviews WHERE rating <= 2`,
		`SELECT 'notifications', count(*) FROM notifications`,
		`SELECT 'escalations to managers', count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.role = 'sales_manager'`,
		`SELECT 'won cents', coalesce(sum(amount_cents), 0) FROM deals WHERE stage = 'won'`,
		`SELECT 'open tasks started', count(*) FROM tasks WHERE state = 'open' AND starts_at >= '2026-11-03'`,
		`SELECT 'campaigns', count(*) FROM campaigns`,
		`SELECT 'campaign months', count(*) FROM campaign_spend`,
		`SELECT 'touches ' || kind, count(*) FROM marketing_touches GROUP BY kind`,
		`SELECT 'sales-sourced leads', count(*) FROM leads WHERE origin = 'prospecting'`,
		`SELECT 'hot hand-offs', count(*) FROM handoffs WHERE hot`,
		`SELECT 'action items ' || state, count(*) FROM action_items GROUP BY state`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatalf("Scan: %v", err)
			}
			counts[k] = n
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	return counts
}

func TestDemoSameSeedSameCompany(t *testing.T) {
	a := demoCounts(t, buildDemoDB(t, "200", "7"))
	b := demoCounts(t, buildDemoDB(t, "200", "7"))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two demos with seed 7 differ (-first +second):\n%s", diff)
	}
	c := demoCounts(t, buildDemoDB(t, "200", "8"))
	if cmp.Equal(a, c) {
		t.Errorf("demos with seeds 7 and 8 are the same: %v", a)
	}
}

func TestDemoHasEveryKindOfRecord(t *testing.T) {
	got := demoCounts(t, buildDemoDB(t, "600", "1"))
	for _, k := range []string{
		"stage lead", "stage customer", "stage recycled", "stage disqualified",
		"handoffs", "event breached", "event touched", "event assigned", "event reviewed",
		"handoffs decided accepted", "handoffs decided rejected", "handoffs decided disqualified", "rejected with a reason",
		"reviews", "reviews low", "notifications", "escalations to managers",
		"deal won", "deal lost", "deal open", "won cents",
		"task done", "task missed", "task open", "open tasks started",
		"campaigns", "campaign months", "touches intake", "touches webinar", "event marketing_touched",
		"sales-sourced leads", "hot hand-offs", "action items done", "action items open",
	} {
		if got[k] == 0 {
			t.Errorf("the demo has no %s; counts %v", k, got)
		}
	}
	if got["stage lead"] < got["handoffs"] {
		t.Errorf("the demo has %d leads left in stage lead and %d hand-offs: most leads should not qualify", got["stage lead"], got["handoffs"])
	}
}

func TestDemoBadSize(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "demo.db")
	r := tandemCmd(t, clock.NewFake(demoNow), dsn, "demo", "--build-only", "--size", "-1")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--size") {
		t.Errorf("tandem demo --size -1: exit %d, stderr %q; want %d naming --size", r.code, r.stderr, exitUsage)
	}
}

// TestDemoSignsYouIn builds a small demo and signs in as each role it
// prints, with the password it prints once.
func TestDemoSignsYouIn(t *testing.T) {
	skipDemoIfShort(t)
	dsn := filepath.Join(t.TempDir(), "demo.db")
	r := tandemCmd(t, clock.NewFake(demoNow), dsn, "demo", "--build-only", "--size", "100")
	m := regexp.MustCompile(`with the password (\S+) `).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("tandem demo: exit %d, no password in %q (%s)", r.code, r.stdout, r.stderr)
	}
	db := openDB(t, dsn)
	// The printed password passes the rules for a new password, for each
	// of the demo's people.
	users, err := db.Users(context.Background())
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	for _, u := range users {
		if err := password.Check(m[1], u.Email); err != nil {
			t.Errorf("password.Check(%q, %q) = %v; want nil", m[1], u.Email, err)
		}
	}
	for _, role := range tandem.Roles {
		line := regexp.MustCompile(`(?m)^  ` + string(role) + ` +(\S+)$`).FindStringSubmatch(r.stdout)
		if line == nil {
			t.Errorf("the demo prints no one to sign in as %s:\n%s", role, r.stdout)
			continue
		}
		u, hash, err := db.UserPassword(context.Background(), line[1])
		if err != nil || u.Role != role {
			t.Fatalf("%s: %v, %s", line[1], err, u.Role)
		}
		if ok, err := password.Verify(hash, m[1]); !ok || err != nil {
			t.Errorf("%s does not sign in with the printed password: %v", line[1], err)
		}
	}
	again := tandemCmd(t, clock.NewFake(demoNow), dsn, "demo", "--build-only")
	if strings.Contains(again.stdout, m[1]) || !strings.Contains(again.stdout, "already holds the demo") {
		t.Errorf("a second run shows the password again or builds again:\n%s", again.stdout)
	}
}
