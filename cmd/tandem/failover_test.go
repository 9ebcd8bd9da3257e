package main

// TestFailover builds what docs/operations.md describes for running Tandem
// past one machine on PostgreSQL's own replication: a primary and a
// streaming hot standby with synchronous replication, made with Debian's
// PostgreSQL tools, and two `tandem serve` replicas whose DSN names both
// hosts with target_session_attrs=read-write. It stops the primary hard in
// the middle of the work, promotes the standby, and checks that the
// replicas reconnected by themselves and lost nothing.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
)

// EnvFailover makes TestFailover run, or fail, where it would otherwise
// skip: CI sets it, on a machine with the PostgreSQL server packages.
const EnvFailover = "TANDEM_TEST_FAILOVER"

// pgVersion is the Debian PostgreSQL major version the test's clusters use.
const pgVersion = "15"

// pgBin is where Debian installs the server programs of pgVersion.
var pgBin = filepath.Join("/usr/lib/postgresql", pgVersion, "bin")

// needFailover skips the test, with the reason, where the PostgreSQL
// server tools are missing or the test may not run them (not root); with
// EnvFailover set it fails instead.
func needFailover(t *testing.T) {
	t.Helper()
	var missing []string
	for _, p := range []string{"/usr/bin/pg_createcluster", "/usr/bin/pg_ctlcluster", "/usr/bin/pg_dropcluster", "/usr/sbin/runuser",
		filepath.Join(pgBin, "pg_basebackup"), filepath.Join(pgBin, "postgres")} {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	why := ""
	switch {
	case len(missing) > 0:
		why = fmt.Sprintf("the PostgreSQL %s server tools are missing (%s): apt-get install postgresql-%s", pgVersion, strings.Join(missing, ", "), pgVersion)
	case os.Geteuid() != 0:
		why = "pg_createcluster writes /etc/postgresql and runs the server as user postgres: the test must run as root"
	}
	if why == "" {
		return
	}
	if os.Getenv(EnvFailover) != "" {
		t.Fatalf("%s is set, so this test must run, but %s", EnvFailover, why)
	}
	t.Skipf("%s (set %s=1 to make this a failure)", why, EnvFailover)
}

// cluster is one PostgreSQL cluster the test made with pg_createcluster.
type cluster struct {
	name string
	port int
	dir  string // its data directory
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// run runs a command and returns its output, or an error with the output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// newCluster names a cluster with a data directory under dir and a free
// port; it is dropped when the test ends, whatever happens.
func newCluster(t *testing.T, name, dir string) *cluster {
	t.Helper()
	c := &cluster{name: name, port: freePort(t), dir: filepath.Join(dir, name)}
	t.Cleanup(func() {
		if out, err := exec.Command("pg_dropcluster", "--stop", pgVersion, c.name).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("does not exist")) {
			t.Logf("pg_dropcluster %s: %v\n%s", c.name, err, out)
		}
	})
	return c
}

// create creates the cluster (and does not start it), trusting local
// connections. A primary replicates synchronously to any standby: a commit
// returns only once a standby has it. The standby does not: promoted, it
// is a primary without a standby, whose commits would otherwise wait for
// one forever.
func (c *cluster) create(primary bool) error {
	if _, err := run("pg_createcluster", "--start-conf=manual", "-p", fmt.Sprint(c.port), "-d", c.dir, pgVersion, c.name, "--", "--no-sync"); err != nil {
		return err
	}
	conf := filepath.Join("/etc/postgresql", pgVersion, c.name)
	hba := "local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n"
	if err := os.WriteFile(filepath.Join(conf, "pg_hba.conf"), []byte(hba), 0o640); err != nil {
		return err
	}
	// The test runs on loopback only. fsync is off because the test stops
	// the server, never the machine: the operating system keeps what was
	// written.
	extra := "listen_addresses = '127.0.0.1'\nfsync = off\n"
	if primary {
		extra += "synchronous_standby_names = '*'\n"
	}
	return os.WriteFile(filepath.Join(conf, "conf.d", "failover.conf"), []byte(extra), 0o644)
}

// ctl runs pg_ctlcluster on the cluster: start, stop, promote.
func (c *cluster) ctl(t *testing.T, args ...string) {
	t.Helper()
	if _, err := run("pg_ctlcluster", append([]string{pgVersion, c.name}, args...)...); err != nil {
		t.Fatal(err)
	}
}

// dsn is a URL to the database db on this cluster alone.
func (c *cluster) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// primaryAndStandby makes a primary and a streaming hot standby of it,
// both running, the standby synchronous, and a database tandem on them.
func primaryAndStandby(t *testing.T) (primary, standby *cluster) {
	t.Helper()
	dir, err := os.MkdirTemp("", "tandem-failover-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// The server and pg_basebackup run as postgres, in directories they
	// make here.
	if _, err := run("chown", "postgres:postgres", dir); err != nil {
		t.Fatal(err)
	}
	suffix := fmt.Sprint(os.Getpid())
	primary = newCluster(t, "tandem_fo_primary_"+suffix, dir)
	standby = newCluster(t, "tandem_fo_standby_"+suffix, dir)
	// initdb is the slow part: both clusters at once.
	var wg sync.WaitGroup
	var errs [2]error
	for i, c := range []*cluster{primary, standby} {
		wg.Go(func() { errs[i] = c.create(c == primary) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	primary.ctl(t, "start")
	// The standby is the primary's base backup (-R writes standby.signal
	// and primary_conninfo) in place of the cluster initdb made.
	if err := os.RemoveAll(standby.dir); err != nil {
		t.Fatal(err)
	}
	if _, err := run("runuser", "-u", "postgres", "--", filepath.Join(pgBin, "pg_basebackup"), "-R", "-X", "stream", "-c", "fast",
		"-D", standby.dir, "-d", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres application_name=standby", primary.port)); err != nil {
		t.Fatal(err)
	}
	standby.ctl(t, "start")
	db, err := sql.Open("pgx", primary.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var state string
		err := db.QueryRow(`SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'`).Scan(&state)
		if err == nil && state == "sync" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby is not a synchronous standby a minute after it started: %q, %v", state, err)
		}
	}
	if _, err := db.Exec(`CREATE DATABASE tandem`); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	return primary, standby
}

// replica is a `tandem serve` started by startReplica, and its URL.
type replica struct {
	*serveProc
	url string
}

// startReplica starts `tandem --db DSN [--db-read READ] serve` on
// 127.0.0.1:0 with its clock at clockStart, sending email and chat to r,
// and waits for the URL it prints. Unlike startServe it leaves the DSN as
// it is: the commits must wait for the synchronous standby.
func startReplica(t *testing.T, bin, dsn, read, name string, clockStart time.Time, r *receivers) *replica {
	t.Helper()
	p := &serveProc{name: name, stderr: &syncBuffer{}, clockStart: clockStart, exited: make(chan struct{})}
	args := []string{"--db", dsn}
	if read != "" {
		args = append(args, "--db-read", read)
	}
	p.cmd = exec.Command(bin, append(args, "serve", "--addr", "127.0.0.1:0", "--smtp", r.smtpURL, "--chat-webhook", r.chatURL)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TANDEM_") {
			env = append(env, kv)
		}
	}
	p.cmd.Env = append(env, "TANDEM_WORKER_NAME="+name, "TANDEM_CLOCK_START="+clockStart.Format(time.RFC3339Nano))
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	p.launched = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	lines, copied := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(copied)
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, br)
	}()
	go func() {
		<-copied // Wait closes the pipe: not before it is read to the end
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
	select {
	case line := <-lines:
		u, ok := strings.CutPrefix(line, "Tandem is serving on ")
		u, _, cut := strings.Cut(u, " (stop with Ctrl-C)\n")
		if !ok || !cut {
			t.Fatalf("%s printed %q; want \"Tandem is serving on URL (stop with Ctrl-C)\"; stderr:\n%s", name, line, p.stderr)
		}
		return &replica{p, u}
	case <-time.After(time.Minute):
		t.Fatalf("%s printed nothing in a minute; stderr:\n%s", name, p.stderr)
	}
	return nil
}

// leadStream posts leads to the replicas' API, one at a time, in turn,
// until stopped, and keeps the external ids each one acknowledged.
type leadStream struct {
	stopped chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	acked  map[string]string // external id: the replica that acknowledged it
	sent   int
	failed map[string]int // by replica: requests not acknowledged
	errs   []string       // the first few of them
}

// streamLeads starts posting leads with the token to the replicas.
func streamLeads(token string, rs ...*replica) *leadStream {
	s := &leadStream{stopped: make(chan struct{}), done: make(chan struct{}), acked: map[string]string{}, failed: map[string]int{}}
	client := &http.Client{Timeout: 20 * time.Second}
	go func() {
		defer close(s.done)
		for i := 0; ; i++ {
			select {
			case <-s.stopped:
				return
			case <-time.After(20 * time.Millisecond):
			}
			r := rs[i%len(rs)]
			ext := fmt.Sprintf("fo%05d", i)
			body := fmt.Sprintf(`{"external_id": %q, "email": "%s@example.com", "company": "Failover %d", "score": 70}`, ext, ext, i)
			req, err := http.NewRequest("POST", r.url+"/api/v1/leads", strings.NewReader(body))
			if err != nil {
				panic(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			status := 0
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			s.mu.Lock()
			s.sent++
			if status == http.StatusCreated {
				s.acked[ext] = r.name
			} else {
				s.failed[r.name]++
				if len(s.errs) < 5 {
					s.errs = append(s.errs, fmt.Sprintf("%s to %s: status %d, %v", ext, r.name, status, err))
				}
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// ackedBy counts the leads each replica acknowledged.
func (s *leadStream) ackedBy() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, r := range s.acked {
		n[r]++
	}
	return n
}

func (s *leadStream) stop() {
	close(s.stopped)
	<-s.done
}

// apiToken makes an admin API token in the database at dsn.
func apiToken(t *testing.T, dsn string, now time.Time) string {
	t.Helper()
	db, err := sqldb.Open(context.Background(), dsn, sqldb.Options{Clock: clock.NewFake(now)})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	defer db.Close()
	_, secret, err := db.CreateToken(context.Background(), "failover", tandem.RoleAdmin)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return secret
}

// TestFailover runs two `tandem serve` replicas on a primary with a
// synchronous hot standby, firing a morning's breached clocks and taking
// leads through the API, stops the primary hard (immediate: no shutdown
// checkpoint, connections cut), promotes the standby, and checks that the
// replicas carried on by themselves on the new primary: every lead the API
// acknowledged is there, every clock due fired exactly once, every
// notification was sent (a second copy only of one claimed and not marked
// sent when the primary stopped). Both replicas read the kept reports from
// the standby (--db-read).
func TestFailover(t *testing.T) {
	needFailover(t)
	t.Parallel()
	bin := buildTandem(t)
	began := time.Now()
	primary, standby := primaryAndStandby(t)
	t.Logf("made the primary (port %d) and its synchronous standby (port %d) in %v", primary.port, standby.port, time.Since(began).Round(time.Millisecond))

	const handoffs = 500
	prepareHandoffs(t, primary.dsn("tandem"), handoffs)
	start := time.Date(2026, 11, 23, 15, 0, 0, 0, newYork(t))
	token := apiToken(t, primary.dsn("tandem"), start)
	r := startReceivers(t)
	// Both hosts: pgx tries them in order and keeps the one that takes
	// writes, the primary before the failover and the promoted standby
	// after it.
	both := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/tandem?sslmode=disable&target_session_attrs=read-write", primary.port, standby.port)
	read := standby.dsn("tandem") + "&application_name=tandem-read"
	a := startReplica(t, bin, both, read, "replica-a", start, r)
	b := startReplica(t, bin, both, read, "replica-b", start, r)
	leads := streamLeads(token, a, b)
	stopped := false
	defer func() {
		if !stopped {
			leads.stop()
		}
	}()
	pdb := rawDB(t, primary.dsn("tandem"))
	sdb := rawDB(t, standby.dsn("tandem"))

	// Stop the primary once notifications go out and both replicas have
	// taken leads: the workers, the outbox and the API are all cut off in
	// the middle.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		alive(t, a.serveProc, b.serveProc)
		if time.Now().After(deadline) {
			t.Fatalf("not under way in 2 minutes: %v; leads acknowledged %v", readProgress(t, pdb, a.now()), leads.ackedBy())
		}
		by := leads.ackedBy()
		if by[a.name] >= 5 && by[b.name] >= 5 && count(t, pdb, `SELECT count(*) FROM notifications WHERE channel <> 'inbox' AND state = 'sent'`) > 0 {
			break
		}
	}
	// The kept reports were computed on the standby: its read pool is
	// connected there.
	if n := count(t, sdb, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-read'`); n == 0 {
		t.Errorf("no connection named tandem-read on the standby; want the --db-read pools there")
	}
	primary.ctl(t, "stop", "-m", "immediate")
	failedAt := time.Now()
	ackedBefore := leads.ackedBy()
	// Until it is promoted, the standby holds what the primary committed
	// and nothing more: what was claimed and not marked sent then may
	// have reached its receiver, the only notifications allowed twice.
	at := readProgress(t, sdb, a.now())
	maybeSent := claimedNotSent(t, sdb)
	t.Logf("stopped the primary %v after the replicas started: %v; leads acknowledged %v", time.Since(a.launched).Round(time.Millisecond), at, ackedBefore)
	if at.done() {
		t.Fatalf("the primary stopped after all the work was done, so the test tested nothing: %v", at)
	}
	time.Sleep(time.Second) // an outage, as a real failover has
	standby.ctl(t, "promote")
	promotedAt := time.Now()

	// Each replica takes leads again, by itself.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		alive(t, a.serveProc, b.serveProc)
		by := leads.ackedBy()
		if by[a.name] >= ackedBefore[a.name]+5 && by[b.name] >= ackedBefore[b.name]+5 {
			t.Logf("both replicas took leads again %v after the promotion (%v after the primary stopped)",
				time.Since(promotedAt).Round(time.Millisecond), time.Since(failedAt).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas did not take leads again within 2 minutes of the promotion: acknowledged %v, before %v; %v", by, ackedBefore, leads.errs)
		}
	}
	leads.stop()
	stopped = true
	waitDone(t, sdb, doneWithin, a.serveProc, b.serveProc)
	a.stop(t)
	b.stop(t)
	a.logWarnings(t)
	b.logWarnings(t)

	fired := checkFired(t, sdb, a.now())
	dups := checkDelivered(t, sdb, r)
	for id, n := range dups {
		if !maybeSent[id] || n > 2 {
			t.Errorf("notification %d arrived %d times; want once, or twice if it was in flight when the primary stopped (in flight: %v)", id, n, maybeSent[id])
		}
	}
	present := map[string]bool{}
	rows, err := sdb.Query(`SELECT external_id FROM leads WHERE external_id LIKE 'fo%'`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	for rows.Next() {
		var ext string
		if err := rows.Scan(&ext); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		present[ext] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for ext, by := range leads.acked {
		if !present[ext] {
			if missing++; missing <= 10 {
				t.Errorf("lead %s was acknowledged by %s and is not in the database", ext, by)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged leads are missing", missing, len(leads.acked))
	}
	t.Logf("%d timers fired; %d leads sent, %d acknowledged (%v), %d present, requests not acknowledged by replica %v (first: %v); "+
		"%d notifications arrived twice of %d in flight at the stop; %v in all",
		len(fired), leads.sent, len(leads.acked), leads.ackedBy(), len(present), leads.failed, leads.errs, len(dups), len(maybeSent), time.Since(began).Round(time.Millisecond))
}
