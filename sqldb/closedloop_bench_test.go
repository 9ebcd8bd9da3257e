package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// BenchmarkClosedLoop measures the plan, the pace and the scorecard of a
// running month at the scale: BenchmarkHistory's million leads and
// ten million events through 2025, with the default agreement signed at
// the start of the year, and June 2025 worked as a company works it: a
// hand-off for each of its ~69,000 leads that qualified, eight cadence tasks
// each, a review for every third, and a marketing touch for every lead.
// It is "now" on 20 June 2025. The scorecard is measured as the worker
// computes it (compute) and as a request reads it (kept), and its parts
// one by one.
//
//	TANDEM_TEST_POSTGRES=... go test ./sqldb -run '^$' -bench ClosedLoop -benchtime 5x -v
//
// With TANDEM_BENCH_KEEP_DB=FILE, the world is built in the SQLite file
// FILE and the PostgreSQL schema named by FILE's base name without its
// extension (as BenchmarkDealReport) and left there, or read from them
// when an earlier run built it (building takes minutes); the pages' load
// command reads the SQLite file:
//
//	TANDEM_LOAD_DB=FILE TANDEM_LOAD_NOW=2025-06-20T15:00:00Z go test ./http -run TestPageTimes -v
func BenchmarkClosedLoop(b *testing.B) {
	const n = 1_000_000
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			var dsn string
			switch keep := os.Getenv("TANDEM_BENCH_KEEP_DB"); {
			case keep != "" && be.Name == "sqlite":
				dsn = keep
			case keep != "" && be.Name == "postgres":
				dsn = keptSchema(b, be.DSN, strings.TrimSuffix(filepath.Base(keep), filepath.Ext(keep)))
			default:
				dsn = sqldbtest.Fresh(b, be)
			}
			db, clk := openB(b, sqldbtest.Backend{Name: be.Name, DSN: dsn})
			var leads int
			if err := db.QueryRowForTest(ctx, `SELECT count(*) FROM leads`, &leads); err != nil {
				b.Fatalf("count leads: %v", err)
			}
			if leads == 0 {
				clk.Set(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
				// One person of each role; sales in a chain sam > manu > rex.
				c := tandemtest.People(b, db, tandemtest.Admin, tandemtest.Mia, tandemtest.Mark, tandemtest.Sam, tandemtest.Eve, tandemtest.Manu, tandemtest.Rex)
				c.Sign(b, db, string(agreement.Default()))
				rex := c.Rex
				start := time.Now()
				for _, q := range append(historyBenchData(be.Name, n), juneBenchData(be.Name, rex.ID)...) {
					if err := db.ExecForTest(ctx, q); err != nil {
						b.Fatalf("%.300s: %v", q, err)
					}
				}
				b.Logf("%s: %d leads and June's work written in %v", be.Name, n, time.Since(start).Round(time.Millisecond))
			}
			now := time.Date(2025, 6, 20, 15, 0, 0, 0, time.UTC)
			clk.Set(now)
			june := report.Request{Period: "2025-06", Known: true}
			b.Run("plan", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := report.Plan(ctx, db, now, june); err != nil {
						b.Fatalf("Plan: %v", err)
					}
				}
			})
			b.Run("pace", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := report.Pace(ctx, db, now, june, 1); err != nil {
						b.Fatalf("Pace: %v", err)
					}
				}
			})
			// A running month's scorecard computed from the store (the
			// worker's refresh), and read as kept (a page's request).
			b.Run("scorecard/compute", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					sc, err := report.Refresh(ctx, db, now, "2025-06")
					if err != nil {
						b.Fatalf("Refresh: %v", err)
					}
					if len(sc.Commitments) == 0 || sc.Funnel[1].Entered == 0 {
						b.Fatalf("scorecard: %+v", sc.Funnel)
					}
				}
			})
			b.Run("scorecard/kept", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := report.Scorecard(ctx, db, now, "2025-06"); err != nil {
						b.Fatalf("Scorecard: %v", err)
					}
				}
			})
			for _, part := range []struct {
				name string
				fn   func() error
			}{
				{"sla-report", func() error { _, err := report.SLA(ctx, db, sqldb.SLAQuery{Period: "2025-06", By: "team"}); return err }},
				{"campaign-report", func() error {
					_, err := report.CampaignsBetween(ctx, db, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "u_shaped")
					return err
				}},
				{"outcomes", func() error {
					_, err := db.Outcomes(ctx, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
					return err
				}},
			} {
				b.Run("scorecard-part/"+part.name, func(b *testing.B) {
					defer reportCPU(b)()
					for b.Loop() {
						if err := part.fn(); err != nil {
							b.Fatalf("fn: %v", err)
						}
					}
				})
			}
		})
	}
}

// juneBenchData returns the statements that work June 2025 of
// historyBenchData's leads (see BenchmarkClosedLoop), owned by the rep.
func juneBenchData(backend string, rep int64) []string {
	const base = 1735689600                    // 2025-01-01T00:00:00Z, as historyBenchData
	lo, hi := (151*86400)/30, (181*86400)/30-1 // the leads created in June 2025
	nums := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d)`, lo, hi)
	ts := func(x string) string { return `strftime('%Y-%m-%dT%H:%M:%S.000000Z', ` + x + `, 'unixepoch')` }
	if backend == "postgres" {
		nums = fmt.Sprintf(`WITH n AS (SELECT i FROM generate_series(%d, %d) AS g(i))`, lo, hi)
		ts = func(x string) string { return `to_timestamp(` + x + `)` }
	}
	top := `CASE WHEN i % 20 < 1 THEN 5 WHEN i % 20 < 4 THEN 4 WHEN i % 20 < 7 THEN 3 WHEN i % 20 < 12 THEN 2 WHEN i % 20 < 16 THEN 1 ELSE 0 END`
	handed := fmt.Sprintf(`(%d + i * 30 + 86400)`, base) // the lead enters mql a day after it is created
	steps := `, st(k, off) AS (VALUES (0, 0), (1, 0), (2, 0), (3, 86400), (4, 86400), (5, 172800), (6, 259200), (7, 432000))`
	return []string{
		nums + fmt.Sprintf(`
		INSERT INTO handoffs (id, lead_id, owner_id, hot, agreement_version, started_at, routed_at, first_touch_due, first_touch_at,
			accept_due, decided_at, decision, reject_reason, cadence, cadence_from, step, touches)
		SELECT i, i, %d, FALSE, 1, %s, %s, %s, %s, %s, %s,
			CASE WHEN %s >= 2 THEN 'accepted' ELSE 'rejected' END, CASE WHEN %s >= 2 THEN '' ELSE 'no_budget' END,
			'main', %s, 3, 3
		FROM n WHERE %s >= 1`, rep, ts(handed), ts(handed), ts(handed+`+600`),
			ts(`CASE WHEN i % 10 < 8 THEN `+handed+` + 300 ELSE `+handed+` + 900 END`), ts(handed+`+14400`), ts(handed+`+7200`),
			top, top, ts(handed), top),
		nums + steps + fmt.Sprintf(`
		INSERT INTO tasks (lead_id, handoff_id, owner_id, cadence, step, channel, template, starts_at, due_at, state, done_at, breached)
		SELECT i, i, %d, 'main', st.k, CASE WHEN st.k %% 2 = 0 THEN 'call' ELSE 'email' END, 'step', %s, %s,
			CASE WHEN st.k < 3 THEN 'done' ELSE 'open' END, CASE WHEN st.k < 3 THEN %s END, FALSE
		FROM n JOIN st ON 1 = 1 WHERE %s >= 1`, rep, ts(handed+`+st.off`), ts(handed+`+st.off+600`), ts(handed+`+st.off+300`), top),
		fmt.Sprintf(`UPDATE leads SET owner_id = %d WHERE id IN (SELECT lead_id FROM handoffs)`, rep),
		nums + fmt.Sprintf(`
		INSERT INTO reviews (lead_id, user_id, rating, created_at)
		SELECT i, %d, 1 + i %% 5, %s FROM n WHERE %s >= 2 AND i %% 3 = 0`, rep, ts(handed+`+3600`), top),
		nums + `
		INSERT INTO marketing_touches (lead_id, campaign, origin, kind, occurred_at)
		SELECT i, 'campaign-' || (i % 7), '', 'intake', ` + ts(fmt.Sprintf(`%d + i * 30`, base)) + ` FROM n`,
		`ANALYZE`,
	}
}

// reportCPU starts counting the process's CPU time; the function it returns
// reports it per operation as cpu-ms/op (on SQLite the whole work, on
// PostgreSQL the client's part only).
func reportCPU(b *testing.B) func() {
	cpu := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op") }
}
