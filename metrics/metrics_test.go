package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
	"github.com/tandemhq/tandem/worker"
)

var newYork, _ = time.LoadLocation("America/New_York")

// monday is 10:00 on Monday 23 November 2026 in New York, the default
// agreement's zone.
var monday = time.Date(2026, time.November, 23, 10, 0, 0, 0, newYork).UTC()

// scrape reads the metrics as a scraper would and parses them with
// Prometheus' own parser.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d; want 200", rec.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parsing the metrics' text: %v\n%s", err, rec.Body.String())
	}
	return fams
}

// value returns the value of the family's series whose labels include
// those given (name=value pairs); ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// bucket returns the cumulative count of the histogram series (labels as
// in value) at the upper bound le.
func bucket(fams map[string]*dto.MetricFamily, name string, le float64, labels ...string) (uint64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := true
		for i := 0; i < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			match = match && found
		}
		if !match || m.Histogram == nil {
			continue
		}
		for _, b := range m.Histogram.GetBucket() {
			if b.GetUpperBound() == le {
				return b.GetCumulativeCount(), true
			}
		}
	}
	return 0, false
}

// TestMetricsShowTheClocks runs the SLA engine on a real store with email
// on: two leads are handed off at 10:00, the worker is stopped, and its
// next round runs at 10:12, two minutes after the first clocks fell due.
// Before the store is read the clock gauges are absent (not zero); the
// scrapes, parsed by expfmt, then show the clocks open and due as the
// store's own timer list counts them; after the round, each clock fired
// 120 s late (in the 300 s bucket, not the 60 s one; counted late), each
// breached and its first escalation step notified, the email backlog and
// its age (written 10:12, read 10:13: 60 s), the pools and Go's runtime.
func TestMetricsShowTheClocks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(monday.Add(-time.Hour))
		db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk, Channels: notify.Routes(notify.Channels())})
		if err != nil {
			t.Fatalf("Open(%s): %v", b.Name, err)
		}
		t.Cleanup(func() { db.Close() })
		c := tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex, tandemtest.Ria)
		c.Sign(t, db, string(agreement.Default()))
		clk.Set(monday)
		for _, ext := range []string{"a", "b"} {
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": ext, "email": ext + "@example.com",
				"score": "70", "company": "Co " + ext}}}, sqldb.IntakeOptions{})
			if err != nil || rs[0].Err != nil || rs[0].Status != tandem.StatusCreated {
				t.Fatalf("IntakeLeads(%s) = %+v, %v; want created", ext, rs, err)
			}
		}
		m := metrics.New(db, clk)
		open := len(pendingTimers(t, db))
		if open == 0 {
			t.Fatalf("no timers pending after two hand-offs")
		}
		fams := scrape(t, m)
		if _, ok := value(fams, "tandem_clocks_open"); ok {
			t.Errorf("tandem_clocks_open reported before the store was read; want it absent")
		}
		if err := m.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		fams = scrape(t, m)
		if v, _ := value(fams, "tandem_clocks_open"); v != float64(open) {
			t.Errorf("tandem_clocks_open = %v; want %d", v, open)
		}
		if v, ok := value(fams, "tandem_clocks_due"); !ok || v != 0 {
			t.Errorf("tandem_clocks_due = %v (present %v); want 0", v, ok)
		}

		clk.Set(monday.Add(12 * time.Minute)) // the first clocks fell due at 10:10
		// What is due, by kind, as the store's list of timers says.
		due := map[string]int{}
		nDue := 0
		for _, tm := range pendingTimers(t, db) {
			if !tm.DueAt.After(clk.Now()) {
				if got := clk.Now().Sub(tm.DueAt); got != 2*time.Minute {
					t.Fatalf("timer %d (%s) is due at %v, %v before 10:12; the test wants each due at 10:10", tm.ID, tm.Kind, tm.DueAt, got)
				}
				due[tm.Kind]++
				nDue++
			}
		}
		if due[sqldb.TimerFirstTouch] != 2 {
			t.Fatalf("first-touch clocks due at 10:12: %d; want 2 (%v)", due[sqldb.TimerFirstTouch], due)
		}
		if err := m.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		fams = scrape(t, m)
		if v, _ := value(fams, "tandem_clocks_due"); v != float64(nDue) {
			t.Errorf("at 10:12, tandem_clocks_due = %v; want %d (%v)", v, nDue, due)
		}
		w := &worker.Worker{DB: db, Clock: clk, Name: "w", Fire: db.FireSLA(), Metrics: m}
		if n, err := w.RunOnce(ctx); err != nil || n != nDue {
			t.Fatalf("RunOnce = %d, %v; want %d fired", n, err, nDue)
		}
		// Every clock that fell due was unmet: each is a breach whose
		// first escalation step (after 0) notifies at once.
		breaches := due[sqldb.TimerFirstTouch] + due[sqldb.TimerAccept] + due[sqldb.TimerStep]
		clk.Set(monday.Add(13 * time.Minute))
		if err := m.Refresh(ctx); err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		fams = scrape(t, m)
		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"tandem_breaches_total", nil, float64(breaches)},
			{"tandem_escalations_total", nil, float64(breaches)},
			{"tandem_clocks_due", nil, 0},
			{"tandem_clocks_open", nil, float64(len(pendingTimers(t, db)))},
		}
		for kind, n := range due {
			checks = append(checks,
				struct {
					name   string
					labels []string
					want   float64
				}{"tandem_clocks_fired_total", []string{"kind", kind}, float64(n)},
				struct {
					name   string
					labels []string
					want   float64
				}{"tandem_clocks_fired_late_total", []string{"kind", kind}, float64(n)},
				struct {
					name   string
					labels []string
					want   float64
				}{"tandem_clock_lateness_seconds", []string{"kind", kind}, float64(n)})
		}
		for _, c := range checks {
			if v, ok := value(fams, c.name, c.labels...); !ok || v != c.want {
				t.Errorf("%s%v = %v (present %v); want %v", c.name, c.labels, v, ok, c.want)
			}
		}
		if n, _ := bucket(fams, "tandem_clock_lateness_seconds", 60, "kind", sqldb.TimerFirstTouch); n != 0 {
			t.Errorf("lateness bucket le=60 = %d; want 0 (they fired 120 s late)", n)
		}
		if n, _ := bucket(fams, "tandem_clock_lateness_seconds", 300, "kind", sqldb.TimerFirstTouch); n != 2 {
			t.Errorf("lateness bucket le=300 = %d; want 2", n)
		}
		// Each breach's first escalation step notifies by email, written
		// at 10:12 and read a minute later.
		emails, err := db.Notifications(ctx, sqldb.NotificationFilter{Channel: notify.ChannelEmail})
		if err != nil {
			t.Fatalf("Notifications(email): %v", err)
		}
		if len(emails) == 0 {
			t.Fatalf("no email notifications after %d breaches", breaches)
		}
		if v, _ := value(fams, "tandem_outbox_pending", "channel", notify.ChannelEmail); v != float64(len(emails)) {
			t.Errorf("tandem_outbox_pending{channel=email} = %v; want %d", v, len(emails))
		}
		if v, _ := value(fams, "tandem_outbox_oldest_age_seconds", "channel", notify.ChannelEmail); v != 60 {
			t.Errorf("tandem_outbox_oldest_age_seconds{channel=email} = %v; want 60", v)
		}
		if b.Name == "sqlite" {
			if v, _ := value(fams, "tandem_db_connections_max", "pool", "write"); v != 1 {
				t.Errorf("tandem_db_connections_max{pool=write} = %v; want 1 (SQLite's one writer)", v)
			}
		}
		if _, ok := value(fams, "tandem_db_connections_open", "pool", "write"); !ok {
			t.Errorf("tandem_db_connections_open{pool=write} missing")
		}
		if _, ok := value(fams, "go_goroutines"); !ok {
			t.Errorf("go_goroutines missing: want Go's runtime metrics")
		}
	})
}

// pendingTimers lists the pending timers of the two leads through the
// store's own list of a lead's timers, not through the gauges under test.
func pendingTimers(t *testing.T, db *sqldb.DB) []sqldb.Timer {
	t.Helper()
	var out []sqldb.Timer
	for lead := int64(1); lead <= 2; lead++ {
		ts, err := db.Timers(context.Background(), lead)
		if err != nil {
			t.Fatalf("Timers(%d): %v", lead, err)
		}
		for _, tm := range ts {
			if tm.State == sqldb.TimerPending {
				out = append(out, tm)
			}
		}
	}
	return out
}

// TestDeliveredCountsFailures: a nil *Metrics counts nothing and does not
// panic; a real one counts sends and failures by channel.
func TestDeliveredCountsFailures(t *testing.T) {
	var none *metrics.Metrics
	none.Delivered("email", nil)
	none.TimerFired("x", time.Second, sqldb.Fired{})
	none.ObserveRequest("GET /", 200, time.Millisecond)
	none.LeadsTaken("api", "created", 1)

	db := openSQLite(t)
	m := metrics.New(db, clock.NewFake(monday))
	m.Delivered("email", nil)
	m.Delivered("email", errors.New("421 try later"))
	m.Delivered("email", errors.New("421 try later"))
	m.ObserveRequest("GET /api/v1/leads", 200, 3*time.Millisecond)
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"tandem_notifications_sent_total", []string{"channel", "email"}, 1},
		{"tandem_notification_failures_total", []string{"channel", "email"}, 2},
		{"tandem_http_request_duration_seconds", []string{"route", "GET /api/v1/leads", "status", "200"}, 1},
	} {
		if v, ok := value(fams, c.name, c.labels...); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v); want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if n, _ := bucket(fams, "tandem_http_request_duration_seconds", 0.0025, "route", "GET /api/v1/leads"); n != 0 {
		t.Errorf("a 3 ms request in the 2.5 ms bucket: %d; want 0", n)
	}
	if n, _ := bucket(fams, "tandem_http_request_duration_seconds", 0.005, "route", "GET /api/v1/leads"); n != 1 {
		t.Errorf("a 3 ms request in the 5 ms bucket: %d; want 1", n)
	}
}

func openSQLite(t *testing.T) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), t.TempDir()+"/tandem.db", sqldb.Options{Clock: clock.NewFake(monday)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
