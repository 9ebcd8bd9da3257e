package http

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
)

// TestPageTimes is the load command of the management pages: over a
// database built by `tandem demo --size N --build-only --db FILE` (or a
// postgres:// URL), it signs in as a user of each role the pages take and
// asks for each page, reporting the server-side time at p50 and p95 (the
// time to the last byte on a local connection, which is the server's:
// rendering, not the browser). It runs only when TANDEM_LOAD_DB names the
// database:
//
//	TANDEM_LOAD_DB=/tmp/demo.db go test ./http -run TestPageTimes -v [-count 1]
//
// TANDEM_LOAD_N sets the requests per page (default 20). The database's
// passwords are not touched except that of the users it signs in as, which
// are given a test password.
func TestPageTimes(t *testing.T) {
	dsn := os.Getenv("TANDEM_LOAD_DB")
	if dsn == "" {
		t.Skip("set TANDEM_LOAD_DB to a demo database to measure the pages")
	}
	n := 20
	if v := os.Getenv("TANDEM_LOAD_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byRole := map[tandem.Role]tandem.User{}
	for _, u := range users {
		if _, ok := byRole[u.Role]; !ok {
			byRole[u.Role] = u
		}
	}
	s := startServer(t, db, nil)
	month := db.Now().Format("2006-01")
	last := db.Now().AddDate(0, -1, 0).Format("2006-01")
	pages := []struct {
		path string
		role tandem.Role
	}{
		{"/sla", tandem.RoleSalesHead},
		{"/sla", tandem.RoleSalesManager},
		{"/pacing", tandem.RoleMarketingHead},
		{"/funnel", tandem.RoleExecutive},
		{"/scorecard?period=" + month, tandem.RoleExecutive},
		{"/scorecard?period=" + last, tandem.RoleExecutive},
		{"/agreement", tandem.RoleAdmin},
	}
	for _, pg := range pages {
		u, ok := byRole[pg.role]
		if !ok {
			t.Logf("%-28s no %s in the database", pg.path, pg.role)
			continue
		}
		if _, err := db.SetPassword(ctx, u.Email, cheapHash()); err != nil {
			t.Fatal(err)
		}
		wc := newWebClient(t, s.URL())
		if r := wc.login(u.Email, testPassword); r.status != 303 {
			t.Fatalf("sign in as %s: %v", u.Email, r)
		}
		var times []time.Duration
		for range n {
			start := time.Now()
			r := wc.get(pg.path)
			times = append(times, time.Since(start))
			if r.status != 200 {
				t.Fatalf("GET %s as %s = %v", pg.path, pg.role, r)
			}
		}
		slices.Sort(times)
		p := func(q float64) time.Duration {
			return times[int(q*float64(len(times)-1))].Round(100 * time.Microsecond)
		}
		flag := ""
		if p(0.95) > 100*time.Millisecond {
			flag = "  SLOW (over 100 ms)"
		}
		t.Logf("%-28s as %-16s p50 %8v  p95 %8v  (n=%d)%s", pg.path, pg.role, p(0.5), p(0.95), n, flag)
	}
}
