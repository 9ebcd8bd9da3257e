package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sim"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// jsonBatches encodes lead inputs as the JSON bodies a client would POST,
// size leads to a body, attributes nested under "attributes".
func jsonBatches(tb testing.TB, inputs []tandem.LeadInput, size int) [][]byte {
	tb.Helper()
	var bodies [][]byte
	for len(inputs) > 0 {
		n := min(len(inputs), size)
		items := make([]map[string]any, n)
		for i, in := range inputs[:n] {
			item := map[string]any{}
			attrs := map[string]string{}
			for k, v := range in.Fields {
				if a, ok := strings.CutPrefix(k, tandem.AttributePrefix); ok {
					attrs[a] = v
				} else {
					item[k] = v
				}
			}
			if len(attrs) > 0 {
				item["attributes"] = attrs
			}
			items[i] = item
		}
		b, err := json.Marshal(items)
		if err != nil {
			tb.Fatalf("json.Marshal: %v", err)
		}
		bodies = append(bodies, b)
		inputs = inputs[n:]
	}
	return bodies
}

// BenchmarkHTTPIntake POSTs 100,000 realistic leads (TANDEM_BENCH_LEADS
// for fewer) in batches of 1,000 to a real server over loopback, under the
// signed default agreement, and reports leads per second: the store's work
// plus HTTP, JSON decoding and validation. It runs two ways, as
// BenchmarkIntake does: history (leads dated over the year before the
// agreement: the stage rules run, nothing is handed off), from one client
// and from two at once; and live (leads arriving now, with four reps to
// route to: hand-offs, clocks and tasks are written), from one client.
// Making and encoding the leads is not timed.
//
//	go test ./http -run '^$' -bench HTTPIntake -benchtime 1x
func BenchmarkHTTPIntake(b *testing.B) {
	const batch = 1000
	n := 100_000
	if s := os.Getenv("TANDEM_BENCH_LEADS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < batch || n%batch != 0 {
			b.Fatalf("TANDEM_BENCH_LEADS=%q: want a multiple of %d", s, batch)
		}
	}
	type way struct {
		mode    string
		clients int
	}
	for _, be := range sqldbtest.Backends(b) {
		for _, w := range []way{{"history", 1}, {"history", 2}, {"live", 1}} {
			clients := w.clients
			b.Run(fmt.Sprintf("%s/%s/clients=%d", be.Name, w.mode, clients), func(b *testing.B) {
				db, _ := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				signDefault(b, db)
				if w.mode == "live" {
					for _, email := range []string{"ria@example.com", "roy@example.com", "rae@example.com"} {
						if err := db.CreateUser(context.Background(), &tandem.User{Email: email, Role: tandem.RoleSalesRep}); err != nil {
							b.Fatalf("CreateUser(%s): %v", email, err)
						}
					}
				}
				secret := createTokens(b, db)[tandem.RoleMarketing]
				s := startServer(b, db, nil)
				tr := &http.Transport{}
				defer tr.CloseIdleConnections()
				client := &http.Client{Transport: tr}
				post := func(body []byte) error {
					req, err := http.NewRequest("POST", s.URL()+"/api/v1/leads", bytes.NewReader(body))
					if err != nil {
						return err
					}
					req.Header.Set("Authorization", "Bearer "+secret)
					resp, err := client.Do(req)
					if err != nil {
						return err
					}
					got, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						return err
					}
					if resp.StatusCode != 200 || !bytes.Contains(got, []byte(`"created":1000,`)) {
						return fmt.Errorf("POST /api/v1/leads = %d %.300s; want 200 with 1000 created", resp.StatusCode, got)
					}
					return nil
				}
				var seed uint64
				var written int
				var cpu time.Duration
				for b.Loop() {
					b.StopTimer()
					seed++
					leads := sim.Leads(seed, n, epoch)
					if w.mode == "live" {
						// Arriving now: intake dates them at its own time.
						for i := range leads {
							delete(leads[i].Fields, "created_at")
							delete(leads[i].Fields, "attributes.first_visited")
						}
					}
					bodies := jsonBatches(b, leads, batch)
					b.StartTimer()
					cpu0 := cpuTime()
					var g errgroup.Group
					for c := range clients {
						g.Go(func() error {
							for i := c; i < len(bodies); i += clients {
								if err := post(bodies[i]); err != nil {
									return err
								}
							}
							return nil
						})
					}
					if err := g.Wait(); err != nil {
						b.Fatalf("Wait: %v", err)
					}
					cpu += cpuTime() - cpu0
					written += n
				}
				b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "leads/s")
				b.ReportMetric(float64(cpu.Microseconds())/float64(written), "cpu-µs/lead")
			})
		}
	}
}
