package metrics_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// storeOpenClocks stores n pending timers, a tenth of them already due,
// straight in SQL (as worker's BenchmarkFireLatency does).
func storeOpenClocks(b *testing.B, be sqldbtest.Backend, n int) {
	driver := "sqlite"
	if be.Name == "postgres" {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, be.DSN)
	if err != nil {
		b.Fatalf("sql.Open: %v", err)
	}
	defer raw.Close()
	q := fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
		INSERT INTO timers (kind, due_at, state, payload, created_at)
		SELECT 'first_touch', CASE WHEN x %% 10 = 0 THEN '2020-01-01T00:00:00.000000Z' ELSE '2030-01-01T00:00:00.000000Z' END,
			'pending', '{}', '2020-01-01T00:00:00.000000Z' FROM c`, n)
	if be.Name == "postgres" {
		q = fmt.Sprintf(`INSERT INTO timers (kind, due_at, state, payload, created_at)
			SELECT 'first_touch', CASE WHEN x %% 10 = 0 THEN timestamptz '2020-01-01Z' ELSE timestamptz '2030-01-01Z' END,
				'pending', '{}', timestamptz '2020-01-01Z' FROM generate_series(1, %d) x`, n)
		if _, err := raw.Exec(q); err != nil {
			b.Fatalf("storing %d timers: %v", n, err)
		}
		if _, err := raw.Exec(`ANALYZE timers`); err != nil {
			b.Fatalf("ANALYZE: %v", err)
		}
		return
	}
	if _, err := raw.Exec(q); err != nil {
		b.Fatalf("storing %d timers: %v", n, err)
	}
}

// BenchmarkMetrics stores N open clocks (1,000,000 by default;
// TANDEM_BENCH_CLOCKS to change), reads the store's gauges once (reported
// as refresh-ms: what [metrics.Metrics.Run] does every 10 s, off the
// request path), then times GET /metrics over loopback HTTP, body read
// to the end (ns/op; also reported as scrape-ms).
//
//	go test ./metrics -run '^$' -bench Metrics -benchtime 20x
func BenchmarkMetrics(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_CLOCKS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			be := sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}
			clk := clock.NewFake(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
			db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
			if err != nil {
				b.Fatalf("sqldb.Open: %v", err)
			}
			defer db.Close()
			storeOpenClocks(b, be, n)
			m := metrics.New(db, clk)
			start := time.Now()
			if err := m.Refresh(ctx); err != nil {
				b.Fatalf("Refresh: %v", err)
			}
			refresh := time.Since(start)
			g, _ := db.ReadGauges(ctx)
			if g.TimersPending != int64(n) || g.TimersDue != int64(n/10) {
				b.Fatalf("gauges read %d open, %d due; want %d, %d", g.TimersPending, g.TimersDue, n, n/10)
			}
			srv := httptest.NewServer(m.Handler())
			defer srv.Close()
			var total time.Duration
			for b.Loop() {
				t0 := time.Now()
				resp, err := http.Get(srv.URL + "/metrics")
				if err != nil {
					b.Fatalf("GET /metrics: %v", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET /metrics = %d", resp.StatusCode)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(refresh.Microseconds())/1000, "refresh-ms")
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "scrape-ms")
		})
	}
}
