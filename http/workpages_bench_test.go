package http

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// BenchmarkQueuePage draws the queue of a rep with 5,000 open tasks (5,000
// leads handed off to the only rep, under the default agreement without its
// capacity cap) through the server's handler, session and all, and reports
// the 95th percentile of the time to answer (p95-ms) besides the mean, and
// the CPU time per page (cpu-ms/op), which other work on a shared machine
// does not inflate.
// show= is the number of rows drawn: the page's default (100) and its most
// (1,000). The lead page of one of them is measured too.
//
//	go test ./http -run '^$' -bench QueuePage -benchtime 200x
func BenchmarkQueuePage(b *testing.B) {
	const n = 5000
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			db, clk := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
			clk.Set(time.Date(2026, 11, 2, 10, 0, 0, 0, newYork))
			rep := queueBenchData(b, db, n)
			_, secret, err := db.CreateSession(ctx, rep.ID)
			if err != nil {
				b.Fatalf("CreateSession: %v", err)
			}
			clk.Advance(30 * time.Minute) // some clocks overdue, some not
			h := NewServer(db, nil).Handler()
			page, _, err := db.QueuePage(ctx, []int64{rep.ID}, 1)
			if err != nil || len(page) == 0 {
				b.Fatalf("QueuePage = %v, %v", page, err)
			}
			for _, path := range []string{"/queue", "/queue?show=1000", fmt.Sprintf("/leads/%d", page[0].Lead.ID)} {
				b.Run(strings.NewReplacer("/", "_", "?", "_").Replace(path), func(b *testing.B) {
					var times []time.Duration
					cpu0 := cpuTime()
					for b.Loop() {
						req := httptest.NewRequest("GET", path, nil)
						req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
						rec := httptest.NewRecorder()
						start := time.Now()
						h.ServeHTTP(rec, req)
						times = append(times, time.Since(start))
						if rec.Code != 200 {
							b.Fatalf("GET %s = %d\n%s", path, rec.Code, rec.Body)
						}
						if path == "/queue" && !strings.Contains(rec.Body.String(), strconv.Itoa(n)+" open tasks") {
							b.Fatalf("GET /queue does not count %d open tasks", n)
						}
					}
					// The process's CPU time per page (the handler, the
					// templates, SQLite's engine; not PostgreSQL's server):
					// unlike wall time, other work on the machine does not
					// change it.
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(times)), "cpu-ms/op")
					slices.Sort(times)
					p95 := times[len(times)*95/100]
					b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
				})
			}
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// queueBenchData hands n leads off to one rep and returns the rep.
func queueBenchData(b *testing.B, db *sqldb.DB, n int) tandem.User {
	ctx := context.Background()
	rep := tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}
	for _, u := range []*tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead}, {Email: "sam@example.com", Role: tandem.RoleSalesHead},
		&rep, {Email: "max@example.com", Role: tandem.RoleSalesManager}} {
		if err := db.CreateUser(ctx, u); err != nil {
			b.Fatalf("CreateUser: %v", err)
		}
	}
	body := strings.Replace(string(agreement.Default()), "capacity: 40", "capacity: 0", 1)
	tandemtest.Sign(b, db, body, "mia@example.com", "sam@example.com")
	for i := 0; i < n; i += 1000 {
		var in []tandem.LeadInput
		for j := i; j < min(n, i+1000); j++ {
			in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": strconv.Itoa(j),
				"email": fmt.Sprintf("l%d@example.com", j), "first_name": "Lead", "last_name": strconv.Itoa(j),
				"company": "Company " + strconv.Itoa(j%97), "score": "80"}})
		}
		if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{}); err != nil {
			b.Fatalf("IntakeLeads: %v", err)
		}
	}
	return rep
}
