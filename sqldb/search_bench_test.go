package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// Names the search benchmark's leads are made of: 60 × 60 names over
// 1,000,000 leads, so that a name's part finds hundreds to thousands.
var (
	benchFirst = strings.Fields(`Ana Ben Chloé Dan Eva Finn Grete Hana Ines Jonas Kai Lena Mia Noah Olga Piet Quinn Rosa Sven Tara
		Ugo Vera Wim Xenia Yara Zoë Aiko Bruno Carla Dario Elif Felix Gia Hugo Ida Jan Karin Luca Maya Nils Oskar Pia Rafael Sara
		Timo Uma Vito Wanda Yusuf Zeno Amir Birte Cem Dörte Emil Fatma Gustav Helga Ilse Jörg`)
	benchLast = strings.Fields(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf
		Schröder Neumann Schwarz Braun Zimmermann Krüger Hofmann Hartmann Lange Werner Krause Lehmann Köhler Maier Herrmann König
		Walter Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Vogel Friedrich Keller Günther Frank Berger Winkler
		Roth Beck Lorenz Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus`)
)

// benchLeads is the number of leads of BenchmarkLeadSearch:
// TANDEM_BENCH_LEADS, default 1,000,000.
func benchLeads() int {
	if n, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_LEADS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// fillLeads writes n leads straight into the leads table, in the database
// itself (a recursive CTE on SQLite, generate_series on PostgreSQL): the
// search index follows the table on its own (SQLite's triggers, the
// PostgreSQL expression index), which is what this measures. The ledger
// is left empty: the list reads the leads table only.
func fillLeads(b *testing.B, be sqldbtest.Backend, n int) {
	b.Helper()
	driver, dsn := "sqlite", be.DSN
	if be.Name == "postgres" {
		driver = "pgx"
	}
	c, err := sql.Open(driver, dsn)
	if err != nil {
		b.Fatalf("sql.Open: %v", err)
	}
	defer c.Close()
	quoted := func(ss []string) string {
		q := make([]string, len(ss))
		for i, s := range ss {
			q[i] = "'" + s + "'"
		}
		return strings.Join(q, ",")
	}
	nf, nl := len(benchFirst), len(benchLast)
	// Leads i: first name i mod nf, last name (i / nf) mod nl, a company of
	// 5,000, created over 2025, a stage and origin of a few, scores 0-99.
	cols := `id, source, external_id, email, first_name, last_name, company, phone, country, origin, campaign, owner_id, score, stage,
		attributes, created_at, updated_at, stage_changed_at, version`
	var q string
	if be.Name == "sqlite" {
		q = fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d),
			f(i, fn, ln) AS (SELECT i, json_extract('[%s]', '$[' || (i %% %d) || ']'), json_extract('[%s]', '$[' || ((i / %d) %% %d) || ']') FROM s)
			INSERT INTO leads (%s)
			SELECT i, 'bench', 'B-' || i, lower(fn) || '.' || lower(ln) || i || '@example.com', fn, ln,
				'Company ' || (i * 7 %% 5000), '+49 30 ' || printf('%%07d', i * 7919 %% 10000000), 'DE',
				json_extract('["paid_search","social","email","referral","organic_search"]', '$[' || (i %% 5) || ']'),
				'c' || (i %% 40), 0, i * 37 %% 100,
				json_extract('["lead","lead","mql","sal","sql","recycled","disqualified","customer"]', '$[' || (i %% 8) || ']'),
				'{}', strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000Z', 1735689600 + i * 31, 'unixepoch'),
				strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000Z', 1735689600 + i * 31, 'unixepoch'),
				strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000Z', 1735689600 + i * 31 + (i %% 97) * 3600, 'unixepoch'), 1
			FROM f`, n, strings.ReplaceAll(quoted(benchFirst), "'", `"`), nf, strings.ReplaceAll(quoted(benchLast), "'", `"`), nf, nl, cols)
	} else {
		q = fmt.Sprintf(`INSERT INTO leads (%s)
			SELECT i, 'bench', 'B-' || i, lower(fn) || '.' || lower(ln) || i || '@example.com', fn, ln,
				'Company ' || (i * 7 %% 5000), '+49 30 ' || lpad((i::bigint * 7919 %% 10000000)::text, 7, '0'), 'DE',
				(ARRAY['paid_search','social','email','referral','organic_search'])[1 + i %% 5],
				'c' || (i %% 40), 0, i * 37 %% 100,
				(ARRAY['lead','lead','mql','sal','sql','recycled','disqualified','customer'])[1 + i %% 8],
				'{}', to_timestamp(1735689600 + i::bigint * 31), to_timestamp(1735689600 + i::bigint * 31),
				to_timestamp(1735689600 + i::bigint * 31 + (i %% 97) * 3600), 1
			FROM (SELECT i, (ARRAY[%s])[1 + i %% %d] AS fn, (ARRAY[%s])[1 + (i / %d) %% %d] AS ln
				FROM generate_series(1, %d) AS i) f`, cols, quoted(benchFirst), nf, quoted(benchLast), nf, nl, n)
	}
	start := time.Now()
	if _, err := c.Exec(q); err != nil {
		b.Fatalf("filling %d leads: %v", n, err)
	}
	if be.Name == "postgres" {
		if _, err := c.Exec(`SELECT setval('leads_id_seq', $1)`, n); err != nil {
			b.Fatalf("after filling: %v", err)
		}
		// VACUUM as autovacuum would after a million inserts: it sets the
		// visibility map, without which no count reads an index alone.
		if _, err := c.Exec(`VACUUM (ANALYZE) leads`); err != nil {
			b.Fatalf("VACUUM: %v", err)
		}
	} else if _, err := c.Exec(`ANALYZE`); err != nil {
		b.Fatalf("ANALYZE: %v", err)
	}
	b.Logf("%s: %d leads written with their search index in %v", be.Name, n, time.Since(start).Round(time.Second))
}

// BenchmarkLeadSearch measures the leads list at TANDEM_BENCH_LEADS leads
// (default 1,000,000): a search (q, page of 50 with its count), a filtered
// list and a sorted one, each query 40 times, reporting p50 and p95 in
// ms. The bar: a search under 100 ms p95, a filtered list page
// under 150 ms p95.
//
//	TANDEM_TEST_POSTGRES=... go test ./sqldb -run '^$' -bench LeadSearch -benchtime 1x -timeout 60m
//
// TANDEM_BENCH_SEARCH_DB=FILE builds the SQLite database in FILE and
// keeps it; when FILE exists, it is measured as it is.
// TANDEM_BENCH_SEARCH_SCHEMA=NAME does the same for PostgreSQL in the
// schema NAME of TANDEM_TEST_POSTGRES's database (drop it when done).
func BenchmarkLeadSearch(b *testing.B) {
	n := benchLeads()
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			keep, keepSchema := os.Getenv("TANDEM_BENCH_SEARCH_DB"), os.Getenv("TANDEM_BENCH_SEARCH_SCHEMA")
			built := false
			if keep != "" && be.Name == "sqlite" {
				_, err := os.Stat(keep)
				built = err == nil
				be = sqldbtest.Backend{Name: be.Name, DSN: keep}
			} else if keepSchema != "" && be.Name == "postgres" {
				be = sqldbtest.Backend{Name: be.Name, DSN: keptSchema(b, os.Getenv(sqldbtest.EnvPostgres), keepSchema)}
				built = searchSchemaBuilt(b, be.DSN)
			} else {
				be = sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}
			}
			db, _ := openB(b, be) // migrates
			if !built {
				db.Close()
				fillLeads(b, be, n)
				db, _ = openB(b, be)
			}
			// PostgreSQL's CPU is its server's: the backends of the store's
			// connections, which an application name tells apart.
			serverCPU := func() (time.Duration, bool) { return 0, false }
			if be.Name == "postgres" {
				db.Close()
				db, _ = openB(b, sqldbtest.Backend{Name: be.Name, DSN: withAppName(b, be.DSN, searchBenchApp)})
				admin, err := sql.Open("pgx", be.DSN)
				if err != nil {
					b.Fatalf("sql.Open: %v", err)
				}
				defer admin.Close()
				serverCPU = func() (time.Duration, bool) { return backendsCPU(admin, searchBenchApp) }
			}
			rng := rand.New(rand.NewPCG(1, 2))
			part := func(ss []string) string {
				r := []rune(strings.ToLower(ss[rng.IntN(len(ss))]))
				k := min(3+rng.IntN(2), len(r))
				at := rng.IntN(len(r) - k + 1)
				return string(r[at : at+k])
			}
			kinds := []struct {
				name string
				f    func() tandem.LeadFilter
			}{
				{"search-name-part", func() tandem.LeadFilter { return tandem.LeadFilter{Q: part(benchLast), Limit: 50, CountUpTo: 10000} }},
				{"search-first-last", func() tandem.LeadFilter {
					return tandem.LeadFilter{Q: part(benchFirst) + " " + part(benchLast), Limit: 50, CountUpTo: 10000}
				}},
				{"search-email", func() tandem.LeadFilter {
					return tandem.LeadFilter{Q: fmt.Sprint(rng.IntN(n)+1) + "@exa", Limit: 50, CountUpTo: 10000}
				}},
				{"search-filtered", func() tandem.LeadFilter {
					return tandem.LeadFilter{Q: part(benchLast), Equal: map[string]string{"stage": "mql"}, Limit: 50, CountUpTo: 10000}
				}},
				{"list-filtered", func() tandem.LeadFilter {
					return tandem.LeadFilter{Equal: map[string]string{"stage": "mql", "origin": "paid_search"}, Limit: 50, CountUpTo: 10000}
				}},
				{"list-filtered-sorted", func() tandem.LeadFilter {
					return tandem.LeadFilter{Equal: map[string]string{"campaign": fmt.Sprint("c", rng.IntN(40))}, Sort: "-score", Limit: 50, CountUpTo: 10000}
				}},
				{"list-created-range", func() tandem.LeadFilter {
					from := time.Date(2025, time.Month(1+rng.IntN(11)), 1, 0, 0, 0, 0, time.UTC)
					return tandem.LeadFilter{CreatedFrom: from, CreatedTo: from.AddDate(0, 0, 7), Sort: "-created_at", Limit: 50, CountUpTo: 10000}
				}},
			}
			// The API counts every match: a common part of a name, exactly.
			kinds = append(kinds, struct {
				name string
				f    func() tandem.LeadFilter
			}{"api-search-exact-count", func() tandem.LeadFilter { return tandem.LeadFilter{Q: part(benchLast), Limit: 100} }})
			for b.Loop() {
				for _, k := range kinds {
					var ds, cpu, srv []time.Duration
					total := 0
					for range 40 {
						f := k.f()
						s0, srvOK := serverCPU()
						start, c0 := time.Now(), cpuTime()
						page, err := db.Leads(ctx, f)
						if err != nil {
							b.Fatalf("Leads(%+v): %v", f, err)
						}
						ds, cpu = append(ds, time.Since(start)), append(cpu, cpuTime()-c0)
						if s1, ok := serverCPU(); ok && srvOK {
							srv = append(srv, s1-s0)
						}
						total += page.Total
					}
					slices.Sort(ds)
					slices.Sort(cpu)
					slices.Sort(srv)
					server := ""
					if len(srv) > 0 {
						b.ReportMetric(float64(srv[len(srv)*95/100].Microseconds())/1000, k.name+"-server-cpu-p95-ms")
						server = fmt.Sprintf("; the server's CPU p50 %.1f ms, p95 %.1f ms",
							float64(srv[len(srv)/2].Microseconds())/1000, float64(srv[len(srv)*95/100].Microseconds())/1000)
					}
					ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
					b.ReportMetric(ms(ds[len(ds)/2]), k.name+"-p50-ms")
					b.ReportMetric(ms(ds[len(ds)*95/100]), k.name+"-p95-ms")
					b.ReportMetric(ms(cpu[len(cpu)*95/100]), k.name+"-cpu-p95-ms")
					b.Logf("%s %s: p50 %.1f ms, p95 %.1f ms, max %.1f ms; this process's CPU p50 %.1f ms, p95 %.1f ms%s; %d matches on average",
						be.Name, k.name, ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]), ms(ds[len(ds)-1]),
						ms(cpu[len(cpu)/2]), ms(cpu[len(cpu)*95/100]), server, total/len(ds))
				}
			}
		})
	}
}

// searchSchemaBuilt reports whether the schema name holds leads already
// (a world an earlier run built).
func searchSchemaBuilt(b *testing.B, dsn string) bool {
	b.Helper()
	c, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatalf("sql.Open: %v", err)
	}
	defer c.Close()
	var built bool
	if err := c.QueryRow(`SELECT to_regclass('leads') IS NOT NULL`).Scan(&built); err != nil {
		b.Fatalf("reading the kept schema: %v", err)
	}
	if built {
		if err := c.QueryRow(`SELECT EXISTS (SELECT 1 FROM leads)`).Scan(&built); err != nil {
			b.Fatalf("reading the kept schema: %v", err)
		}
	}
	return built
}

// searchBenchApp is the application name of BenchmarkLeadSearch's
// connections to PostgreSQL.
const searchBenchApp = "tandem_search_bench"

// withAppName returns the PostgreSQL URL dsn with its application_name set.
func withAppName(b *testing.B, dsn, app string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatalf("parse %s: %v", sqldbtest.EnvPostgres, err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// backendsCPU returns the CPU time used so far by the PostgreSQL backends
// of the connections named app, read from /proc/PID/schedstat (on-CPU
// nanoseconds), or false when the server is not on this machine or the
// kernel keeps no such file. A backend that ends between two readings
// takes its time with it; the store's pool keeps its connections.
func backendsCPU(admin *sql.DB, app string) (time.Duration, bool) {
	rows, err := admin.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		return 0, false
	}
	defer rows.Close()
	var sum time.Duration
	n := 0
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return 0, false
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
		if err != nil {
			return 0, false
		}
		f := strings.Fields(string(data))
		if len(f) == 0 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += time.Duration(ns)
		n++
	}
	return sum, rows.Err() == nil && n > 0
}
