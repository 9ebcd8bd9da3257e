// Package http serves Tandem's JSON API and its web app over the services in
// package sqldb. All routes, API and pages alike, are in one table,
// [Server.routes], with the roles that may use each. An API route takes a
// bearer token and answers errors in JSON with a stable code and a human
// message; a page takes a session cookie (see web.go and page_login.go) and
// answers with HTML. Every state-changing request passes the standard
// library's cross-origin protection, which refuses forged cross-site posts.
//
// Files are named by what they serve: api_*.go hold the JSON API's handlers
// (api_leads.go, api_deals.go, …), page_*.go the web app's pages
// (page_queue.go, page_scorecard.go, …); the rest is shared plumbing:
// server.go (the route table), respond.go (the one writer of status and
// body), decode.go (bodies and parameters), web.go (sessions and page
// rendering), client.go (who is asking, behind trusted proxies),
// throttle.go (sign-in throttling), reps.go (which reps a caller may ask
// about) and scopes.go (the scope each API route needs of a token).
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/egress"
	"github.com/tandemhq/tandem/metrics"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/web"
)

// Limits on requests.
const (
	MaxBatch     = 1000             // leads per POST /api/v1/leads
	MaxBodyBytes = 16 << 20         // bytes per request body
	readTimeout  = 30 * time.Second // per request
)

// Server serves the API on one listener.
type Server struct {
	DB     *sqldb.DB
	Logger *slog.Logger
	// Version is reported by /healthz.
	Version string
	// Notify is what the settings page shows of those channels.
	Notify NotifyInfo
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (client.go). Set before Open.
	TrustedProxies []netip.Prefix
	// Metrics counts requests and leads taken (package metrics); nil
	// counts nothing. MetricsToken, when set, serves them on GET /metrics
	// to a scraper that sends it as a bearer token (metrics.go).
	Metrics      *metrics.Metrics
	MetricsToken string
	// Egress is where outgoing webhook subscriptions may point (package
	// egress): a URL it refuses is refused when the subscription is made or
	// changed, naming why. Serve's --allow-private-webhooks sets
	// AllowPrivate; the zero Policy allows public addresses only.
	Egress egress.Policy

	ln        net.Listener
	https     bool // serving TLS itself (OpenTLS)
	server    *http.Server
	templates *web.Templates

	// Sign-in attempts, by client address and by (address, email)
	// (throttle.go).
	signins *throttle
	// shown keeps the secrets of settings POSTs for the page that shows
	// them once (page_settings.go).
	shown shownOnce
	// hashing bounds the password hashes computed at once.
	hashing   chan struct{}
	dummyOnce sync.Once
	dummyHash string
	// imports keeps the import page's uploads and owns the imports it runs
	// in the background (page_import.go).
	imports *uploadStore
	// formLimits holds the website forms' posts per address and their
	// compiled mappings (page_forms.go).
	formLimits *formLimiter
	// formPosts writes the forms' posts that arrive together in one
	// transaction (formbatch.go).
	formPosts *formBatcher
}

// NewServer returns a server over db; call [Server.Open] to start it.
func NewServer(db *sqldb.DB, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	templates, err := web.Parse()
	if err != nil {
		panic(err) // the templates are embedded: a parse error is a bug the tests catch
	}
	s := &Server{DB: db, Logger: logger, Version: "dev", templates: templates,
		signins: newThrottle(),
		hashing: make(chan struct{}, 4), imports: newUploadStore(), formLimits: newFormLimiter()}
	s.formPosts = newFormBatcher(db)
	s.server = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Open starts listening on addr ("127.0.0.1:0" picks a free port) and
// serves in the background.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// OpenTLS is [Server.Open] serving HTTPS (TLS 1.2 or newer) with the
// certificate chain and key of the PEM files certFile and keyFile, read
// once: a renewed certificate needs a restart.
func (s *Server) OpenTLS(addr, certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("the TLS certificate and key: %w", err)
	}
	s.server.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln, s.https = ln, true
	go func() {
		if err := s.server.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL is the server's base URL, once open.
func (s *Server) URL() string {
	if s.https {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting requests and waits for those in flight to finish,
// up to ctx's deadline. Then it stops the imports running in the
// background and waits for them, whatever ctx says, so that the caller
// may close the database: an import stops at its next batch, keeping the
// batches before it.
func (s *Server) Close(ctx context.Context) error {
	err := s.server.Shutdown(ctx)
	s.imports.close()
	s.formPosts.close()
	return err
}

// route is one entry of the route table. Roles lists who may call it; nil
// means no token (for a page, no session) is needed. A route whose path is
// not under /api/ (nor /healthz) is a page: see [route.isPage].
type route struct {
	pattern string
	handler func(w http.ResponseWriter, r *http.Request) error
	roles   []tandem.Role
}

// roles returns the roles that may do the action: the one table of who may
// do what is [access.Roles].
func roles(a access.Action) []tandem.Role { return access.Roles[a] }

// routes is the one table of Tandem's routes and who may use them.
func (s *Server) routes() []route {
	var (
		everyone = roles(access.Read)
		writers  = roles(access.WriteLeads)
		sellers  = roles(access.WorkLeads)
		managers = roles(access.AssignLeads)
		senders  = roles(access.SendLeads)
		admins   = roles(access.Administer)
		importer = roles(access.ImportAny)
		catalog  = roles(access.WriteCatalog)
	)
	rts := []route{
		{"GET /healthz", s.health, nil},
		{"GET /metrics", s.getMetrics, nil},
		{"GET /api/v1/openapi.yaml", s.openAPI, nil},
		{"GET /api/v1/openapi.json", s.openAPIJSON, nil},
		{"GET /api/docs", s.apiDocs, nil},
		{"GET /api/v1/leads", s.listLeads, everyone},
		{"POST /api/v1/leads", s.postLeads, writers},
		{"GET /api/v1/leads/{id}", s.getLead, everyone},
		{"GET /api/v1/leads/{id}/events", s.getLeadEvents, everyone},
		{"POST /api/v1/leads/{id}/stage", s.moveLead, writers},
		{"GET /api/v1/leads/{id}/handoffs", s.getLeadHandoffs, everyone},
		{"POST /api/v1/leads/{id}/touches", s.postTouch, sellers},
		{"POST /api/v1/leads/{id}/accept", s.decide(tandem.DecisionAccepted), sellers},
		{"POST /api/v1/leads/{id}/reject", s.decide(tandem.DecisionRejected), sellers},
		{"POST /api/v1/leads/{id}/disqualify", s.decide(tandem.DecisionDisqualified), sellers},
		{"POST /api/v1/leads/{id}/reviews", s.postReview, sellers},
		{"POST /api/v1/leads/{id}/assign", s.postAssign, managers},
		{"POST /api/v1/handoffs", s.postHandoff, senders},
		{"GET /api/v1/tasks", s.getTasks, sellers},
		{"GET /api/v1/inbox", s.getInbox, everyone},
		{"POST /api/v1/inbox/read", s.postAPIInboxReadAll, everyone},
		{"POST /api/v1/inbox/{id}/read", s.postAPIInboxRead, everyone},
		{"GET /api/v1/sla", s.getSLA, everyone},
		{"GET /api/v1/leads/{id}/cadence", s.getLeadCadence, everyone},
		{"GET /api/v1/deals", s.listDeals, everyone},
		{"GET /api/v1/deals/report", s.getDealReport, everyone},
		{"GET /api/v1/deals/{id}", s.getDeal, everyone},
		{"POST /api/v1/deals/{id}/won", s.winDeal, sellers},
		{"POST /api/v1/deals/{id}/lost", s.loseDeal, sellers},
		{"POST /api/v1/deals/{id}/stage", s.moveDealStage, sellers},
		{"POST /api/v1/leads/{id}/marketing-touches", s.postMarketingTouch, senders},
		{"GET /api/v1/accounts", s.listAccounts, everyone},
		{"POST /api/v1/accounts", s.postAccount, catalog},
		{"GET /api/v1/accounts/{id}", s.getAccount, everyone},
		{"GET /api/v1/products", s.listProducts, everyone},
		{"POST /api/v1/products", s.postProduct, catalog},
		{"GET /api/v1/products/{id}", s.getProduct, everyone},
		{"GET /api/v1/campaigns", s.listCampaigns, everyone},
		{"POST /api/v1/campaigns", s.saveCampaign, senders},
		{"PUT /api/v1/campaigns/{code}/spend/{month}", s.putSpend, senders},
		{"GET /api/v1/campaigns/report", s.getCampaignReport, everyone},
		// The content library (api_content.go).
		{"GET /api/v1/content", s.listContent, everyone},
		{"POST /api/v1/content", s.saveContent, roles(access.WriteContent)},
		{"GET /api/v1/content/effect", s.getContentEffect, everyone},
		{"GET /api/v1/content/{code}", s.getContent, everyone},
		{"POST /api/v1/content/{code}/status", s.postContentStatus, roles(access.WriteContent)},
		{"POST /api/v1/content/{code}/ratings", s.postContentRating, roles(access.RateContent)},
		{"GET /api/v1/agreement", s.getAgreementInForce, everyone},
		{"GET /api/v1/agreements", s.listAgreements, everyone},
		{"GET /api/v1/agreements/{version}", s.getAgreement, everyone},
		{"POST /api/v1/agreements", s.proposeAgreement, roles(access.Propose)},
		{"GET /api/v1/audit", s.getAudit, admins},
		{"GET /api/v1/webhooks", s.listWebhooks, admins},
		{"POST /api/v1/webhooks", s.postWebhook, admins},
		{"GET /api/v1/webhooks/{id}", s.getWebhook, admins},
		{"PATCH /api/v1/webhooks/{id}", s.patchWebhook, admins},
		{"DELETE /api/v1/webhooks/{id}", s.deleteWebhook, admins},
		{"GET /api/v1/webhooks/{id}/deliveries", s.getWebhookDeliveries, admins},
		{"POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver", s.postRedeliver, admins},
		{"POST /api/v1/webhooks/{id}/test", s.postWebhookTest, admins},
		{"GET /api/v1/plan", s.getPlan, everyone},
		{"GET /api/v1/pace", s.getPace, everyone},
		{"GET /api/v1/scorecard", s.getScorecard, everyone},
		{"GET /api/v1/alerts", s.getAlerts, everyone},
		{"POST /api/v1/alerts/check", s.postCheck, roles(access.CheckAlerts)},
		{"GET /api/v1/meetings/{period}", s.getMeetingAPI, everyone},
		{"POST /api/v1/meetings/{period}/items", s.postMeetingItemAPI, roles(access.RunMeeting)},
		{"POST /api/v1/meetings/items/{id}/done", s.postMeetingItemDoneAPI, everyone},
		{"POST /api/v1/meetings/{period}/responses", s.postMeetingResponseAPI, roles(access.Respond)},
		{"GET /api/v1/agreements/{version}/comments", s.getAgreementComments, everyone},
		{"POST /api/v1/agreements/{version}/comments", s.postAgreementComment, roles(access.Comment)},
		{"POST /api/v1/agreements/{version}/answers", s.postAgreementAnswers, roles(access.Propose)},
		// Website forms and inbound webhooks (page_forms.go, api_hooks.go):
		// public routes, guarded by origins and signatures.
		{"POST /api/v1/hooks/{source}", s.postHook, nil},
		{"GET /api/v1/forms", s.listForms, admins},
		{"GET /api/v1/forms/{form}/submissions", s.getFormSubmissions, admins},
		{"POST /f/{form}", s.postForm, nil},
		{"OPTIONS /f/{form}", s.optionsForm, nil},

		// The web app (web.go, page_login.go, page_home.go).
		{"GET /static/", s.static(), nil},
		{"GET /login", s.getLogin, nil},
		{"POST /login", s.postLogin, nil},
		{"POST /logout", s.postLogout, nil},
		{"GET /setup", s.getSetup, nil},
		{"POST /setup", s.postSetup, nil},
		{"GET /{$}", s.home, roles(access.SignInPages)},
		{"GET /account/password", s.getPassword, roles(access.SignInPages)},
		{"POST /account/password", s.postPassword, roles(access.SignInPages)},
		// The account page and the calendar feed (page_account.go): the
		// feed's token is its key.
		{"GET /account", s.getAccountPage, roles(access.SignInPages)},
		{"POST /account/calendar", s.postCalendarFeed, roles(access.SignInPages)},
		{"POST /account/calendar/revoke", s.postRevokeCalendarFeed, roles(access.SignInPages)},
		{"GET /cal/{file}", s.getCalendarFeed, nil},
		// A lead's tracked link to content (page_content.go): its token is
		// its key, and it redirects only to the item's own URL.
		{"GET /c/{code}/{token}", s.getTrackedLink, nil},
		// Leads and the queue (page_lead.go, page_queue.go).
		{"GET /leads", s.getLeadsPage, sectionRoles("/leads")},
		{"GET /leads/export", s.getLeadsExport, sectionRoles("/leads")},
		{"POST /leads/views", s.postLeadsView, everyone},
		{"POST /leads/views/{id}/delete", s.postLeadsViewDelete, everyone},
		{"POST /leads/bulk", s.postLeadsBulk, writers},
		{"GET /leads/new", s.getLeadNew, writers},
		{"POST /leads/new", s.postLeadNew, writers},
		{"GET /leads/{id}/edit", s.getLeadEdit, writers},
		{"POST /leads/{id}/edit", s.postLeadEdit, writers},
		{"POST /leads/{id}/note", s.postLeadNote, writers},
		{"POST /leads/{id}/handoff", s.postLeadHandoff, senders},
		{"POST /leads/{id}/assign", s.postLeadAssign, managers},
		{"GET /leads/{id}", s.getLeadPage, everyone},
		{"GET /leads/{id}/row", s.getLeadRow, sellers},
		{"GET /leads/{id}/forms", s.getLeadForms, sellers},
		{"POST /leads/{id}/touch", s.workForm(s.postTouchForm), sellers},
		{"POST /leads/{id}/decide", s.workForm(s.postDecideForm), sellers},
		{"POST /leads/{id}/review", s.workForm(s.postReviewForm), sellers},
		{"GET /queue", s.getQueue, sectionRoles("/queue")},
		// Deals, accounts, products and the inbox (page_deals.go, page_deal.go,
		// page_accounts.go, page_products.go, page_inbox.go).
		{"GET /deals", s.dealsBoard, sectionRoles("/deals")},
		{"GET /deals/{id}", s.getDealPage, everyone},
		{"POST /deals/{id}/stage", s.postDealStage, sellers},
		{"POST /deals/{id}/won", s.postDealWon, sellers},
		{"POST /deals/{id}/lost", s.postDealLost, sellers},
		{"GET /accounts", s.accountsPage, everyone},
		{"GET /accounts/{id}", s.accountPage, everyone},
		{"GET /products", s.productsPage, everyone},
		{"GET /inbox", s.inboxPage, sectionRoles("/inbox")},
		{"POST /inbox/{id}/open", s.postInboxOpen, sectionRoles("/inbox")},
		{"POST /inbox/{id}/read", s.postInboxRead, sectionRoles("/inbox")},
		{"POST /inbox/read", s.postInboxReadAll, sectionRoles("/inbox")},
		// The management pages (page_boards.go and the files it names); their
		// GET routes take the roles of their section (page_home.go).
		{"GET /sla", s.slaBoard, sectionRoles("/sla")},
		{"GET /pacing", s.pacingPage, sectionRoles("/pacing")},
		{"GET /funnel", s.funnelPage, sectionRoles("/funnel")},
		{"GET /scorecard", s.scorecardPage, sectionRoles("/scorecard")},
		{"GET /scorecard/print", s.scorecardPrint, sectionRoles("/scorecard")},
		{"GET /scorecard/export", s.scorecardExport, sectionRoles("/scorecard")},
		{"GET /meeting", s.getMeetingNow, sectionRoles("/meeting")},
		{"GET /meeting/{period}", s.getMeeting, sectionRoles("/meeting")},
		{"POST /meeting/{period}/items", s.postMeetingItem, roles(access.RunMeeting)},
		{"POST /meeting/items/{id}/done", s.postMeetingItemDone, sectionRoles("/meeting")},
		{"POST /meeting/{period}/responses", s.postMeetingResponse, roles(access.Respond)},
		{"GET /agreement", s.agreementPage, sectionRoles("/agreement")},
		{"GET /agreement/backtest", s.agreementBacktest, sectionRoles("/agreement")},
		{"GET /campaigns", s.campaignsPage, sectionRoles("/campaigns")},
		{"POST /campaigns", s.postCampaign, senders},
		{"POST /campaigns/spend", s.postSpend, senders},
		{"GET /content", s.contentPage, sectionRoles("/content")},
		{"POST /content", s.postContentForm, roles(access.WriteContent)},
		{"GET /content/{code}", s.contentItemPage, sectionRoles("/content")},
		{"POST /content/{code}/status", s.postContentStatusForm, roles(access.WriteContent)},
		{"POST /content/{code}/rate", s.postContentRateForm, roles(access.RateContent)},
		{"POST /agreement/sign", s.agreementSign, roles(access.Sign)},
		{"POST /agreement/propose", s.agreementPropose, roles(access.Propose)},
		{"POST /agreement/{version}/comments", s.agreementComment, roles(access.Comment)},
		// The import page (page_import.go): which kinds a role may import
		// is checked per kind.
		{"GET /import", s.getImport, importer},
		{"POST /import", s.postImport, importer},
		{"POST /import/run", s.postImportRun, importer},
		// The settings page (page_settings.go), admins only.
		{"GET /settings", s.getSettings, admins},
		{"POST /settings/users", s.postAddUser, admins},
		{"POST /settings/users/edit", s.postEditUser, admins},
		{"POST /settings/users/password", s.postResetPassword, admins},
		{"POST /settings/users/signout", s.postSignOutUser, admins},
		{"POST /settings/tokens", s.postCreateToken, admins},
		{"POST /settings/tokens/revoke", s.postRevokeToken, admins},
		{"POST /settings/webhooks", s.postAddWebhook, admins},
		{"POST /settings/webhooks/state", s.postWebhookState, admins},
		{"POST /settings/webhooks/test", s.postWebhookTestForm, admins},
		{"POST /settings/webhooks/redeliver", s.postRedeliverForm, admins},
		{"POST /settings/webhooks/delete", s.postDeleteWebhook, admins},
		{"GET /settings/forms/{form}", s.getFormPage, admins},
		{"POST /settings/forms", s.postSaveForm, admins},
		{"POST /settings/forms/delete", s.postDeleteForm, admins},
		{"POST /settings/sources", s.postSaveSource, admins},
		{"POST /settings/sources/rotate", s.postRotateSource, admins},
		{"POST /settings/sources/retire", s.postRetireSecrets, admins},
		{"POST /settings/sources/delete", s.postDeleteSource, admins},
		{"POST /settings/schedules", s.postAddSchedule, admins},
		{"POST /settings/schedules/remove", s.postRemoveSchedule, admins},
	}
	// A section without a page of its own yet answers "coming soon".
	built := map[string]bool{}
	for _, rt := range rts {
		built[rt.pattern] = true
	}
	for _, sec := range sections {
		if !built["GET "+sec.Path] {
			rts = append(rts, route{"GET " + sec.Path, s.soon(sec), sec.roles})
		}
	}
	return rts
}

// Handler returns the server's handler: the route table behind
// cross-origin protection, authentication and error handling.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	public := map[string]bool{}
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.wrap(rt))
		public[rt.pattern] = rt.roles == nil
	}
	// A browser says where a request comes from (Sec-Fetch-Site, Origin);
	// a state-changing one from another site is refused. API clients such
	// as curl send neither header, and pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	// A website form checks the origin itself, trusting the form's own
	// origins as well (page_forms.go formOrigin).
	cop.AddInsecureBypassPattern("POST /f/{form}")
	routed := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// mux.Handler only finds the route; ServeHTTP routes again because
		// it alone sets the request's path values ({id}).
		_, pattern := mux.Handler(r)
		if !isPagePath(r.URL.Path) && !public[pattern] {
			// An API request proves who makes it before anything else,
			// so that a 404 or a 405 tells only a token's holder which
			// routes exist.
			tok, err := s.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="tandem"`)
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(sqldb.WithActor(context.WithValue(r.Context(), ctxKey{}, tok), tok.Actor()))
		}
		if pattern != "" {
			mux.ServeHTTP(w, r)
		} else {
			s.noRoute(w, r, mux)
		}
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if !isPagePath(r.URL.Path) {
			apiHeaders(sw)
		}
		routed.ServeHTTP(sw, r)
		if s.Metrics != nil {
			_, pattern := mux.Handler(r)
			if pattern == "" {
				pattern = "none" // a 404: one label, not one per path asked for
			}
			s.Metrics.ObserveRequest(pattern, sw.status, time.Since(start))
		}
		s.Logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "addr", s.client(r).Addr,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}

// noRoute answers a request no route takes with a JSON 404, or a JSON 405
// (with the Allow header the mux works out) when the path exists for other
// methods.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	h, _ := mux.Handler(r)
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.status != http.StatusMethodNotAllowed && isPagePath(r.URL.Path) {
		s.notFoundPage(w, r)
		return
	}
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{apiError{Code: "method_not_allowed",
			Message: fmt.Sprintf("%s does not take %s (allowed: %s)", r.URL.Path, r.Method, probe.header.Get("Allow"))}})
		return
	}
	s.writeError(w, r, tandem.Errorf(tandem.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path))
}

// headerProbe records what the mux's own not-found or not-allowed handler
// would answer, and discards the plain-text body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }

// statusWriter remembers the status of a response, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type ctxKey struct{}

// caller returns the token the request was made with.
func caller(r *http.Request) tandem.Token {
	t, _ := r.Context().Value(ctxKey{}).(tandem.Token)
	return t
}

// actor names the caller in the ledger.
func actor(r *http.Request) string { return caller(r).Actor() }

func (s *Server) wrap(rt route) http.Handler {
	if rt.isPage() {
		return s.wrapPage(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			// A bug must not cost the client its JSON answer, nor the
			// log its stack.
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				s.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, errorBody{apiError{Code: tandem.EINTERNAL, Message: "internal error"}})
			}
		}()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if rt.roles != nil {
			tok, ok := r.Context().Value(ctxKey{}).(tandem.Token)
			if !ok { // not through Handler, which authenticates first
				var err error
				if tok, err = s.authenticate(r); err != nil {
					w.Header().Set("WWW-Authenticate", `Bearer realm="tandem"`)
					s.writeError(w, r, err)
					return
				}
			}
			if !allowed(rt.roles, tok.Role) {
				s.writeError(w, r, tandem.Errorf(tandem.EFORBIDDEN, "the %s role may not %s", tok.Role, rt.pattern))
				return
			}
			if err := checkScope(tok, rt.pattern); err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(sqldb.WithActor(context.WithValue(r.Context(), ctxKey{}, tok), tok.Actor()))
		}
		if err := checkParams(r.URL.Query(), "parameter"); err != nil {
			s.writeError(w, r, err)
			return
		}
		b := newBuffered(w)
		if err := rt.handler(b, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		b.send()
	})
}

func allowed(roles []tandem.Role, role tandem.Role) bool { return slices.Contains(roles, role) }

func (s *Server) authenticate(r *http.Request) (tandem.Token, error) {
	h := r.Header.Get("Authorization")
	secret, ok := cutPrefixFold(h, "Bearer ")
	if !ok || secret == "" {
		return tandem.Token{}, tandem.Errorf(tandem.EUNAUTHORIZED, "send an API token: Authorization: Bearer TOKEN (make one with `tandem token create`)")
	}
	return s.DB.Authenticate(r.Context(), secret)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// statusOf maps each error code to its HTTP status.
var statusOf = map[string]int{
	tandem.EINVALID:      http.StatusUnprocessableEntity,
	tandem.EMALFORMED:    http.StatusBadRequest,
	tandem.ENOTFOUND:     http.StatusNotFound,
	tandem.ECONFLICT:     http.StatusConflict,
	tandem.EUNAUTHORIZED: http.StatusUnauthorized,
	tandem.EFORBIDDEN:    http.StatusForbidden,
	tandem.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	tandem.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []tandem.FieldError `json:"fields,omitempty"`
}

func toAPIError(err error) apiError {
	return apiError{Code: tandem.ErrorCode(err), Message: tandem.ErrorMessage(err), Fields: tandem.ErrorFields(err)}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = tandem.Errorf(tandem.ETOOLARGE, "the request body is over %d MiB", MaxBodyBytes>>20)
	}
	code := tandem.ErrorCode(err)
	if code == tandem.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, statusOf[code], errorBody{toAPIError(err)})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Logger.Error("health: database", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": s.DB.Dialect()})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": s.DB.Dialect(), "version": s.Version})
}
