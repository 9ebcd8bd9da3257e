package http

import (
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestMetricsRoute: GET /metrics answers 404 when no metrics token is
// set; with one, 401 without it or with another, and 200 with it. The
// body is Prometheus' text, which expfmt parses, and counts the API's
// requests by route pattern and status (a 404 under "none"), and the
// leads taken by path (the API, a website form) and status.
func TestMetricsRoute(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		if r := ts.doSecret("GET", "/metrics", "", nil); r.status != 404 {
			t.Errorf("GET /metrics without a metrics token set = %v; want 404", r)
		}
		ts.s = startServer(t, ts.db, func(s *Server) { s.Metrics, s.MetricsToken = metrics.New(ts.db, ts.clk), "scrape-me" })
		signDefault(t, ts.db)
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `[{"external_id":"m1","email":"m1@example.com"},{"external_id":"m2","email":"m2@example.com"}]`, 200, nil)
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `{"external_id":"m1","email":"m1@example.com"}`, 200, nil)
		// A website form's post (from a server: no Origin) and a new lead
		// typed on the page count by their paths.
		saveForm(t, ts.db, inbound.Form{Name: "m"})
		if r := ts.postFormWith("/f/m", "application/x-www-form-urlencoded", "email=f1%40example.com", nil); r.status != 200 {
			t.Fatalf("POST /f/m = %v; want 200", r)
		}
		// A CSV imported on the import page: three leads taken (one with a
		// name and no email, as exports have) and one refused (a bad score).
		users := pageUsers(t, ts.db)
		wc := newWebClient(t, ts.s.URL())
		want(t, "sign in", wc.login(users[tandem.RoleMarketing].Email, testPassword), 303, "/")
		up := wc.upload("m.csv", []byte("Email,First Name,Score\ni1@example.com,A,5\ni2@example.com,B,7\n,C,1\ni4@example.com,D,lots\n"))
		id := strings.TrimPrefix(up.header.Get("Location"), "/import?upload=")
		want(t, "run the import", wc.post("/import/run", url.Values{"upload": {id}, "mapped": {"1"}, "col0": {"email"}, "col1": {"first_name"}, "col2": {"score"}}), 303, "/import?upload="+id)
		want(t, "the finished import", wc.waitImport(id), 200, "<strong>3</strong> taken in", "<strong>1</strong> rejected")
		ts.do("GET", "/api/v1/leads/999999", tandem.RoleAdmin, "")
		ts.do("GET", "/api/v1/nothing-here", tandem.RoleAdmin, "")
		for _, secret := range []string{"", "scrape-you"} {
			if r := ts.doSecret("GET", "/metrics", secret, nil); r.status != 401 {
				t.Errorf("GET /metrics with token %q = %v; want 401", secret, r)
			}
		}
		r := ts.doSecret("GET", "/metrics", "scrape-me", nil)
		if r.status != 200 {
			t.Fatalf("GET /metrics with the token = %v; want 200", r)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(string(r.body)))
		if err != nil {
			t.Fatalf("parsing /metrics: %v", err)
		}
		count := func(name string, labels map[string]string) float64 {
			f := fams[name]
			if f == nil {
				return -1
			}
			for _, m := range f.GetMetric() {
				got := map[string]string{}
				for _, l := range m.GetLabel() {
					got[l.GetName()] = l.GetValue()
				}
				match := true
				for k, v := range labels {
					match = match && got[k] == v
				}
				if match {
					if m.Histogram != nil {
						return float64(m.Histogram.GetSampleCount())
					}
					return m.GetCounter().GetValue()
				}
			}
			return 0
		}
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"tandem_http_request_duration_seconds", map[string]string{"route": "POST /api/v1/leads", "status": "200"}, 2},
			{"tandem_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/leads/{id}", "status": "404"}, 1},
			{"tandem_http_request_duration_seconds", map[string]string{"route": "none", "status": "404"}, 1},
			{"tandem_leads_taken_total", map[string]string{"path": "api", "status": tandem.StatusCreated}, 2},
			{"tandem_leads_taken_total", map[string]string{"path": "api", "status": tandem.StatusUnchanged}, 1},
			{"tandem_leads_taken_total", map[string]string{"path": "form", "status": tandem.StatusCreated}, 1},
			{"tandem_leads_taken_total", map[string]string{"path": "import", "status": tandem.StatusCreated}, 3},
			{"tandem_leads_taken_total", map[string]string{"path": "import", "status": tandem.StatusRejected}, 1},
		} {
			if got := count(c.name, c.labels); got != c.want {
				t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
			}
		}
	})
}
