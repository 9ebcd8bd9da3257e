package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/webhook"
)

// BenchmarkInbound sends leads through the two inbound doors on a real
// server over loopback, under the signed default agreement (so the stage
// rules run), and reports leads per second:
//
//   - form: 5,000 website form posts (urlencoded, one lead each, from an
//     allowed origin, each with its submission id), from 16 clients at once;
//
//   - hubspot: 100 HubSpot webhook requests of 50 new contacts each (two
//     events a contact: creation and email, as HubSpot batches them), each
//     signed with X-HubSpot-Signature-v3 and checked, from 4 clients;
//
//   - standard: 100 Standard Webhooks requests of 50 leads each, signed with
//     package webhook and checked, from 4 clients.
//
//     go test ./http -run '^$' -bench Inbound -benchtime 1x
func BenchmarkInbound(b *testing.B) {
	be := sqldbtest.Backends(b)[0] // SQLite: the figure the issue asks for
	b.Run("form", func(b *testing.B) {
		const n, clients = 5000, 16
		db, _ := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
		signDefault(b, db)
		site := "https://www.example.com"
		if _, err := db.SaveForm(context.Background(), inbound.Form{Name: "bench", Mapping: inbound.DefaultFormMapping, Origins: []string{site},
			PerMinute: inbound.MaxPerMinute, Honeypot: "website", Campaign: "spring"}); err != nil {
			b.Fatalf("SaveForm: %v", err)
		}
		s := startServer(b, db, nil)
		tr := &http.Transport{MaxIdleConnsPerHost: clients}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		for range b.N {
			var next atomic.Int64
			start, cpu0 := time.Now(), cpuTime()
			var g errgroup.Group
			for range clients {
				g.Go(func() error {
					for i := next.Add(1); i <= n; i = next.Add(1) {
						body := url.Values{"email": {fmt.Sprintf("f%d@example.com", i)}, "first_name": {"Bench"},
							"submission_id": {"b" + strconv.FormatInt(i, 10)}, "website": {""}}.Encode()
						req, _ := http.NewRequest("POST", s.URL()+"/f/bench", strings.NewReader(body))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						req.Header.Set("Origin", site)
						req.Header.Set("Sec-Fetch-Site", "cross-site")
						req.Header.Set("Accept", "application/json")
						resp, err := client.Do(req)
						if err != nil {
							return err
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusCreated {
							return fmt.Errorf("post %d: %s", i, resp.Status)
						}
					}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "leads/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/lead")
		}
		// How many posts a transaction took (group commit): 1 would be
		// one lead per request.
		b.ReportMetric(float64(s.formPosts.taken.Load())/float64(max(1, s.formPosts.batches.Load())), "posts/batch")
	})
	b.Run("hubspot", func(b *testing.B) {
		const requests, perRequest, clients = 100, 50, 4
		db, clk := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
		signDefault(b, db)
		secret := "hubspot-client-secret-bench"
		if _, err := db.SaveSource(context.Background(), inbound.Source{Name: "hubspot", Kind: inbound.KindHubSpot, Secrets: []string{secret}}); err != nil {
			b.Fatalf("SaveSource: %v", err)
		}
		s := startServer(b, db, nil)
		tr := &http.Transport{MaxIdleConnsPerHost: clients}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		bodies := make([]string, requests)
		for r := range bodies {
			var ev []string
			for c := range perRequest {
				id := r*perRequest + c + 1
				ev = append(ev, fmt.Sprintf(`{"eventId":%d,"occurredAt":%d,"subscriptionType":"contact.creation","objectId":%d}`, 2*id, clk.Now().UnixMilli(), id),
					fmt.Sprintf(`{"eventId":%d,"occurredAt":%d,"subscriptionType":"contact.propertyChange","objectId":%d,"propertyName":"email","propertyValue":"h%d@example.com"}`,
						2*id+1, clk.Now().UnixMilli(), id, id))
			}
			bodies[r] = "[" + strings.Join(ev, ",") + "]"
		}
		for range b.N {
			var next atomic.Int64
			start, cpu0 := time.Now(), cpuTime()
			var g errgroup.Group
			for range clients {
				g.Go(func() error {
					for i := next.Add(1); i <= requests; i = next.Add(1) {
						req := hubspotSigned(s.URL(), "/api/v1/hooks/hubspot", secret, bodies[i-1], clk.Now().Add(time.Duration(i)*time.Millisecond))
						resp, err := client.Do(req)
						if err != nil {
							return err
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							return fmt.Errorf("request %d: %s", i, resp.Status)
						}
					}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(requests*perRequest)/time.Since(start).Seconds(), "leads/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(requests*perRequest), "cpu-µs/lead")
		}
	})
	b.Run("standard", func(b *testing.B) { benchStandard(b, be) })
}

func benchStandard(b *testing.B, be sqldbtest.Backend) {
	const requests, perRequest, clients = 100, 50, 4
	db, clk := openDB(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)})
	signDefault(b, db)
	key := webhook.NewSecret()
	if _, err := db.SaveSource(context.Background(), inbound.Source{Name: "crm", Kind: inbound.KindStandard, Secrets: []string{key.String()}}); err != nil {
		b.Fatalf("SaveSource: %v", err)
	}
	s := startServer(b, db, nil)
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	bodies := make([]string, requests)
	for r := range bodies {
		var recs []string
		for c := range perRequest {
			id := r*perRequest + c + 1
			recs = append(recs, fmt.Sprintf(`{"external_id":"s%d","email":"s%d@example.com","first_name":"Bench"}`, id, id))
		}
		bodies[r] = `{"type":"lead.created","timestamp":"2026-11-02T09:00:00Z","data":[` + strings.Join(recs, ",") + `]}`
	}
	for range b.N {
		var next atomic.Int64
		start, cpu0 := time.Now(), cpuTime()
		var g errgroup.Group
		for range clients {
			g.Go(func() error {
				for i := next.Add(1); i <= requests; i = next.Add(1) {
					req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/hooks/crm", strings.NewReader(bodies[i-1]))
					req.Header.Set("Content-Type", "application/json")
					webhook.SetHeaders(req.Header, key, "msg_"+strconv.FormatInt(i, 10), clk.Now(), []byte(bodies[i-1]))
					resp, err := client.Do(req)
					if err != nil {
						return err
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("request %d: %s", i, resp.Status)
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(requests*perRequest)/time.Since(start).Seconds(), "leads/s")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(requests*perRequest), "cpu-µs/lead")
	}
}

// hubspotSigned is a request signed as HubSpot signs (v3), through the
// package's own signer: the tests (hooks_test.go) check that signer
// against the documentation's recipe.
func hubspotSigned(base, path, secret, body string, at time.Time) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(inbound.HubSpotSignatureHeader, inbound.SignHubSpot(secret, "POST", base+path, []byte(body), ts))
	req.Header.Set(inbound.HubSpotTimestampHeader, ts)
	return req
}
