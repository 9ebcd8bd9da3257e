package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

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

// BenchmarkHTTPIntake POSTs 100,000 realistic leads in batches of 1,000 to
// a real server over loopback, under the signed default agreement (so the
// stage rules run), and reports leads per second: the store's work plus
// HTTP, JSON decoding and validation, from one client and from two clients
// at once. Making and encoding the leads is not timed.
//
//	go test ./http -run '^$' -bench HTTPIntake -benchtime 1x
func BenchmarkHTTPIntake(b *testing.B) {
	const n, batch = 100_000, 1000
	for _, be := range sqldbtest.Backends(b) {
		for _, clients := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/clients=%d", be.Name, clients), func(b *testing.B) {
				db, _ := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
				signDefault(b, db)
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
				for b.Loop() {
					b.StopTimer()
					seed++
					bodies := jsonBatches(b, sim.Leads(seed, n, epoch), batch)
					b.StartTimer()
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
					written += n
				}
				b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "leads/s")
			})
		}
	}
}
