package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/egress"
	tandemhttp "github.com/tandemhq/tandem/http"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/worker"
)

// serveDrain is how long serve waits, after SIGINT or SIGTERM, for the
// requests in flight: well within stopWithin. The rules of a write request
// are bounded (agreement.MaxBatchRuleTime), so its transaction ends sooner.
const serveDrain = 3 * time.Second

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func (m *Main) serveCommand() *cobra.Command {
	addr := m.Getenv("TANDEM_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	o := m.serveEnv(addr)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API and run the SLA clocks until interrupted",
		Long: `Serve Tandem's API and /healthz on --addr, fire the SLA clocks as they
fall due, and send escalations by email (--smtp) and chat (--chat-webhook);
the in-app inbox always gets them. Post the outgoing webhooks subscribed on
the settings page or at /api/v1/webhooks, signed (docs/integrations.md). Several serve processes may share one
PostgreSQL database: no clock fires twice. On SIGINT or SIGTERM it stops
accepting connections and finishes the requests in flight (up to 3 s; a
request cut short is rolled back), and exits within 5 s.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return m.serve(c.Context(), o)
		},
	}
	c.Flags().StringVar(&o.addr, "addr", o.addr, "address to listen on (env TANDEM_ADDR)")
	for _, ch := range m.channels() {
		c.Flags().StringVar(o.config[ch.Name], ch.Flag, *o.config[ch.Name], ch.Usage+" (env "+ch.Env+")")
	}
	c.Flags().StringVar(&o.name, "worker-name", o.name, "this process's name on the clocks it fires (env TANDEM_WORKER_NAME; default HOST-PID)")
	c.Flags().StringArrayVar(&o.proxies, "trusted-proxy", o.proxies, "a reverse proxy (CIDR or address) whose X-Forwarded-For and X-Forwarded-Proto are believed; repeat for more (env TANDEM_TRUSTED_PROXIES, comma-separated)")
	c.Flags().StringVar(&o.tlsCert, "tls-cert", o.tlsCert, "serve HTTPS with this PEM certificate chain (with --tls-key; env TANDEM_TLS_CERT)")
	c.Flags().StringVar(&o.tlsKey, "tls-key", o.tlsKey, "the PEM private key of --tls-cert (env TANDEM_TLS_KEY)")
	c.Flags().StringVar(&o.metricsAddr, "metrics-addr", o.metricsAddr, "serve GET /metrics (Prometheus) on this address of its own, without a token (env TANDEM_METRICS_ADDR)")
	c.Flags().BoolVar(&o.allowPrivateWebhooks, "allow-private-webhooks", o.allowPrivateWebhooks, "let outgoing webhook subscriptions reach private, loopback and link-local addresses, for receivers on your own network (env TANDEM_ALLOW_PRIVATE_WEBHOOKS=1)")
	c.Flags().StringVar(&o.metricsToken, "metrics-token", o.metricsToken, "serve GET /metrics on --addr to a scraper sending this bearer token (env TANDEM_METRICS_TOKEN)")
	return c
}

type serveOptions struct {
	addr, name      string
	proxies         []string // --trusted-proxy
	tlsCert, tlsKey string
	// metricsAddr and metricsToken say where /metrics is served: on an
	// address of its own, and on addr behind a bearer token.
	metricsAddr, metricsToken string
	// allowPrivateWebhooks lets webhook subscriptions reach non-public
	// addresses (package egress).
	allowPrivateWebhooks bool
	// config holds each channel's flag, by the channel's name: "" leaves
	// the channel off.
	config map[string]*string
}

// serveEnv returns the serve options the environment gives, on addr.
func (m *Main) serveEnv(addr string) serveOptions {
	o := serveOptions{addr: addr, name: m.Getenv("TANDEM_WORKER_NAME"),
		tlsCert: m.Getenv("TANDEM_TLS_CERT"), tlsKey: m.Getenv("TANDEM_TLS_KEY"), config: map[string]*string{},
		metricsAddr: m.Getenv("TANDEM_METRICS_ADDR"), metricsToken: m.Getenv("TANDEM_METRICS_TOKEN"),
		allowPrivateWebhooks: m.Getenv("TANDEM_ALLOW_PRIVATE_WEBHOOKS") == "1"}
	for _, ch := range m.channels() {
		v := m.Getenv(ch.Env)
		o.config[ch.Name] = &v
	}
	if p := m.Getenv("TANDEM_TRUSTED_PROXIES"); p != "" {
		o.proxies = strings.Split(p, ",")
	}
	return o
}

// configOf returns the configuration of the channel with the name, "" when
// it is off or unknown.
func (o serveOptions) configOf(name string) string {
	if p := o.config[name]; p != nil {
		return *p
	}
	return ""
}

// web reads the options of serving the web app: the trusted proxies, and
// whether to serve HTTPS.
func (o serveOptions) web() ([]netip.Prefix, error) {
	var proxies []netip.Prefix
	for _, s := range o.proxies {
		p, err := tandemhttp.ParseTrustedProxy(s)
		if err != nil {
			return nil, &exitStatus{exitUsage, fmt.Errorf("--trusted-proxy: %w", err)}
		}
		proxies = append(proxies, p)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, &exitStatus{exitUsage, fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")}
	}
	return proxies, nil
}

func (m *Main) serve(ctx context.Context, o serveOptions) error {
	proxies, err := o.web()
	if err != nil {
		return err
	}
	// The channels given a configuration are on: the outbox writes their
	// notifications and this process sends them.
	senders := map[string]notify.Sender{}
	var on []notify.Channel
	for _, ch := range m.channels() {
		config := o.configOf(ch.Name)
		if config == "" {
			continue
		}
		s, err := ch.Open(config)
		if err != nil {
			return fmt.Errorf("--%s: %w", ch.Flag, err)
		}
		senders[ch.Name] = s
		on = append(on, ch)
	}
	if o.name == "" {
		host, _ := os.Hostname()
		o.name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	addr := o.addr
	db, err := m.openWith(ctx, on)
	if err != nil {
		return err
	}
	log := m.logger()
	var wg sync.WaitGroup
	work, stopWork := context.WithCancel(context.Background())
	defer func() {
		stopWork()
		wg.Wait()
	}()
	mx := metrics.New(db, m.Clock)
	wg.Go(func() { mx.Run(work, log) })
	clocks := &worker.Worker{DB: db, Clock: m.Clock, Name: o.name, Logger: log, Poll: worker.ServePoll, Fire: db.FireSLA(), Metrics: mx}
	installation, err := db.Installation(ctx)
	if err != nil {
		return err
	}
	outbox := &worker.Outbox{DB: db, Clock: m.Clock, Name: o.name, Senders: senders, Logger: log, Installation: installation, Metrics: mx}
	hooks := &worker.Webhooks{DB: db, Clock: m.Clock, Name: o.name, Poster: notify.NewHooks(egress.Policy{AllowPrivate: o.allowPrivateWebhooks}), Logger: log}
	// PostgreSQL fires side by side (FOR UPDATE SKIP LOCKED): a second
	// worker fires a burst of due clocks 1.6 times as fast on two cores.
	// SQLite has one writer, so one worker is all it can use.
	workers := 1
	if db.Dialect() == "postgres" {
		workers = 2
	}
	for range workers {
		wg.Go(func() { clocks.Run(work) })
	}
	wg.Go(func() { outbox.Run(work) })
	wg.Go(func() { hooks.Run(work) })
	daily := &worker.Daily{DB: db, Clock: m.Clock, Logger: log}
	wg.Go(func() { daily.Run(work) })
	// Scheduled reports go by email: without --smtp they wait for a
	// replica that has it.
	reports, _ := senders[notify.ChannelEmail].(notify.ReportSender)
	scheduled := &worker.Schedules{DB: db, Clock: m.Clock, Name: o.name, Sender: reports, Installation: installation, Logger: log, Metrics: mx}
	wg.Go(func() { scheduled.Run(work) })
	s := tandemhttp.NewServer(db, log)
	s.Version = version
	s.Notify = tandemhttp.NotifyFrom(o.configOf(notify.ChannelEmail), o.configOf(notify.ChannelChat))
	s.TrustedProxies = proxies
	s.Metrics, s.MetricsToken = mx, o.metricsToken
	s.Egress = egress.Policy{AllowPrivate: o.allowPrivateWebhooks}
	if o.metricsAddr != "" {
		ms, err := serveMetrics(o.metricsAddr, mx)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer ms.Close()
		log.Info("serving metrics", "url", "http://"+ms.addr+"/metrics")
	}
	if o.tlsCert != "" {
		err = s.OpenTLS(addr, o.tlsCert, o.tlsKey)
	} else {
		err = s.Open(addr)
	}
	if err != nil {
		return err
	}
	log.Info("serving", "url", s.URL(), "database", db.Dialect())
	fmt.Fprintf(m.Stdout, "Tandem is serving on %s (stop with Ctrl-C)\n", s.URL())
	<-ctx.Done()
	log.Info("shutting down: finishing requests in flight")
	shutdown, cancel := context.WithTimeout(context.Background(), serveDrain)
	defer cancel()
	if err := s.Close(shutdown); err != nil {
		return fmt.Errorf("stopped with requests still running after %v: what they had not committed was rolled back (%w)", serveDrain, err)
	}
	return nil
}

// metricsServer serves /metrics alone on an address of its own.
type metricsServer struct {
	addr   string
	server *http.Server
}

// serveMetrics starts serving mx's /metrics on addr in the background.
func serveMetrics(addr string, mx *metrics.Metrics) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mx.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &metricsServer{addr: ln.Addr().String(), server: srv}, nil
}

// Close stops serving at once: a scrape cut short is retried by the
// scraper.
func (s *metricsServer) Close() error { return s.server.Close() }
