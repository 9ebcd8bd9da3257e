// Package metrics exposes Tandem's figures for monitoring in Prometheus'
// text format (client_golang): requests, leads taken, clocks open, due,
// fired and fired late, breaches, escalations, the outbox's backlog,
// deliveries, kept reports, the database's pools and Go's runtime. Every
// metric is defined in docs/integrations.md, "Metrics".
//
// The packages that do the work (http, worker) call the methods of
// [Metrics], which are safe on a nil *Metrics, so that Prometheus stays
// here: a test or a command without metrics passes nil. The gauges that
// need the database are read by [Metrics.Run] every [GaugeEvery] and kept,
// so that a scrape reads memory only and answers in microseconds however
// many clocks are open.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

// GaugeEvery is how often [Metrics.Run] reads the store's gauges.
const GaugeEvery = 10 * time.Second

// LateAfter is how late a clock must fire to count as fired late
// (tandem_clocks_fired_late_total). The worker polls every 200 ms, so a
// clock fired later than this waited on a busy or stopped worker.
const LateAfter = 5 * time.Second

// Metrics holds Tandem's collectors in a registry of their own.
type Metrics struct {
	db    *sqldb.DB
	clock tandem.Clock
	reg   *prometheus.Registry

	requests    *prometheus.HistogramVec
	leads       *prometheus.CounterVec
	fired       *prometheus.CounterVec
	firedLate   *prometheus.CounterVec
	lateness    *prometheus.HistogramVec
	breaches    prometheus.Counter
	escalations prometheus.Counter
	sent        *prometheus.CounterVec
	failures    *prometheus.CounterVec
	scheduled   *prometheus.CounterVec

	gauges atomic.Pointer[sqldb.Gauges] // the latest read by Refresh
}

// New returns the metrics of the store db, with the Go runtime's and the
// process's collectors; clock gives the ages of what the gauges read.
func New(db *sqldb.DB, clock tandem.Clock) *Metrics {
	m := &Metrics{db: db, clock: clock, reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tandem_http_request_duration_seconds", Help: "HTTP requests by route (the route table's pattern) and status, and how long they took.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "status"})
	m.leads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_leads_taken_total", Help: "Leads taken in, by the path they came by and what became of each (created, updated, unchanged, rejected).",
	}, []string{"path", "status"})
	m.fired = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_clocks_fired_total", Help: "Timers fired by the workers of this process, by kind.",
	}, []string{"kind"})
	m.firedLate = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_clocks_fired_late_total", Help: "Timers fired more than " + LateAfter.String() + " after their due time, by kind.",
	}, []string{"kind"})
	m.lateness = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tandem_clock_lateness_seconds", Help: "How long after its due time each timer fired, by kind.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"kind"})
	m.breaches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tandem_breaches_total", Help: "Clocks breached (a breach event written) by the workers of this process.",
	})
	m.escalations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tandem_escalations_total", Help: "Escalation steps notified by the workers of this process.",
	})
	m.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_notifications_sent_total", Help: "Notifications delivered by this process, by channel.",
	}, []string{"channel"})
	m.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_notification_failures_total", Help: "Failed attempts to deliver a notification, by channel (each is retried with backoff).",
	}, []string{"channel"})
	m.scheduled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tandem_scheduled_reports_sent_total", Help: "Scheduled reports (scorecard, pacing) this process put in the outbox, by kind.",
	}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.leads, m.fired, m.firedLate, m.lateness, m.breaches, m.escalations, m.sent, m.failures, m.scheduled,
		storeCollector{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus' text format (or OpenMetrics
// when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Refresh reads the store's gauges now and keeps them for the scrapes.
func (m *Metrics) Refresh(ctx context.Context) error {
	g, err := m.db.ReadGauges(ctx)
	if err != nil {
		return err
	}
	m.gauges.Store(&g)
	return nil
}

// Run refreshes the store's gauges at once and then every [GaugeEvery]
// until ctx is cancelled; an error is logged and tried again next time.
func (m *Metrics) Run(ctx context.Context, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(GaugeEvery)
	defer t.Stop()
	for {
		if err := m.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Error("metrics: read the store's gauges", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ObserveRequest counts an HTTP request to route (the route table's
// pattern, or "none") answered with status after d.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

// LeadsTaken counts n leads that came in by path (api, import...) with
// the status (tandem.StatusCreated...).
func (m *Metrics) LeadsTaken(path, status string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.leads.WithLabelValues(path, status).Add(float64(n))
}

// TimerFired counts a timer of kind fired late after its due time, and
// what firing it did.
func (m *Metrics) TimerFired(kind string, late time.Duration, did sqldb.Fired) {
	if m == nil {
		return
	}
	late = max(late, 0)
	m.fired.WithLabelValues(kind).Inc()
	m.lateness.WithLabelValues(kind).Observe(late.Seconds())
	if late > LateAfter {
		m.firedLate.WithLabelValues(kind).Inc()
	}
	m.breaches.Add(float64(did.Breaches))
	m.escalations.Add(float64(did.Escalations))
}

// Delivered counts a notification sent on channel, or a failed attempt.
func (m *Metrics) Delivered(channel string, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.failures.WithLabelValues(channel).Inc()
		return
	}
	m.sent.WithLabelValues(channel).Inc()
}

// ScheduledSent counts a scheduled report of kind put in the outbox.
func (m *Metrics) ScheduledSent(kind string) {
	if m == nil {
		return
	}
	m.scheduled.WithLabelValues(kind).Inc()
}

// storeCollector reports the gauges last read from the store, and the
// database pools' statistics, read at each scrape (they are in memory).
type storeCollector struct{ m *Metrics }

var (
	descOpen     = prometheus.NewDesc("tandem_clocks_open", "Timers pending: SLA clocks, cadence steps, escalation steps and routing retries not yet fired or stopped.", nil, nil)
	descDue      = prometheus.NewDesc("tandem_clocks_due", "Pending timers whose due time has come but that no worker has fired yet.", nil, nil)
	descOutbox   = prometheus.NewDesc("tandem_outbox_pending", "Notifications not yet delivered, by channel.", []string{"channel"}, nil)
	descOutAge   = prometheus.NewDesc("tandem_outbox_oldest_age_seconds", "Age of the oldest notification not yet delivered, by channel.", []string{"channel"}, nil)
	descKept     = prometheus.NewDesc("tandem_kept_report_age_seconds", "Time since the latest kept report of each kind was computed.", []string{"kind"}, nil)
	descGaugeAge = prometheus.NewDesc("tandem_metrics_store_read_age_seconds", "Time since the gauges above were read from the database (every "+GaugeEvery.String()+").", nil, nil)
	descPoolOpen = prometheus.NewDesc("tandem_db_connections_open", "Connections open in the database pool.", []string{"pool"}, nil)
	descPoolUse  = prometheus.NewDesc("tandem_db_connections_in_use", "Connections in use in the database pool.", []string{"pool"}, nil)
	descPoolIdle = prometheus.NewDesc("tandem_db_connections_idle", "Idle connections in the database pool.", []string{"pool"}, nil)
	descPoolMax  = prometheus.NewDesc("tandem_db_connections_max", "Most connections the database pool may open (0: no limit).", []string{"pool"}, nil)
	descPoolWait = prometheus.NewDesc("tandem_db_connection_waits_total", "Times a caller waited for a connection of the pool.", []string{"pool"}, nil)
	descPoolWDur = prometheus.NewDesc("tandem_db_connection_wait_seconds_total", "Time callers spent waiting for a connection of the pool.", []string{"pool"}, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descDue, descOutbox, descOutAge, descKept, descGaugeAge,
		descPoolOpen, descPoolUse, descPoolIdle, descPoolMax, descPoolWait, descPoolWDur} {
		ch <- d
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.m.db.PoolStats() {
		ch <- prometheus.MustNewConstMetric(descPoolOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(descPoolUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(descPoolIdle, prometheus.GaugeValue, float64(s.Idle), name)
		ch <- prometheus.MustNewConstMetric(descPoolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(descPoolWait, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(descPoolWDur, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
	g := c.m.gauges.Load()
	if g == nil {
		return // not read yet: say nothing rather than zero
	}
	now := c.m.clock.Now()
	ch <- prometheus.MustNewConstMetric(descGaugeAge, prometheus.GaugeValue, max(now.Sub(g.At), 0).Seconds())
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(g.TimersPending))
	ch <- prometheus.MustNewConstMetric(descDue, prometheus.GaugeValue, float64(g.TimersDue))
	for _, o := range g.Outbox {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(o.Pending), o.Channel)
		ch <- prometheus.MustNewConstMetric(descOutAge, prometheus.GaugeValue, max(now.Sub(o.Oldest), 0).Seconds(), o.Channel)
	}
	for _, k := range g.Kept {
		ch <- prometheus.MustNewConstMetric(descKept, prometheus.GaugeValue, max(now.Sub(k.ComputedAt), 0).Seconds(), k.Kind)
	}
}
