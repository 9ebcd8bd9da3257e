package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

var metricsURLRE = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/metrics)`)

// TestServeMetrics: tandem serve with --metrics-token serves /metrics on
// its address to the token only (401 without), and with --metrics-addr on
// an address of its own without one; both show the clocks open in the
// database (three timers stored before serve started), parsed by expfmt.
func TestServeMetrics(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := clock.NewFake(epoch)
			db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
			if err != nil {
				t.Fatalf("sqldb.Open: %v", err)
			}
			for i := range 3 {
				if _, err := db.AddTimer(ctx, sqldb.Timer{Kind: "far", DueAt: epoch.AddDate(4, 0, i)}); err != nil {
					t.Fatalf("AddTimer: %v", err)
				}
			}
			db.Close()
			srv := startServing(t, ctx, &Main{Getenv: noEnv, Clock: clk}, "--db", b.DSN, "serve", "--addr", "127.0.0.1:0",
				"--metrics-token", "s3cret", "--metrics-addr", "127.0.0.1:0")
			get := func(u, token string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest("GET", u, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", u, err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(body)
			}
			if status, _ := get(srv.url+"/metrics", ""); status != 401 {
				t.Errorf("GET /metrics on --addr without the token = %d; want 401", status)
			}
			var own string
			deadline := time.Now().Add(20 * time.Second)
			for own == "" && time.Now().Before(deadline) {
				if m := metricsURLRE.FindStringSubmatch(srv.stderr.String()); m != nil {
					own = m[1]
				}
				time.Sleep(20 * time.Millisecond)
			}
			if own == "" {
				t.Fatalf("serve logged no metrics address; stderr:\n%s", srv.stderr)
			}
			for _, c := range []struct{ url, token string }{{srv.url + "/metrics", "s3cret"}, {own, ""}} {
				var open float64 = -1
				for time.Now().Before(deadline) && open != 3 {
					status, body := get(c.url, c.token)
					if status != 200 {
						t.Fatalf("GET %s = %d; want 200", c.url, status)
					}
					p := expfmt.NewTextParser(model.UTF8Validation)
					fams, err := p.TextToMetricFamilies(strings.NewReader(body))
					if err != nil {
						t.Fatalf("parsing %s: %v", c.url, err)
					}
					if f := fams["tandem_clocks_open"]; f != nil {
						open = f.GetMetric()[0].GetGauge().GetValue()
					}
					time.Sleep(50 * time.Millisecond)
				}
				if open != 3 {
					t.Errorf("GET %s: tandem_clocks_open = %v; want 3", c.url, open)
				}
			}
			cancel()
			select {
			case <-srv.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not stop within 30s")
			}
		})
	}
}
