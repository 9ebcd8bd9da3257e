package http

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

// TestPageTimes is the load command of the web pages: over a database
// built by `tandem demo --size N --build-only --db FILE` (or a postgres://
// URL), it first computes the reports the pages read as serve's worker
// does at start (report.RefreshKept), then signs in as a user of each role
// and asks for each page: every role's home, the queue of the rep with the
// most open tasks and one of their leads, a manager's queue, the SLA
// board, pacing, the funnel and the scorecard for this month and the last,
// the agreement, import and settings; the deals board (head, manager,
// rep), an open deal's page and its account's, the accounts and the
// products, and the inbox of whoever has the most unread notifications.
// It reports the server-side time at p50 and p95 (the time to the last
// byte on a local connection, which is the server's: rendering, not the
// browser). It runs only when
// TANDEM_LOAD_DB names the database:
//
//	TANDEM_LOAD_DB=/tmp/demo.db go test ./http -run TestPageTimes -v [-count 1]
//
// TANDEM_LOAD_NOW (RFC 3339) serves the database at that instant instead
// of the real time, for a database built for another "now" (see
// sqldb.BenchmarkClosedLoop). TANDEM_LOAD_N sets the requests per page
// (default 20). The database's
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
	var clk tandem.Clock = clock.Real{}
	if v := os.Getenv("TANDEM_LOAD_NOW"); v != "" {
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("TANDEM_LOAD_NOW: %v", err)
		}
		clk = clock.NewFake(at)
	}
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	defer db.Close()
	users, err := db.Users(ctx)
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	byRole := map[tandem.Role]tandem.User{}
	for _, u := range users {
		if _, ok := byRole[u.Role]; !ok {
			byRole[u.Role] = u
		}
	}
	// What serve's worker does at start and every few minutes: the
	// reports the management pages read, computed and kept.
	began := time.Now()
	if err := report.RefreshKept(ctx, db, db.Now()); err != nil {
		t.Fatalf("RefreshKept: %v", err)
	}
	t.Logf("%-44s %v (serve's worker, at start and every %v)", "computing the kept reports", time.Since(began).Round(time.Millisecond), report.RefreshEvery)
	s := startServer(t, db, nil)
	month := db.Now().Format("2006-01")
	last := db.Now().AddDate(0, -1, 0).Format("2006-01")
	// The rep with the most open tasks, and a lead of theirs.
	var rep tandem.User
	var queue []sqldb.QueueItem
	for _, u := range users {
		if u.Role != tandem.RoleSalesRep {
			continue
		}
		q, err := db.Queue(ctx, []int64{u.ID}, 1_000_000)
		if err != nil {
			t.Fatalf("Queue: %v", err)
		}
		if len(q) >= len(queue) {
			rep, queue = u, q
		}
	}
	type page struct {
		path string
		as   tandem.User
	}
	var pages []page
	for _, r := range tandem.Roles {
		if u, ok := byRole[r]; ok {
			pages = append(pages, page{"/", u})
		}
	}
	if rep.ID != 0 {
		t.Logf("%s has %d open tasks", rep.Email, len(queue))
		pages = append(pages, page{"/queue", rep})
		if len(queue) > 0 {
			pages = append(pages, page{fmt.Sprintf("/leads/%d", queue[0].Lead.ID), rep})
		}
	}
	// A search for part of a lead's name, as a person types it.
	search := "mül"
	if len(queue) > 0 {
		if n := []rune(queue[0].Lead.LastName); len(n) >= 4 {
			search = strings.ToLower(string(n[:4]))
		}
		if rep.ID != 0 {
			pages = append(pages, page{"/leads?q=" + url.QueryEscape(search), rep})
		}
	}
	for _, pg := range []struct {
		path string
		role tandem.Role
	}{
		{"/queue", tandem.RoleSalesManager},
		{"/sla", tandem.RoleSalesHead},
		{"/sla", tandem.RoleSalesManager},
		{"/sla?period=" + last, tandem.RoleSalesHead},
		{"/pacing", tandem.RoleMarketingHead},
		{"/pacing?period=" + last, tandem.RoleMarketingHead},
		{"/funnel", tandem.RoleExecutive},
		{"/scorecard?period=" + month, tandem.RoleExecutive},
		{"/scorecard?period=" + last, tandem.RoleExecutive},
		{"/campaigns", tandem.RoleMarketingHead},
		{"/campaigns?period=" + last, tandem.RoleMarketingHead},
		{"/campaigns?model=linear", tandem.RoleMarketingHead},
		{"/agreement", tandem.RoleAdmin},
		{"/import", tandem.RoleAdmin},
		{"/settings", tandem.RoleAdmin},
		// The leads list (page_leads.go): a search, a filtered list, both,
		// and a sort over every lead.
		{"/leads", tandem.RoleMarketingHead},
		{"/leads?q=" + url.QueryEscape(search), tandem.RoleMarketing},
		{"/leads?q=son", tandem.RoleMarketing},
		{"/leads?stage=mql&origin=paid_search", tandem.RoleMarketingHead},
		{"/leads?stage=sal&created_from=" + month + "-01", tandem.RoleSalesHead},
		{"/leads?q=" + url.QueryEscape(search) + "&stage=mql", tandem.RoleMarketing},
		{"/leads?sort=-score", tandem.RoleExecutive},
		{"/leads?sort=-stage_changed_at&stage=mql", tandem.RoleSalesManager},
	} {
		if u, ok := byRole[pg.role]; ok {
			pages = append(pages, page{pg.path, u})
		} else {
			t.Logf("%-28s no %s in the database", pg.path, pg.role)
		}
	}
	// The deals board for the head of sales, a manager and a rep; an open
	// deal's page and its account's; the catalogue and the accounts; the
	// inbox of the person with the most notifications.
	for _, role := range []tandem.Role{tandem.RoleSalesHead, tandem.RoleSalesManager, tandem.RoleSalesRep} {
		if u, ok := byRole[role]; ok {
			pages = append(pages, page{"/deals", u})
		}
	}
	if head, ok := byRole[tandem.RoleSalesHead]; ok {
		open, err := db.Deals(ctx, tandem.DealFilter{Stage: tandem.DealOpen, Limit: 1})
		if err != nil {
			t.Fatalf("Deals: %v", err)
		}
		if len(open.Deals) > 0 {
			d, err := db.DealFor(ctx, open.Deals[0].ID, tandem.Token{UserID: head.ID, UserEmail: head.Email, Role: head.Role})
			if err != nil {
				t.Fatalf("DealFor: %v", err)
			}
			pages = append(pages, page{fmt.Sprintf("/deals/%d", d.ID), head})
			if d.AccountID != 0 {
				pages = append(pages, page{fmt.Sprintf("/accounts/%d", d.AccountID), head})
			}
		}
		pages = append(pages, page{"/accounts", head}, page{"/products", head})
	}
	var inboxOf tandem.User
	most := -1
	for _, u := range users {
		in, err := db.Inbox(ctx, u.ID, sqldb.InboxFilter{Limit: 1})
		if err != nil {
			t.Fatalf("Inbox: %v", err)
		}
		if in.Unread > most {
			inboxOf, most = u, in.Unread
		}
	}
	if inboxOf.ID != 0 {
		t.Logf("%s has %d unread notifications", inboxOf.Email, most)
		pages = append(pages, page{"/inbox", inboxOf})
	}
	signedIn := map[string]*webClient{}
	for _, pg := range pages {
		u := pg.as
		wc := signedIn[u.Email]
		if wc == nil {
			if _, err := db.SetPassword(ctx, u.Email, cheapHash()); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			wc = newWebClient(t, s.URL())
			if r := wc.login(u.Email, testPassword); r.status != 303 {
				t.Fatalf("sign in as %s: %v", u.Email, r)
			}
			signedIn[u.Email] = wc
		}
		var times []time.Duration
		for range n {
			start := time.Now()
			r := wc.get(pg.path)
			times = append(times, time.Since(start))
			if r.status != 200 {
				t.Fatalf("GET %s as %s = %v", pg.path, u.Email, r)
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
		t.Logf("%-28s as %-24s p50 %8v  p95 %8v  (n=%d)%s", pg.path, u.Email+" ("+string(u.Role)+")", p(0.5), p(0.95), n, flag)
	}
}
