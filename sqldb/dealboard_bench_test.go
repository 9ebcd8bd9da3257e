package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// BenchmarkDealBoard measures the deals board and the inbox at the issue's
// scale: a million leads (a quarter each Rex's, Ria's and Manu's, a quarter
// unassigned), 50,000 open deals among them in the three default stages
// (5,000 accounts, 20 products), 2,000 deals won and 1,000 lost this month,
// and 10,000 notifications in Rex's inbox, half of them unread. It is 20
// November 2026.
//
//	TANDEM_TEST_POSTGRES=... go test ./sqldb -run '^$' -bench DealBoard -benchtime 20x -v
//
// With TANDEM_BENCH_KEEP_DB=FILE, the SQLite world is built in FILE (which
// must not exist) and left there, for the pages' load command to read:
//
//	TANDEM_LOAD_DB=FILE TANDEM_LOAD_NOW=2026-11-20T15:00:00Z go test ./http -run TestPageTimes -v
func BenchmarkDealBoard(b *testing.B) {
	const leads, open, notes = 1_000_000, 50_000, 10_000
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			dsn := sqldbtest.Fresh(b, be)
			if keep := os.Getenv("TANDEM_BENCH_KEEP_DB"); keep != "" && be.Name == "sqlite" {
				if _, err := os.Stat(keep); err == nil {
					b.Fatalf("TANDEM_BENCH_KEEP_DB=%s exists: name a new file", keep)
				}
				dsn = keep
			}
			db, clk := openB(b, sqldbtest.Backend{Name: be.Name, DSN: dsn})
			clk.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			c := tandemtest.People(b, db)
			c.Sign(b, db, string(agreement.Default()))
			now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
			clk.Set(now)
			start := time.Now()
			for _, q := range boardBenchData(be.Name, leads, open, notes, [3]int64{c.Rex.ID, c.Ria.ID, c.Manu.ID}) {
				if err := db.ExecForTest(ctx, q); err != nil {
					b.Fatalf("%.300s: %v", q, err)
				}
			}
			b.Logf("%s: %d leads, %d open deals and %d notifications written in %v", be.Name, leads, open, notes, time.Since(start).Round(time.Millisecond))
			board := func(tok tandem.Token, f sqldb.BoardFilter, wantOpen int) func(b *testing.B) {
				return func(b *testing.B) {
					for b.Loop() {
						got, err := db.DealBoard(ctx, tok, f)
						if err != nil {
							b.Fatalf("DealBoard: %v", err)
						}
						if got.OpenDeals != wantOpen {
							b.Fatalf("DealBoard(%+v).OpenDeals = %d; want %d", f, got.OpenDeals, wantOpen)
						}
					}
				}
			}
			// Rex reads his deals (a quarter) and the unassigned leads' (a
			// quarter): half of them.
			b.Run("board-admin", board(tandemtest.Token(c.Admin), sqldb.BoardFilter{}, open))
			b.Run("board-head", board(tandemtest.Token(c.Sam), sqldb.BoardFilter{}, open))
			b.Run("board-rep", board(tandemtest.Token(c.Rex), sqldb.BoardFilter{}, open/2))
			b.Run("board-team", board(tandemtest.Token(c.Sam), sqldb.BoardFilter{Teams: []string{"West"}}, open/4))
			b.Run("board-product", board(tandemtest.Token(c.Sam), sqldb.BoardFilter{ProductIDs: []int64{1}}, open/20))
			b.Run("inbox", func(b *testing.B) {
				for b.Loop() {
					p, err := db.Inbox(ctx, c.Rex.ID, sqldb.InboxFilter{})
					if err != nil || len(p.Items) != 50 || p.Unread != notes/2 {
						b.Fatalf("Inbox = %d items, %d unread, %v; want 50, %d", len(p.Items), p.Unread, err, notes/2)
					}
				}
			})
			b.Run("unread", func(b *testing.B) {
				for b.Loop() {
					if n, err := db.UnreadCount(ctx, c.Rex.ID); err != nil || n != notes/2 {
						b.Fatalf("UnreadCount = %d, %v; want %d", n, err, notes/2)
					}
				}
			})
		})
	}
}

// boardBenchData returns the statements that write BenchmarkDealBoard's
// world; owners are Rex, Ria and Manu.
func boardBenchData(backend string, leads, open, notes int, owners [3]int64) []string {
	const base = 1767225600 // 2026-01-01T00:00:00Z
	nums := func(n int) string {
		if backend == "postgres" {
			return fmt.Sprintf(`WITH n AS (SELECT i FROM generate_series(1, %d) AS g(i))`, n)
		}
		return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)`, n)
	}
	ts := func(x string) string { return `strftime('%Y-%m-%dT%H:%M:%S.000000Z', ` + x + `, 'unixepoch')` }
	text := func(x string) string { return `CAST(` + x + ` AS TEXT)` }
	if backend == "postgres" {
		ts = func(x string) string { return `to_timestamp(` + x + `)` }
	}
	every := leads / open // one lead in every opens a deal
	// Owners by runs of every leads, so that the deals (on every every-th
	// lead) spread over them as the leads do.
	owner := fmt.Sprintf(`CASE (i / %d) %% 4 WHEN 0 THEN %d WHEN 1 THEN %d WHEN 2 THEN %d ELSE 0 END`, every, owners[0], owners[1], owners[2])
	created := fmt.Sprintf(`%d + i * 25`, base) // a million leads reach mid October
	month := int64(1761955200 + 86400*2)        // 2026-11-03T00:00:00Z: this month's outcomes
	stage := `CASE (i / ` + fmt.Sprint(every) + `) % 3 WHEN 0 THEN 'qualification' WHEN 1 THEN 'proposal' ELSE 'negotiation' END`
	return []string{
		nums(5000) + `
		INSERT INTO accounts (id, name, name_key, created_at, updated_at)
		SELECT i, 'Account ' || ` + text("i") + `, 'account ' || ` + text("i") + `, ` + ts(fmt.Sprint(base)) + `, ` + ts(fmt.Sprint(base)) + ` FROM n`,
		nums(20) + `
		INSERT INTO products (id, name, name_key, series, created_at, updated_at)
		SELECT i, 'Product ' || ` + text("i") + `, 'product ' || ` + text("i") + `, 'S' || ` + text("i % 4") + `, ` + ts(fmt.Sprint(base)) + `, ` + ts(fmt.Sprint(base)) + ` FROM n`,
		nums(leads) + `
		INSERT INTO leads (id, source, external_id, first_name, last_name, company, origin, stage, owner_id, account_id,
			created_at, updated_at, stage_changed_at, version)
		SELECT i, 'bench', 'L' || ` + text("i") + `, 'Lead', ` + text("i") + `, 'Account ' || ` + text("i % 5000 + 1") + `, 'ads',
			CASE WHEN i % ` + fmt.Sprint(every) + ` = 0 THEN 'opportunity' ELSE 'mql' END, ` + owner + `, i % 5000 + 1,
			` + ts(created) + `, ` + ts(created) + `, ` + ts(created) + `, 1
		FROM n`,
		// The open deals, on every every-th lead, owned as their leads.
		nums(leads) + `
		INSERT INTO deals (lead_id, owner_id, stage, amount_cents, created_at, engaged_at, updated_at, pipeline_stage, stage_changed_at,
			account, product, account_id, product_id)
		SELECT i, NULLIF(` + owner + `, 0), 'open', 100000 + (i % 97) * 10000, ` + ts(created) + `, ` + ts(created) + `, ` + ts(created) + `, ` + stage + `,
			` + ts(created+` + 86400`) + `, 'Account ' || ` + text("i % 5000 + 1") + `, 'Product ' || ` + text("(i / "+fmt.Sprint(every)+") % 20 + 1") + `,
			i % 5000 + 1, (i / ` + fmt.Sprint(every) + `) % 20 + 1
		FROM n WHERE i % ` + fmt.Sprint(every) + ` = 0`,
		// This month's won and lost deals, on leads that have none open.
		nums(3000) + `
		INSERT INTO deals (lead_id, owner_id, stage, amount_cents, created_at, engaged_at, closed_at, lost_reason, updated_at, pipeline_stage,
			stage_changed_at, account_id, product_id)
		SELECT i * ` + fmt.Sprint(every) + ` + 1, NULLIF(` + owner + `, 0), CASE WHEN i % 3 = 0 THEN 'lost' ELSE 'won' END,
			CASE WHEN i % 3 = 0 THEN 0 ELSE 200000 END, ` + ts(created) + `, ` + ts(created) + `,
			` + ts(fmt.Sprintf("%d + i * 300", month)) + `, CASE WHEN i % 3 = 0 THEN 'price' ELSE '' END, ` + ts(created) + `, 'negotiation',
			` + ts(fmt.Sprintf("%d + i * 300", month)) + `, i % 5000 + 1, i % 20 + 1
		FROM n`,
		// Rex's inbox: breaches of his leads, every other one read.
		nums(notes) + `
		INSERT INTO outbox_events (id, type, version, lead_id, data, occurred_at, created_at)
		SELECT 1000000 + i, 'escalation.sent', 1, i * 4, '{}', ` + ts(fmt.Sprintf("%d + i * 2000", base)) + `, ` + ts(fmt.Sprintf("%d + i * 2000", base)) + ` FROM n`,
		nums(notes) + `
		INSERT INTO notifications (user_id, lead_id, event_id, channel, subject, body, state, next_at, created_at, sent_at, read_at)
		SELECT ` + fmt.Sprint(owners[0]) + `, i * 4, 1000000 + i, 'inbox', 'SLA breach on lead ' || ` + text("i * 4") + `,
			'The first touch was due and has not been done.', 'sent', ` + ts(fmt.Sprintf("%d + i * 2000", base)) + `,
			` + ts(fmt.Sprintf("%d + i * 2000", base)) + `, ` + ts(fmt.Sprintf("%d + i * 2000", base)) + `,
			CASE WHEN i % 2 = 0 THEN ` + ts(fmt.Sprintf("%d + i * 2000 + 60", base)) + ` ELSE NULL END
		FROM n`,
		`ANALYZE`,
	}
}
