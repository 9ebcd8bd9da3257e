package sqldb_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// crmExport writes an opportunities export of n rows in the shape of
// testdata/crm_opportunities.csv: a quarter early-stage rows without dates
// (half of them without an account), the rest engaged, won or lost, lost
// rows without reasons; no lead of any row exists.
func crmExport(seed uint64, n int) []byte {
	rnd := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	b.WriteString("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n")
	start := time.Date(2016, 10, 20, 0, 0, 0, 0, time.UTC)
	for i := range n {
		agent := fmt.Sprintf("Agent %d", rnd.IntN(35))
		product := fmt.Sprintf("Product %d", rnd.IntN(7))
		account := fmt.Sprintf("Account %d", rnd.IntN(85))
		engage := start.AddDate(0, 0, rnd.IntN(700))
		closeAt := engage.AddDate(0, 0, 1+rnd.IntN(120))
		switch r := rnd.IntN(100); {
		case r < 25:
			if r < 12 {
				account = ""
			}
			fmt.Fprintf(&b, "S%07d,%s,%s,%s,Prospecting,,,\n", i, agent, product, account)
		case r < 45:
			fmt.Fprintf(&b, "S%07d,%s,%s,%s,Engaging,%s,,\n", i, agent, product, account, engage.Format("2006-01-02"))
		case r < 75:
			fmt.Fprintf(&b, "S%07d,%s,%s,%s,Won,%s,%s,%d\n", i, agent, product, account, engage.Format("2006-01-02"),
				closeAt.Format("2006-01-02"), 50+rnd.IntN(30000))
		default:
			fmt.Fprintf(&b, "S%07d,%s,%s,%s,Lost,%s,%s,0\n", i, agent, product, account, engage.Format("2006-01-02"),
				closeAt.Format("2006-01-02"))
		}
	}
	return b.Bytes()
}

// BenchmarkImportOpportunities imports a 100,000-opportunity export with
// the crm preset, alone (every deal creates its lead), in batches of 1,000
// as `tandem import deals FILE --preset crm` does, under the signed default
// agreement. The target is under 15 s on SQLite and 20 s on PostgreSQL.
//
//	go test ./sqldb -run '^$' -bench ImportOpportunities -benchtime 1x
func BenchmarkImportOpportunities(b *testing.B) {
	n := benchOpportunities
	file := crmExport(1, n)
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			var cpu time.Duration // of this process: PostgreSQL's server is not counted
			for b.Loop() {
				b.StopTimer()
				db, _ := openB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				signDefault(b, db, string(agreement.Default()))
				m, err := csvimport.PresetFor("deals", "crm")
				if err != nil {
					b.Fatalf("csvimport.PresetFor: %v", err)
				}
				r, err := csvimport.NewReader(bytes.NewReader(file), m)
				if err != nil {
					b.Fatalf("csvimport.NewReader: %v", err)
				}
				im := csvimport.Import{Batch: 1000, Store: func(ctx context.Context, rows []csvimport.Row) ([]csvimport.Result, error) {
					return db.Import(ctx, "deals", rows, sqldb.ImportOptions{File: "opportunities.csv"})
				}}
				b.StartTimer()
				start := cpuTime()
				t, err := im.Run(ctx, r)
				cpu += cpuTime() - start
				if err != nil {
					b.Fatalf("Run: %v", err)
				}
				if t.Created != n {
					b.Fatalf("tally %+v; want %d created", t, n)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/import")
		})
		// The floor, measured in the same run: the same leads created
		// alone (what the import must do before it writes a deal), by
		// IntakeLeads in batches of 1,000.
		b.Run(be.Name+"/leads-floor", func(b *testing.B) {
			ctx := context.Background()
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				db, _ := openB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				signDefault(b, db, string(agreement.Default()))
				b.StartTimer()
				start := cpuTime()
				for from := 0; from < n; from += 1000 {
					in := make([]tandem.LeadInput, 0, 1000)
					for i := from; i < min(n, from+1000); i++ {
						in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": fmt.Sprintf("S%07d", i), "stage": tandem.StageOpportunity,
							"origin": "prospecting", "created_at": "2017-01-02", "company": "Account 1"}})
					}
					if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{DefaultSource: csvimport.DefaultSource, Actor: "import:leads"}); err != nil {
						b.Fatalf("IntakeLeads: %v", err)
					}
				}
				cpu += cpuTime() - start
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/import")
		})
	}
}

// benchOpportunities is the size of the export; TANDEM_BENCH_OPPORTUNITIES
// makes it smaller for a profile.
var benchOpportunities = func() int {
	if n, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_OPPORTUNITIES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}()
