package sqldb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// peakHeap samples the heap in use until stop is called, which returns
// the most seen.
func peakHeap() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// cpuTime is the CPU time the process has used, in user and system mode:
// on a shared machine, wall-clock time says more about the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDumpLoad dumps TANDEM_BENCH_LEADS leads (default 100,000, each
// with its created event, a quarter moved on by the agreement's rules)
// and loads the dump into a new database of the same kind, reporting rows
// per second and the most heap in use during each: the dump streams, so
// its heap does not grow with the leads.
//
//	TANDEM_BENCH_LEADS=100000 go test ./sqldb -run '^$' -bench DumpLoad -benchtime 1x
func BenchmarkDumpLoad(b *testing.B) {
	n := 100_000
	if v := os.Getenv("TANDEM_BENCH_LEADS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db, _ := openB(b, be)
			signDefault(b, db, string(agreement.Default()))
			for i := 0; i < n; i += 1000 {
				in := make([]tandem.LeadInput, 0, 1000)
				for j := i; j < min(n, i+1000); j++ {
					in = append(in, input("external_id", fmt.Sprintf("b%07d", j), "email", fmt.Sprintf("b%d@example.com", j),
						"origin", []string{"email", "social", "paid", "event"}[j%4], "score", strconv.Itoa(j%100),
						"company", "Company "+strconv.Itoa(j%5000), "attributes.landing_page_id", "lp-"+strconv.Itoa(j%40)))
				}
				if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{DefaultSource: "web", Actor: "bench"}); err != nil {
					b.Fatalf("IntakeLeads: %v", err)
				}
			}
			b.ResetTimer()
			for range b.N {
				dir := filepath.Join(b.TempDir(), "dump")
				stop := peakHeap()
				start, cpu := time.Now(), cpuTime()
				m, err := db.Dump(ctx, dir)
				if err != nil {
					b.Fatalf("Dump: %v", err)
				}
				dumpTook, dumpCPU, dumpPeak := time.Since(start), cpuTime()-cpu, stop()
				var rows int64
				for _, t := range m.Tables {
					rows += t.Rows
				}
				dst, _ := openB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				runtime.GC()
				stop = peakHeap()
				start, cpu = time.Now(), cpuTime()
				if _, err := dst.Load(ctx, dir, nil); err != nil {
					b.Fatalf("Load: %v", err)
				}
				loadTook, loadCPU, loadPeak := time.Since(start), cpuTime()-cpu, stop()
				b.ReportMetric(float64(rows)/dumpTook.Seconds(), "dump-rows/s")
				b.ReportMetric(float64(dumpPeak)/(1<<20), "dump-peak-heap-MB")
				b.ReportMetric(float64(rows)/loadTook.Seconds(), "load-rows/s")
				b.ReportMetric(float64(loadPeak)/(1<<20), "load-peak-heap-MB")
				b.Logf("%d leads, %d rows: dump %s (%s of CPU in this process), load %s (%s of CPU; stage entries and counts rebuilt)", n, rows,
					dumpTook.Round(time.Millisecond), dumpCPU.Round(time.Millisecond), loadTook.Round(time.Millisecond), loadCPU.Round(time.Millisecond))
			}
		})
	}
}
