package main

// These tests run the real tandem binary, as an operator would, and do to it
// what an operator's machine does: SIGKILL in the middle of firing, two
// replicas on one database. They check what the durable timers promise
// (docs/clocks.md): every clock that falls due fires exactly once, and every
// escalation reaches its receiver at least once.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/emersion/go-smtp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// outboxLease is how long worker.Outbox leases a claimed notification when
// serve sets no lease of its own.
const outboxLease = 2 * time.Minute

// doneWithin bounds the wait for a serve process's due work (see waitDone).
const doneWithin = 3 * time.Minute

// newYork is the time zone of the default agreement's business hours.
func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("time zone: %v", err)
	}
	return loc
}

// TestMain removes the tandem binary that the process tests build.
func TestMain(m *testing.M) {
	code := m.Run()
	if tandemBinary.dir != "" {
		os.RemoveAll(tandemBinary.dir)
	}
	os.Exit(code)
}

// tandemBinary is the command built once for every test that runs it.
var tandemBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildTandem builds the command, once per test run, and returns the
// binary's path. It skips the test in -short mode: these tests start real
// processes, and they must run in CI.
func buildTandem(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the real tandem binary; skipped in -short mode")
	}
	b := &tandemBinary
	b.once.Do(func() {
		start := time.Now()
		if b.dir, b.err = os.MkdirTemp("", "tandem-process-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "tandem")
		out, err := exec.Command("go", "build", "-o", b.path, ".").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build -o %s ./cmd/tandem: %v\n%s", b.path, err, out)
			return
		}
		t.Logf("built tandem in %v", time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// prepareHandoffs fills the database at dsn as it stands on Monday 23
// November 2026 at 10:00 in New York: a marketing head, a sales head, a
// manager, three reps under the manager, the default agreement signed, and
// n leads taken in that meet the mql rule, each routed to a rep as a
// hand-off with its first-touch, accept and first-step clocks.
func prepareHandoffs(t *testing.T, dsn string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, newYork(t)))})
	if err != nil {
		t.Fatalf("sqldb.Open(%s) = %v", dsn, err)
	}
	defer db.Close()
	ids := map[tandem.Role]int64{} // the last user created in each role
	for _, u := range []tandem.User{
		{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
		{Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "manu@example.com", Role: tandem.RoleSalesManager},
		{Email: "rex@example.com", Role: tandem.RoleSalesRep},
		{Email: "ria@example.com", Role: tandem.RoleSalesRep},
		{Email: "roy@example.com", Role: tandem.RoleSalesRep},
	} {
		switch u.Role {
		case tandem.RoleSalesManager:
			u.ManagerID = ids[tandem.RoleSalesHead]
		case tandem.RoleSalesRep:
			u.ManagerID = ids[tandem.RoleSalesManager]
		}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser(%s): %v", u.Email, err)
		}
		ids[u.Role] = u.ID
	}
	// The default agreement caps a rep at 40 open leads; three reps must
	// take every lead here, so the cap is lifted.
	body := string(agreement.Default())
	if !strings.Contains(body, "capacity: 40") {
		t.Fatal("the default agreement no longer says capacity: 40; update prepareHandoffs")
	}
	body = strings.Replace(body, "capacity: 40", "capacity: 0", 1)
	tandemtest.Sign(t, db, body, "mia@example.com", "sam@example.com")
	inputs := make([]tandem.LeadInput, n)
	for i := range inputs {
		ext := fmt.Sprintf("p%04d", i)
		inputs[i] = tandem.LeadInput{Fields: map[string]string{
			"external_id": ext, "email": ext + "@example.com", "score": "70", "company": "Co " + ext}}
	}
	rs, err := db.IntakeLeads(ctx, inputs, sqldb.IntakeOptions{})
	if err != nil {
		t.Fatalf("IntakeLeads: %v", err)
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("IntakeLeads: %+v", r)
		}
	}
}

// rawDB opens the database as the tests' eyes: plain SQL, no migrations,
// read only on SQLite.
func rawDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, src := "pgx", dsn
	if !sqldb.IsPostgres(dsn) {
		driver, src = "sqlite", dsn+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// querier is a database or a transaction in it.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

// count runs a SELECT count(*) query.
func count(t *testing.T, db querier, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// anyTime reads a time column: text on SQLite, timestamptz on PostgreSQL.
type anyTime struct{ t *time.Time }

func (a anyTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*a.t = time.Time{}
	case time.Time:
		*a.t = v
	case string:
		return a.parse(v)
	case []byte:
		return a.parse(string(v))
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}

func (a anyTime) parse(s string) (err error) {
	*a.t, err = time.Parse(time.RFC3339Nano, s)
	return err
}

// timerRow is what the tests read of a timer.
type timerRow struct {
	id        int64
	kind      string
	due       time.Time
	state     string
	payload   string
	attempts  int
	lastError string
	claimedBy string
}

func timerRows(t *testing.T, db querier, where string) []timerRow {
	t.Helper()
	rows, err := db.Query(`SELECT id, kind, due_at, state, payload, attempts, last_error, claimed_by FROM timers WHERE ` + where + ` ORDER BY id`)
	if err != nil {
		t.Fatalf("timers: %v", err)
	}
	defer rows.Close()
	var ts []timerRow
	for rows.Next() {
		var r timerRow
		if err := rows.Scan(&r.id, &r.kind, anyTime{&r.due}, &r.state, &r.payload, &r.attempts, &r.lastError, &r.claimedBy); err != nil {
			t.Fatalf("timers: %v", err)
		}
		ts = append(ts, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("timers: %v", err)
	}
	return ts
}

// progress is how far the serve processes have come.
type progress struct {
	fired, pendingDue, failing int // timers
	sent, pending, inFlight    int // email and chat notifications; in flight: claimed, not sent
}

func (p progress) String() string {
	return fmt.Sprintf("timers: %d fired, %d pending and due, %d failing; notifications: %d sent, %d pending (%d claimed)",
		p.fired, p.pendingDue, p.failing, p.sent, p.pending, p.inFlight)
}

func (p progress) done() bool { return p.pendingDue == 0 && p.failing == 0 && p.pending == 0 }

func readProgress(t *testing.T, sdb *sql.DB, now time.Time) progress {
	t.Helper()
	// One snapshot, so that the counts agree with each other.
	db, err := sdb.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	defer db.Rollback()
	var p progress
	p.fired = count(t, db, `SELECT count(*) FROM timers WHERE state = 'fired'`)
	for _, r := range timerRows(t, db, `state = 'pending'`) {
		if !r.due.After(now) {
			p.pendingDue++
		}
		if r.attempts > 0 {
			p.failing++
		}
	}
	p.sent = count(t, db, `SELECT count(*) FROM notifications WHERE channel <> 'inbox' AND state = 'sent'`)
	p.pending = count(t, db, `SELECT count(*) FROM notifications WHERE channel <> 'inbox' AND state = 'pending'`)
	p.inFlight = count(t, db, `SELECT count(*) FROM notifications WHERE channel <> 'inbox' AND state = 'pending' AND claimed_by <> ''`)
	return p
}

// receivers are an SMTP server and a chat webhook on 127.0.0.1 that count
// each notification id they receive (the X-Tandem-Notification header).
type receivers struct {
	smtpURL, chatURL string

	mu    sync.Mutex
	email map[int64]int
	chat  map[int64]int
	bad   []string // what could not be read
}

func startReceivers(t *testing.T) *receivers {
	t.Helper()
	r := &receivers{email: map[int64]int{}, chat: map[int64]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	// A connection reset by a killed sender is expected; not news.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	r.smtpURL = "smtp://" + ln.Addr().String() + "?from=tandem@example.com&tls=none"

	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The header counts only once the whole request has arrived, as a
		// real receiver would act on it.
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return
		}
		r.record(r.chat, req.Header.Get("X-Tandem-Notification"))
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(chat.Close)
	r.chatURL = chat.URL + "/hooks/escalations"
	return r
}

func (r *receivers) record(m map[int64]int, header string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, err := strconv.ParseInt(header, 10, 64)
	if err != nil {
		r.bad = append(r.bad, fmt.Sprintf("X-Tandem-Notification %q", header))
		return
	}
	m[id]++
}

// seen returns how often each id arrived by email and by chat.
func (r *receivers) seen() (email, chat map[int64]int, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	email, chat = map[int64]int{}, map[int64]int{}
	for id, n := range r.email {
		email[id] = n
	}
	for id, n := range r.chat {
		chat[id] = n
	}
	return email, chat, append([]string(nil), r.bad...)
}

// NewSession makes receivers an smtp.Backend.
func (r *receivers) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{r: r}, nil }

type mailSession struct{ r *receivers }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }

func (s *mailSession) Data(body io.Reader) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err // the sender died mid-message: nothing was delivered
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		s.r.mu.Lock()
		s.r.bad = append(s.r.bad, fmt.Sprintf("message: %v", err))
		s.r.mu.Unlock()
		return nil
	}
	s.r.record(s.r.email, msg.Header.Get("X-Tandem-Notification"))
	return nil
}

// serveProc is one `tandem serve` process.
type serveProc struct {
	name       string
	cmd        *exec.Cmd
	stderr     *syncBuffer
	clockStart time.Time // what TANDEM_CLOCK_START says
	launched   time.Time // when the process started, on this test's clock
	exited     chan struct{}
	waitErr    error
}

// startServe starts `tandem --db DSN serve` on 127.0.0.1:0 with its clock
// at clockStart, sending email and chat to r. The process is killed when
// the test ends, if it still runs, and its stderr is logged if the test
// failed.
func startServe(t *testing.T, bin, dsn, name string, clockStart time.Time, r *receivers) *serveProc {
	t.Helper()
	p := &serveProc{name: name, stderr: &syncBuffer{}, clockStart: clockStart, exited: make(chan struct{})}
	if sqldb.IsPostgres(dsn) {
		// The tests kill tandem, never PostgreSQL, so what tandem commits
		// stays committed without waiting for the disk; the tests run
		// about twice as fast.
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("url.Parse: %v", err)
		}
		q := u.Query()
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	p.cmd = exec.Command(bin, "--db", dsn, "serve", "--addr", "127.0.0.1:0", "--allow-private-webhooks", "--smtp", r.smtpURL, "--chat-webhook", r.chatURL)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TANDEM_") {
			env = append(env, kv)
		}
	}
	p.cmd.Env = append(env, "TANDEM_WORKER_NAME="+name, "TANDEM_CLOCK_START="+clockStart.Format(time.RFC3339Nano))
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.stderr
	p.launched = time.Now() // before the process makes its clock
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if !p.done() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("stderr of %s (%v):\n%s", name, p.waitErr, tail(p.stderr.String(), 16<<10))
		}
	})
	return p
}

func (p *serveProc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// now is the process's time or a little later: its clock started after
// launch.
func (p *serveProc) now() time.Time { return p.clockStart.Add(time.Since(p.launched)) }

// kill sends SIGKILL and waits for the process to die.
func (p *serveProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	<-p.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Errorf("%s after SIGTERM: %v; want exit status 0", p.name, p.waitErr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30 s of SIGTERM", p.name)
	}
}

// logWarnings logs what the process warned about or logged as an error:
// retried timers and sends, which the tests allow but a reader wants to see.
func (p *serveProc) logWarnings(t *testing.T) {
	t.Helper()
	var lines []string
	for line := range strings.Lines(p.stderr.String()) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			lines = append(lines, line)
		}
	}
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("... and %d more\n", len(lines)-10))
	}
	if len(lines) > 0 {
		t.Logf("%s logged:\n%s", p.name, strings.Join(lines, ""))
	}
}

// alive fails the test if a process has exited.
func alive(t *testing.T, ps ...*serveProc) {
	t.Helper()
	for _, p := range ps {
		if p.done() {
			t.Fatalf("%s exited early: %v\n%s", p.name, p.waitErr, tail(p.stderr.String(), 16<<10))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// waitDone polls the database until everything due by the process's now
// has fired and every notification has gone out. The deadline catches work
// that never finishes, not slow work: the speed is the benchmarks' to
// measure, and a loaded CI machine has sent these notifications at a third
// of the usual rate.
func waitDone(t *testing.T, db *sql.DB, deadline time.Duration, ps ...*serveProc) {
	t.Helper()
	start, logged := time.Now(), time.Now()
	for {
		alive(t, ps...)
		p := readProgress(t, db, ps[0].now())
		if p.done() {
			t.Logf("all due work done %v after the start: %v", time.Since(start).Round(time.Millisecond), p)
			return
		}
		if time.Since(start) > deadline {
			for _, r := range timerRows(t, db, `state = 'pending' AND attempts > 0`) {
				t.Logf("failing timer %d (%s): %d attempts: %s", r.id, r.kind, r.attempts, r.lastError)
			}
			t.Fatalf("not done %v after the start: %v", deadline, p)
		}
		if time.Since(logged) > 5*time.Second {
			t.Logf("%v: %v", time.Since(start).Round(time.Second), p)
			logged = time.Now()
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkFired checks the clocks once the processes have stopped, at now:
// every timer due by then fired exactly once, each SLA clock's breach is in
// the ledger exactly once, and every notification that firing wrote was
// sent. It returns the fired timers.
func checkFired(t *testing.T, db *sql.DB, now time.Time) []timerRow {
	t.Helper()
	var fired []timerRow
	breaches := map[string]int{} // by hand-off and clock: fired timers
	escalations := 0
	for _, r := range timerRows(t, db, `1 = 1`) {
		if r.due.After(now) {
			continue
		}
		if r.state != "fired" {
			t.Errorf("timer %d (%s, due %v) is %s; want fired (attempts %d, last error %q)", r.id, r.kind, r.due, r.state, r.attempts, r.lastError)
			continue
		}
		fired = append(fired, r)
		var pl struct{ Handoff int64 }
		if err := json.Unmarshal([]byte(r.payload), &pl); err != nil {
			t.Fatalf("timer %d payload %q: %v", r.id, r.payload, err)
		}
		switch r.kind {
		case sqldb.TimerFirstTouch, sqldb.TimerAccept, sqldb.TimerStep:
			breaches[fmt.Sprintf("hand-off %d %s", pl.Handoff, r.kind)]++
		case sqldb.TimerEscalate:
			escalations++
		default:
			t.Errorf("timer %d is a %s timer; want only SLA clocks and escalations here", r.id, r.kind)
		}
	}
	if len(fired) == 0 {
		t.Fatal("no timer fired")
	}

	// The ledger: one breach per clock, none for a clock that did not fire.
	rows, err := db.Query(`SELECT id, lead_id, data FROM events WHERE type = 'breached'`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	perClock := map[string]int{}  // by hand-off, clock and task: breach events
	perTimers := map[string]int{} // by hand-off and clock: breach events
	events := 0
	for rows.Next() {
		var id, lead int64
		var data string
		if err := rows.Scan(&id, &lead, &data); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		var d struct{ Detail map[string]string }
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			t.Fatalf("event %d data %q: %v", id, data, err)
		}
		x := d.Detail
		perClock[fmt.Sprintf("lead %d hand-off %s %s step %s %s", lead, x["handoff"], x["clock"], x["cadence"], x["step"])]++
		perTimers[fmt.Sprintf("hand-off %s %s", x["handoff"], x["clock"])]++
		events++
	}
	if err := rows.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for k, n := range perClock {
		if n != 1 {
			t.Errorf("%s: %d breached events; want 1", k, n)
		}
	}
	for k, n := range breaches {
		if perTimers[k] != n {
			t.Errorf("%s: %d breached events for %d fired timers; want as many", k, perTimers[k], n)
		}
	}
	for k, n := range perTimers {
		if breaches[k] == 0 {
			t.Errorf("%s: %d breached events, but no such clock fired", k, n)
		}
	}
	t.Logf("%d timers fired: %d clocks breached (%d breached events), %d escalations", len(fired), len(breaches), events, escalations)

	// The outbox: each breach tells the rep at once and each escalation
	// tells a manager or the head; one email to that person and one chat
	// message each time, all sent.
	want := len(breaches) + escalations
	for _, ch := range []string{"inbox", "email", "chat"} {
		if got := count(t, db, `SELECT count(*) FROM notifications WHERE lead_id IS NOT NULL AND channel = '`+ch+`'
			AND event_id IN (SELECT id FROM outbox_events WHERE type = 'escalation.sent')`); got != want {
			t.Errorf("%d %s notifications; want %d, one per breach and escalation", got, ch, want)
		}
	}
	// Each routing tells the new owner in the inbox, once.
	if got, want := count(t, db, `SELECT count(*) FROM notifications WHERE channel = 'inbox'
		AND event_id IN (SELECT id FROM outbox_events WHERE type = 'handoff.assigned')`),
		count(t, db, `SELECT count(*) FROM outbox_events WHERE type = 'handoff.assigned'`); got != want {
		t.Errorf("%d inbox notifications of assignments; want %d, one per handoff.assigned event", got, want)
	}
	// The daily round of every process checks for jeopardy at its start
	// (no goal is met in this company): each alert is raised once, with one
	// chat message, however many processes checked.
	alerts := count(t, db, `SELECT count(*) FROM alerts`)
	if got := count(t, db, `SELECT count(*) FROM notifications WHERE lead_id IS NULL AND channel = 'chat'`); got != alerts {
		t.Errorf("%d chat messages about %d jeopardy alerts; want one each", got, alerts)
	}
	if n := count(t, db, `SELECT count(*) FROM notifications WHERE state <> 'sent'`); n != 0 {
		t.Errorf("%d notifications are not sent; want all sent", n)
	}
	return fired
}

// checkDelivered checks that each email and chat notification reached its
// receiver, and returns how often each one that arrived more than once did.
func checkDelivered(t *testing.T, db *sql.DB, r *receivers) (dups map[int64]int) {
	t.Helper()
	email, chat, bad := r.seen()
	for _, b := range bad {
		t.Errorf("a receiver could not read %s", b)
	}
	rows, err := db.Query(`SELECT id, channel FROM notifications WHERE channel <> 'inbox'`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	defer rows.Close()
	known := map[int64]bool{}
	dups = map[int64]int{}
	missing := 0
	for rows.Next() {
		var id int64
		var ch string
		if err := rows.Scan(&id, &ch); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		known[id] = true
		seen := email
		if ch == "chat" {
			seen = chat
		}
		switch n := seen[id]; {
		case n == 0:
			if missing++; missing <= 10 {
				t.Errorf("%s notification %d never arrived", ch, id)
			}
		case n > 1:
			dups[id] = n
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	if missing > 0 {
		t.Errorf("%d notifications never arrived", missing)
	}
	for name, seen := range map[string]map[int64]int{"email": email, "chat": chat} {
		for id := range seen {
			if !known[id] {
				t.Errorf("%s receiver got notification %d, which the outbox does not hold", name, id)
			}
		}
	}
	return dups
}

// claimedNotSent returns the email and chat notifications claimed and not marked
// sent.
func claimedNotSent(t *testing.T, db *sql.DB) map[int64]bool {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM notifications WHERE channel <> 'inbox' AND state = 'pending' AND claimed_by <> ''`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		ids[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return ids
}

// TestServeSurvivesSIGKILL kills `tandem serve` with SIGKILL while it fires
// a morning's worth of breached clocks and sends their escalations, starts
// it again, and checks that every clock fired exactly once and every
// notification arrived, a second copy only of one in flight at the kill.
func TestServeSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	bin := buildTandem(t)
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			const handoffs = 300
			began := time.Now()
			prepareHandoffs(t, b.DSN, handoffs)
			db := rawDB(t, b.DSN)
			if n := count(t, db, `SELECT count(*) FROM handoffs WHERE owner_id IS NOT NULL`); n != handoffs {
				t.Fatalf("%d routed hand-offs; want %d", n, handoffs)
			}
			t.Logf("prepared %d hand-offs in %v", handoffs, time.Since(began).Round(time.Millisecond))
			r := startReceivers(t)

			// At 15:00 the first touches (due 10:10), first steps (10:10)
			// and accepts (14:00) have all been missed, and so have the
			// escalations 30 minutes and 2 hours after them, but the
			// accepts' 2-hour escalations (16:00).
			start := time.Date(2026, 11, 23, 15, 0, 0, 0, newYork(t))
			first := startServe(t, bin, b.DSN, "first", start, r)
			// Kill once the outbox has sent something, not just once a
			// timer fired: then both the worker and the outbox are cut
			// off in the middle.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
				alive(t, first)
				if time.Now().After(deadline) {
					t.Fatalf("nothing fired in 30 s: %v", readProgress(t, db, first.now()))
				}
				if count(t, db, `SELECT count(*) FROM notifications WHERE channel <> 'inbox' AND state = 'sent'`) > 0 {
					break
				}
			}
			first.kill(t)
			// What was claimed and not marked sent at the kill may have
			// reached its receiver: the only notifications allowed twice.
			at := readProgress(t, db, first.now())
			maybeSent := claimedNotSent(t, db)
			t.Logf("SIGKILL %v after start: %v", time.Since(first.launched).Round(time.Millisecond), at)
			if at.done() {
				t.Fatalf("the kill came after all the work was done, so it tested nothing: %v", at)
			}

			// The outbox leased what the first process claimed for 2
			// minutes: restart as if that much time had passed, rather
			// than wait for it.
			restart := first.now().Add(outboxLease + time.Second)
			second := startServe(t, bin, b.DSN, "second", restart, r)
			waitDone(t, db, doneWithin, second)
			second.stop(t)
			first.logWarnings(t)
			second.logWarnings(t)
			fired := checkFired(t, db, second.now())
			dups := checkDelivered(t, db, r)
			t.Logf("%d timers fired; duplicates: %d notifications arrived twice (%v), %d were in flight at the kill; %v in all",
				len(fired), len(dups), dups, len(maybeSent), time.Since(began).Round(time.Millisecond))
			for id, n := range dups {
				if !maybeSent[id] || n > 2 {
					t.Errorf("notification %d arrived %d times; want once, or twice if it was in flight at the kill (in flight: %v)", id, n, maybeSent[id])
				}
			}
			if len(dups) > len(maybeSent) {
				t.Errorf("%d notifications arrived twice; want at most %d, the notifications claimed and not sent at the kill", len(dups), len(maybeSent))
			}
		})
	}
}

// TestTwoServesShareClocks runs two `tandem serve` replicas on one
// PostgreSQL database: together they fire each clock once and send each
// notification once.
func TestTwoServesShareClocks(t *testing.T) {
	base := os.Getenv(sqldbtest.EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set: replicas share clocks only on PostgreSQL", sqldbtest.EnvPostgres)
	}
	t.Parallel()
	bin := buildTandem(t)
	const handoffs = 500
	began := time.Now()
	dsn := sqldbtest.NewSchema(t, base)
	prepareHandoffs(t, dsn, handoffs)
	db := rawDB(t, dsn)
	if n := count(t, db, `SELECT count(*) FROM handoffs WHERE owner_id IS NOT NULL`); n != handoffs {
		t.Fatalf("%d routed hand-offs; want %d", n, handoffs)
	}
	t.Logf("prepared %d hand-offs in %v", handoffs, time.Since(began).Round(time.Millisecond))
	r := startReceivers(t)

	start := time.Date(2026, 11, 23, 15, 0, 0, 0, newYork(t))
	a := startServe(t, bin, dsn, "replica-a", start, r)
	b := startServe(t, bin, dsn, "replica-b", start, r)
	waitDone(t, db, doneWithin, a, b)
	a.stop(t)
	b.stop(t)
	a.logWarnings(t)
	b.logWarnings(t)

	fired := checkFired(t, db, a.now())
	by := map[string]int{}
	for _, f := range fired {
		if f.claimedBy != a.name && f.claimedBy != b.name {
			t.Errorf("timer %d was fired by %q; want %s or %s", f.id, f.claimedBy, a.name, b.name)
		}
		by[f.claimedBy]++
	}
	if by[a.name] == 0 || by[b.name] == 0 {
		t.Logf("one replica fired every timer (%v): the other never won a claim, which is allowed", by)
	}
	sentBy := map[string]int{}
	rows, err := db.Query(`SELECT claimed_by, count(*) FROM notifications WHERE channel <> 'inbox' GROUP BY claimed_by`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		sentBy[name] = n
	}
	rows.Close()
	dups := checkDelivered(t, db, r)
	t.Logf("timers fired by %v; notifications sent by %v; duplicates: %d; %v in all", by, sentBy, len(dups), time.Since(began).Round(time.Millisecond))
	if len(dups) != 0 {
		t.Errorf("notifications arrived more than once (id: copies): %v; want none: no process died", dups)
	}
}

// prepareSlowRule fills the database at dsn with the users an agreement
// needs and puts in force an agreement whose mql entry rule is badRule, as
// one signed before rules had a budget would be (proposing it is refused
// now, so the rule is written into the stored version before it is signed).
func prepareSlowRule(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	open := func() *sqldb.DB {
		db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clock.Real{}})
		if err != nil {
			t.Fatalf("sqldb.Open(%s) = %v", dsn, err)
		}
		return db
	}
	db := open()
	ids := map[tandem.Role]int64{}
	for _, u := range []tandem.User{
		{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
		{Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "manu@example.com", Role: tandem.RoleSalesManager},
		{Email: "rex@example.com", Role: tandem.RoleSalesRep},
	} {
		switch u.Role {
		case tandem.RoleSalesManager:
			u.ManagerID = ids[tandem.RoleSalesHead]
		case tandem.RoleSalesRep:
			u.ManagerID = ids[tandem.RoleSalesManager]
		}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser(%s): %v", u.Email, err)
		}
		ids[u.Role] = u.ID
	}
	body := strings.Replace(string(agreement.Default()), "capacity: 40", "capacity: 0", 1)
	v, _, err := db.ProposeAgreement(ctx, "agreement.yaml", body, "mia@example.com")
	if err != nil {
		t.Fatalf("ProposeAgreement: %v", err)
	}
	db.Close()
	driver := "sqlite"
	if sqldb.IsPostgres(dsn) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	res, err := raw.Exec(`UPDATE agreement_versions SET body = replace(body, $1, $2) WHERE version = $3`,
		`score >= 60 and email != ""`, badRule, v.Version)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("writing the slow rule into version %d: %d rows, %v", v.Version, n, err)
	}
	raw.Close()
	db = open()
	defer db.Close()
	for _, who := range []string{"mia@example.com", "sam@example.com"} {
		if _, err := db.SignAgreement(ctx, v.Version, who); err != nil {
			t.Fatalf("SignAgreement(%d, %s): %v", v.Version, who, err)
		}
	}
}

// TestImportStopsOnSIGTERM runs `tandem import leads` on a large file under
// the slow rule of issue 11 and sends SIGTERM once the first batch is in:
// the import stops within 5 s, exits non-zero saying what it committed, the
// batch in progress leaves nothing behind, and the ledger is clean. Before
// rules had a budget, one lead under this rule took 8 s, and SIGTERM went
// unheard for as long as the batch ran.
func TestImportStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := buildTandem(t)
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			prepareSlowRule(t, b.DSN)
			db := rawDB(t, b.DSN)
			leadsBefore := count(t, db, `SELECT count(*) FROM leads`)
			eventsBefore := count(t, db, `SELECT count(*) FROM events`)

			// The first batch, and then every other row, names the stage
			// sal, which no rule decides: those go in. The others start at
			// lead, where the slow rule decides mql: they are refused, each
			// after the rule's budget or once its batch's rule time is used
			// up.
			const rows, batch = 40000, 500
			var csv strings.Builder
			csv.WriteString("ID,Email,Stage,Score\n")
			for i := range rows {
				stage := ""
				if i < batch || i%2 == 0 {
					stage = "sal"
				}
				fmt.Fprintf(&csv, "r%05d,r%05d@example.com,%s,70\n", i, i, stage)
			}
			file := filepath.Join(dir, "leads.csv")
			mapping := filepath.Join(dir, "leads.yaml")
			if err := os.WriteFile(file, []byte(csv.String()), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			if err := os.WriteFile(mapping, []byte("kind: leads\nsource: expo\nfields:\n  external_id: ID\n  email: Email\n  stage: Stage\n  score: Score\n"), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}

			cmd := exec.Command(bin, "--db", b.DSN, "import", "leads", file, "--mapping", mapping, "--batch", fmt.Sprint(batch))
			cmd.Env = append(os.Environ(), "TANDEM_DB=")
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatalf("Start: %v", err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { cmd.Process.Kill() })
			// SIGTERM once the first batch is committed.
			for deadline := time.Now().Add(60 * time.Second); count(t, db, `SELECT count(*) FROM leads`) == leadsBefore; time.Sleep(5 * time.Millisecond) {
				select {
				case err := <-exited:
					t.Fatalf("the import ended before its first batch was seen: %v\n%s%s", err, stdout.String(), stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no batch committed in 60 s\n%s", stderr.String())
				}
			}
			// Then a little later, while the next batches run their rules.
			time.Sleep(600 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatalf("Signal: %v", err)
			}
			sent := time.Now()
			var err error
			select {
			case err = <-exited:
			case <-time.After(5 * time.Second):
				t.Fatalf("the import did not stop within 5 s of SIGTERM\n%s", stderr.String())
			}
			t.Logf("stopped %v after SIGTERM: %v\n%s", time.Since(sent).Round(time.Millisecond), err, stderr.String())
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit status %d after SIGTERM; want 1", code)
			}
			// The message says what was committed; the database holds
			// exactly that.
			var n, created, updated, unchanged, rejected int
			msg := stderr.String()
			i := strings.Index(msg, "import interrupted: the ")
			if i < 0 {
				t.Fatalf("stderr %q; want it to say the import was interrupted and what it committed", msg)
			}
			if _, err := fmt.Sscanf(msg[i:], "import interrupted: the %d rows before it were committed (%d created, %d updated, %d unchanged, %d rejected)",
				&n, &created, &updated, &unchanged, &rejected); err != nil {
				t.Fatalf("stderr %q: %v", msg, err)
			}
			if n == 0 || n == rows || n%batch != 0 {
				t.Errorf("%d rows committed; want whole batches of %d, fewer than %d", n, batch, rows)
			}
			if want := (n - batch) / 2; created != batch+want || rejected != want || updated+unchanged != 0 {
				t.Errorf("committed %d created, %d updated, %d unchanged and %d rejected of %d rows; want %d created (the sal rows) and %d rejected (the rows the slow rule decides)",
					created, updated, unchanged, rejected, n, batch+want, want)
			}
			// Each rejected row says which rule refused it, and where the
			// rule is written.
			rejects, err := os.ReadFile(filepath.Join(dir, "leads.rejects.csv"))
			if got := strings.Count(string(rejects), "the entry rule of mql (stages[2].entry, line 60 of agreement version 1)"); rejected > 0 && (err != nil || got != rejected) {
				t.Errorf("%d rejects name the rule (%v); want %d:\n%.2000s", got, err, rejected, rejects)
			}
			leads := count(t, db, `SELECT count(*) FROM leads`) - leadsBefore
			if leads != created {
				t.Errorf("%d leads in the database; want %d, the created rows the import reported", leads, created)
			}
			// Nothing half-written: every new lead is in sal with its
			// created event, and no event belongs to a lead that is not
			// stored (a foreign key would refuse that anyway).
			if got := count(t, db, `SELECT count(*) FROM leads WHERE stage = 'sal' AND source = 'expo'`); got != created {
				t.Errorf("%d leads in sal; want %d", got, created)
			}
			if got := count(t, db, `SELECT count(*) FROM events e JOIN leads l ON l.id = e.lead_id WHERE l.source = 'expo' AND e.type = 'created'`); got != created {
				t.Errorf("%d created events; want %d", got, created)
			}
			events := count(t, db, `SELECT count(*) FROM events`) - eventsBefore
			if events < created || events%created != 0 {
				t.Errorf("%d new events for %d new leads; want the same number for each lead", events, created)
			}
			out, err := exec.Command(bin, "--db", b.DSN, "ledger", "verify").CombinedOutput()
			if err != nil || !strings.Contains(string(out), fmt.Sprintf("%d leads checked, 0 differ", leads+leadsBefore)) {
				t.Errorf("tandem ledger verify: %v\n%s", err, out)
			}
		})
	}
}
