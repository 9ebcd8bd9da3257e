package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// epoch is the fake clock's time when a test starts: a Monday morning.
var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// noEnv is the environment of every test: empty, so that TANDEM_DB and
// TANDEM_ADDR on the machine running the tests change nothing and --db is
// always given.
func noEnv(string) string { return "" }

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// tandemCmd runs the command in-process against the database dsn, as
// `tandem --db DSN args...`.
func tandemCmd(t testing.TB, clk tandem.Clock, dsn string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: noEnv, Clock: clk}
	code := m.Run(context.Background(), append([]string{"--db", dsn}, args...))
	return result{code, stdout.String(), stderr.String()}
}

// want checks a run's exit status and output.
func (r result) want(t testing.TB, args string, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code {
		t.Errorf("tandem %s: exit status %d; want %d (stdout %q, stderr %q)", args, r.code, code, r.stdout, r.stderr)
	}
	if diff := cmp.Diff(stdout, r.stdout); diff != "" {
		t.Errorf("tandem %s: stdout (-want +got):\n%s", args, diff)
	}
	if diff := cmp.Diff(stderr, r.stderr); diff != "" {
		t.Errorf("tandem %s: stderr (-want +got):\n%s", args, diff)
	}
}

// openDB opens the database the command used, to check what it stored.
func openDB(t testing.TB, dsn string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), dsn, sqldb.Options{Clock: clock.NewFake(epoch)})
	if err != nil {
		t.Fatalf("sqldb.Open(%s) = %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAgreementFiles(t *testing.T) {
	clk := clock.NewFake(epoch)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "unused.db") // these commands do not open the database
	file := filepath.Join(dir, "agreement.yaml")

	tandemCmd(t, clk, dsn, "agreement", "init", file).want(t, "agreement init", 0,
		"wrote "+file+": edit it, check it with `tandem agreement check "+file+"`, then store it with `tandem agreement propose "+file+"`\n", "")
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, agreement.Default()) {
		t.Errorf("agreement init wrote %d bytes (%v); want the default agreement, %d bytes", len(got), err, len(agreement.Default()))
	}
	if err := os.WriteFile(file, []byte("edited\n"), 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	tandemCmd(t, clk, dsn, "agreement", "init", file).want(t, "agreement init (again)", 1,
		"", "tandem: "+file+" exists; pass --force to overwrite it\n")
	if got, _ := os.ReadFile(file); string(got) != "edited\n" {
		t.Errorf("agreement init without --force overwrote the file: it holds %q", got)
	}
	if r := tandemCmd(t, clk, dsn, "agreement", "init", "--force", file); r.code != 0 {
		t.Errorf("agreement init --force: exit status %d (%s); want 0", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, agreement.Default()) {
		t.Errorf("agreement init --force did not write the default agreement")
	}
	tandemCmd(t, clk, dsn, "agreement", "init", "-").want(t, "agreement init -", 0, string(agreement.Default()), "")

	tandemCmd(t, clk, dsn, "agreement", "check", file).want(t, "agreement check", 0,
		file+`: ok: "Sales and marketing agreement": 8 stages; 8-step cadence, first touch within 10m; 400 qualified leads a month; revenue goal 1200000 a quarter, 60% from marketing; unified KPI new_customers`+"\n", "")

	const broken = "testdata/broken.yaml"
	tandemCmd(t, clk, dsn, "agreement", "check", broken).want(t, "agreement check "+broken, 1,
		brokenProblems+"\n", "tandem: "+broken+": 7 problem(s)\n")

	missing := filepath.Join(dir, "nope.yaml")
	tandemCmd(t, clk, dsn, "agreement", "check", missing).want(t, "agreement check (missing file)", 1,
		"", "tandem: open "+missing+": no such file or directory\n")
	tandemCmd(t, clk, dsn, "agreement", "check").want(t, "agreement check (no file)", 2,
		"", "tandem: accepts 1 arg(s), received 0\n")

	// The default with three changes: a rule, a clock and the goal.
	next := string(agreement.Default())
	for _, r := range [][2]string{
		{`entry: score >= 60 and email != ""`, `entry: score >= 70 and email != ""`},
		{"first_touch_within: 10m", "first_touch_within: 15m"},
		{"revenue: 1200000", "revenue: 1500000"},
	} {
		if !strings.Contains(next, r[0]) {
			t.Fatalf("the default agreement no longer holds %q", r[0])
		}
		next = strings.Replace(next, r[0], r[1], 1)
	}
	nextFile := filepath.Join(dir, "next.yaml")
	if err := os.WriteFile(nextFile, []byte(next), 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	tandemCmd(t, clk, dsn, "agreement", "diff", file, nextFile).want(t, "agreement diff", 0,
		"- stage mql: entry rule changed from `score >= 60 and email != \"\"` to `score >= 70 and email != \"\"`\n"+
			"- sales: first touch within changed from 10m to 15m\n"+
			"- goal: revenue changed from 1200000 to 1500000\n", "")
	tandemCmd(t, clk, dsn, "agreement", "diff", file, file).want(t, "agreement diff (same file)", 0, "no changes\n", "")
	if r := tandemCmd(t, clk, dsn, "agreement", "diff", file, broken); r.code != 1 || !strings.Contains(r.stdout, broken+":4:1: ") {
		t.Errorf("agreement diff FILE %s: exit status %d, stdout %q; want 1 and the problems", broken, r.code, r.stdout)
	}
	if _, err := os.Stat(dsn); !os.IsNotExist(err) {
		t.Errorf("init, check and diff created the database %s (%v); want them to leave it alone", dsn, err)
	}
}

func TestAgreementSigning(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			file := filepath.Join(t.TempDir(), "agreement.yaml")
			if err := os.WriteFile(file, agreement.Default(), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			for _, u := range [][2]string{{"rex@example.com", "sales_rep"}, {"max@example.com", "sales_manager"}, {"mia@example.com", "marketing_head"}, {"sam@example.com", "sales_head"}} {
				if r := run("user", "add", u[0], "--role", u[1]); r.code != 0 {
					t.Fatalf("user add %s: exit status %d: %s", u[0], r.code, r.stderr)
				}
			}
			run("agreement", "list").want(t, "agreement list (empty)", 0, "VERSION  CREATED  BY  SIGNED BY  IN FORCE FROM\n", "")
			run("agreement", "propose", file, "--as", "ops@example.com").want(t, "agreement propose", 0,
				"stored as agreement version 1; it comes into force when a marketing head and a sales head sign it:\n  tandem agreement sign 1 --as EMAIL\n", "")
			run("agreement", "propose", "testdata/broken.yaml").want(t, "agreement propose (broken)", 1,
				"", "tandem: "+brokenProblems+"\n")

			clk.Advance(time.Hour)
			run("agreement", "sign", "1", "--as", "rex@example.com").want(t, "agreement sign (by a rep)", 1,
				"", "tandem: rex@example.com is sales_rep: only a marketing head and a sales head sign the agreement\n")
			run("agreement", "sign", "1", "--as", "nobody@example.com").want(t, "agreement sign (by a stranger)", 1,
				"", "tandem: no user with email nobody@example.com\n")
			run("agreement", "sign", "2", "--as", "mia@example.com").want(t, "agreement sign (no such version)", 1,
				"", "tandem: agreement version 2 not found\n")
			run("agreement", "sign", "one", "--as", "mia@example.com").want(t, "agreement sign one", 2,
				"", "tandem: \"one\" is not an agreement version number\n")
			run("agreement", "sign", "1").want(t, "agreement sign (no --as)", 2,
				"", "tandem: required flag(s) \"as\" not set\n")
			run("agreement", "sign", "1", "--as", "mia@example.com").want(t, "agreement sign (marketing head)", 0,
				"signed agreement version 1 as mia@example.com; it awaits the other head's signature\n", "")
			run("agreement", "list").want(t, "agreement list (one signature)", 0, ""+
				"VERSION  CREATED           BY               SIGNED BY                         IN FORCE FROM\n"+
				"1        2026-11-02 09:00  ops@example.com  mia@example.com (marketing_head)  awaiting signatures\n", "")

			clk.Advance(time.Hour)
			run("agreement", "sign", "1", "--as", "sam@example.com").want(t, "agreement sign (sales head)", 0,
				"agreement version 1 is signed by both heads and in force from 2026-11-02 11:00:00 UTC\n", "")
			run("agreement", "list").want(t, "agreement list (in force)", 0, ""+
				"VERSION  CREATED           BY               SIGNED BY                                                       IN FORCE FROM\n"+
				"1        2026-11-02 09:00  ops@example.com  mia@example.com (marketing_head), sam@example.com (sales_head)  2026-11-02 11:00\n", "")
			run("agreement", "show", "1").want(t, "agreement show 1", 0, string(agreement.Default()), "")
			run("agreement", "show", "7").want(t, "agreement show 7", 1, "", "tandem: agreement version 7 not found\n")

			v, err := openDB(t, b.DSN).AgreementInForce(context.Background(), clk.Now())
			if err != nil || v.Version != 1 {
				t.Errorf("AgreementInForce(now) = version %d, %v; want version 1", v.Version, err)
			}
		})
	}
}

// brokenProblems is what `agreement check testdata/broken.yaml` prints.
const brokenProblems = `testdata/broken.yaml:4:1: unknown key "colour" (allowed: format, name, description, marketing_mission, stages, reject_reasons, business_hours, sales, marketing, escalation, routing, pipeline, funnel, goal)
testdata/broken.yaml:5:20: marketing_mission: expected one of fill_pipeline, own_revenue, both, got "sell_more"
testdata/broken.yaml:11:12: stages[2].entry: the rule does not compile: unknown name scor (did you mean score?)
testdata/broken.yaml:12:11: stages[3].name: stage mql is already defined at line 9
testdata/broken.yaml:21:14: business_hours.time_zone: "Mars/Olympus" is not a time zone name: use an IANA name like America/New_York or Europe/Berlin
testdata/broken.yaml:26:23: sales.first_touch_within: "ten minutes" is not a span (expected a number at "ten minutes"; write it like 10m, 4h, 1d or 2d4h)
testdata/broken.yaml:34:1: goal: missing required key "unified_kpi"`

func TestUsersAndTokens(t *testing.T) {
	const roles = "admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive"
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			run("user", "add", "Ana@Example.com", "--role", "admin", "--name", "Ana Lima", "--password", "correct horse battery").want(t, "user add", 0,
				"added user 1: ana@example.com (admin)\n", "")
			run("user", "add", "bo@example.com", "--role", "sales_rep", "--password", "correct horse battery").want(t, "user add (a rep)", 0,
				"added user 2: bo@example.com (sales_rep)\n", "")
			run("user", "add", "ana@example.com", "--role", "marketing").want(t, "user add (duplicate)", 1,
				"", "tandem: a user with email ana@example.com already exists\n")
			run("user", "add", "cy@example.com", "--role", "boss").want(t, "user add (bad role)", 1,
				"", `tandem: role: "boss" is not a role (want one of `+roles+")\n")
			run("user", "add", "cy", "--role", "boss").want(t, "user add (bad email and role)", 1,
				"", `tandem: email: "cy" is not an email address; role: "boss" is not a role (want one of `+roles+")\n")
			run("user", "add", "cy@example.com").want(t, "user add (no role)", 2,
				"", "tandem: required flag(s) \"role\" not set\n")
			run("user", "list").want(t, "user list", 0, ""+
				"ID  EMAIL            NAME      ROLE       TEAM  MANAGER  STATUS\n"+
				"1   ana@example.com  Ana Lima  admin                     active\n"+
				"2   bo@example.com             sales_rep                 active\n", "")

			r := run("token", "create", "--name", "zapier", "--role", "marketing")
			r.want(t, "token create", 0, r.stdout, "token \"zapier\" (marketing) created; it is shown only this once. Use it as: Authorization: Bearer TOKEN\n")
			secret := strings.TrimSuffix(r.stdout, "\n")
			if !strings.HasPrefix(secret, "tdm_") || strings.ContainsAny(secret, " \n") {
				t.Fatalf("token create printed %q; want one tdm_ token on a line", r.stdout)
			}
			tok, err := openDB(t, b.DSN).Authenticate(context.Background(), secret)
			if err != nil || tok.Name != "zapier" || tok.Role != tandem.RoleMarketing {
				t.Errorf("Authenticate(printed token) = %+v, %v; want zapier (marketing)", tok, err)
			}
			run("token", "create", "--name", "zapier", "--role", "admin").want(t, "token create (duplicate)", 1,
				"", "tandem: a token named \"zapier\" already exists\n")
			run("token", "create", "--name", "x", "--role", "root").want(t, "token create (bad role)", 1,
				"", `tandem: role: "root" is not a role (want one of `+roles+")\n")
			run("token", "create", "--role", "admin").want(t, "token create (no name)", 2,
				"", "tandem: required flag(s) \"name\" not set\n")
			// Scopes and an expiry, and bad ones named.
			r = run("token", "create", "--name", "reader", "--role", "marketing", "--scope", "leads:read,reports:read", "--expires", "2099-01-31")
			r.want(t, "token create --scope --expires", 0, r.stdout,
				"token \"reader\" (marketing; scopes leads:read, reports:read; stops working 2099-01-31) created; it is shown only this once. Use it as: Authorization: Bearer TOKEN\n")
			tok, err = openDB(t, b.DSN).Authenticate(context.Background(), strings.TrimSuffix(r.stdout, "\n"))
			if err != nil || strings.Join(tok.Scopes, " ") != "leads:read reports:read" || !tok.ExpiresAt.Equal(time.Date(2099, 1, 31, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("Authenticate(the scoped token) = %+v, %v; want scopes leads:read reports:read until 2099-01-31", tok, err)
			}
			if r := run("token", "create", "--name", "z", "--role", "marketing", "--scope", "leads:raed"); r.code != 2 || !strings.Contains(r.stderr, "leads:raed") {
				t.Errorf("token create --scope leads:raed = %d %q; want exit 2 naming the scope", r.code, r.stderr)
			}
			if r := run("token", "create", "--name", "z", "--role", "marketing", "--expires", "soon"); r.code != 2 || !strings.Contains(r.stderr, "expires_at") {
				t.Errorf("token create --expires soon = %d %q; want exit 2 naming expires_at", r.code, r.stderr)
			}
			const both = "tandem: give --role ROLE for an integration's token or --user EMAIL for a person's, not both\n"
			run("token", "create", "--name", "y").want(t, "token create (neither role nor user)", 2, "", both)
			run("token", "create", "--name", "y", "--role", "admin", "--user", "bo@example.com").want(t, "token create (both)", 2, "", both)
			r = run("token", "create", "--name", "bo laptop", "--user", "bo@example.com")
			r.want(t, "token create --user", 0, r.stdout, "token \"bo laptop\" (acting as bo@example.com, sales_rep) created; it is shown only this once. Use it as: Authorization: Bearer TOKEN\n")
			tok, err = openDB(t, b.DSN).Authenticate(context.Background(), strings.TrimSuffix(r.stdout, "\n"))
			if err != nil || tok.UserEmail != "bo@example.com" || tok.Role != tandem.RoleSalesRep {
				t.Errorf("Authenticate(bo's token) = %+v, %v; want bo as a sales_rep", tok, err)
			}
			run("token", "create", "--name", "z", "--user", "nobody@example.com").want(t, "token create (unknown user)", 1,
				"", "tandem: no user with email nobody@example.com\n")
		})
	}
}

func TestLeadCommands(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			rejects := filepath.Join(t.TempDir(), "rejects.csv")
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			if r := run("import", "leads", "testdata/leads.csv", "--mapping", "testdata/leads.yaml", "--rejects", rejects); r.code != 0 {
				t.Fatalf("import leads: exit status %d: %s", r.code, r.stderr)
			}
			db := openDB(t, b.DSN)
			id := leadID(t, db, "expo", "1")

			clk.Advance(time.Hour)
			// The file's date is its midnight in New York, the default
			// agreement's zone (04:00 UTC in March 2024).
			run("lead", "history", id).want(t, "lead history", 0, ""+
				"OCCURRED          RECORDED          EVENT    BY                WHAT                                                                                                                                                           WHY\n"+
				`2024-03-14 04:00  2026-11-02 09:00  created  import:leads.csv  source="expo" external_id="1" email="ana@example.com" origin="organic_search" score="40" stage="lead" created_at="2024-03-14T04:00:00Z" attributes.booth="A1"  `+"\n", "")
			run("lead", "move", id, "sal").want(t, "lead move (no reason)", 1,
				"", "tandem: reason: a manual stage change needs a reason\n")
			run("lead", "move", id, "won", "--reason", "closed").want(t, "lead move (unknown stage)", 1,
				"", "tandem: stage: no stage \"won\" in the agreement\n")
			run("lead", "move", id, "sal", "--reason", "called back", "--as", "nobody@example.com").want(t, "lead move (unknown user)", 1,
				"", "tandem: no user with email nobody@example.com\n")
			run("lead", "move", id, "sal", "--reason", "called back").want(t, "lead move", 0, "lead "+id+" is now sal\n", "")
			run("lead", "move", id, "lead", "--reason", "start over").want(t, "lead move (backwards)", 1,
				"", "tandem: lead "+id+" cannot move from sal to lead: lead comes before sal in the lifecycle: moves go forward, or out to recycled or disqualified\n")

			r := run("lead", "history", id, "--format", "json")
			var events []tandem.Event
			if err := json.Unmarshal([]byte(r.stdout), &events); r.code != 0 || err != nil {
				t.Fatalf("lead history --format json: exit status %d, %v: %s", r.code, err, r.stdout)
			}
			type ev struct{ Type, Actor, Reason string }
			var got []ev
			for _, e := range events {
				got = append(got, ev{e.Type, e.Actor, e.Reason})
			}
			want := []ev{{"created", "import:leads.csv", ""}, {"stage_changed", "cli", "called back"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("lead history --format json (-want +got):\n%s", diff)
			}

			r = run("lead", "show", id)
			var l tandem.Lead
			if err := json.Unmarshal([]byte(r.stdout), &l); r.code != 0 || err != nil {
				t.Fatalf("lead show: exit status %d, %v: %s", r.code, err, r.stdout)
			}
			stored, err := db.Lead(context.Background(), l.ID)
			if err != nil {
				t.Fatalf("Lead: %v", err)
			}
			if diff := cmp.Diff(stored, l); diff != "" {
				t.Errorf("lead show %s (-stored +shown):\n%s", id, diff)
			}
			run("lead", "show", "999").want(t, "lead show 999", 1, "", "tandem: lead 999 not found\n")
			run("lead", "history", "999").want(t, "lead history 999", 1, "", "tandem: lead 999 not found\n")
			run("lead", "show", "abc").want(t, "lead show abc", 2, "", "tandem: \"abc\" is not a lead id\n")
			run("ledger", "verify").want(t, "ledger verify", 0, "3 leads checked, 0 differ from their ledger\n", "")
		})
	}
}

// leadID returns the id, as the command takes it, of the lead with the key.
func leadID(t testing.TB, db *sqldb.DB, source, externalID string) string {
	t.Helper()
	page, err := db.Leads(context.Background(), tandem.LeadFilter{Equal: map[string]string{"source": source, "external_id": externalID}})
	if err != nil || len(page.Leads) != 1 {
		t.Fatalf("Leads(source %s, external_id %s) = %d leads, %v; want one", source, externalID, len(page.Leads), err)
	}
	return strconv.FormatInt(page.Leads[0].ID, 10)
}

func TestServe(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := startServing(t, ctx, &Main{Getenv: noEnv, Clock: clock.NewFake(epoch)}, "--db", b.DSN, "serve", "--addr", "127.0.0.1:0")
			url, stderr, done := srv.url, srv.stderr, srv.done
			if !strings.HasPrefix(url, "http://127.0.0.1:") {
				t.Fatalf("serve is on %q; want http://127.0.0.1:PORT; stderr:\n%s", url, stderr)
			}
			resp, err := http.Get(url + "/healthz")
			if err != nil {
				t.Fatalf("http.Get: %v", err)
			}
			var health map[string]string
			err = json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			want := map[string]string{"status": "ok", "database": b.Name, "version": "dev"}
			if resp.StatusCode != http.StatusOK || err != nil || !cmp.Equal(health, want) {
				t.Errorf("GET %s/healthz = %d %v (%v); want 200 %v", url, resp.StatusCode, health, err, want)
			}
			cancel() // what SIGINT does
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve after its context ended: exit status %d; want 0; stderr:\n%s", code, stderr)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not stop within 30s of its context ending")
			}
			if _, err := http.Get(url + "/healthz"); err == nil {
				t.Errorf("GET %s/healthz after shutdown succeeded; want the server gone", url)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that a server goroutine may write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUsage(t *testing.T) {
	clk := clock.NewFake(epoch)
	dsn := filepath.Join(t.TempDir(), "tandem.db")
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, 2, "tandem: unknown command \"frobnicate\" for \"tandem\"\n"},
		{[]string{"user", "list", "--colour"}, 2, "tandem: unknown flag: --colour\n"},
		{[]string{"lead", "show"}, 2, "tandem: accepts 1 arg(s), received 0\n"},
		{[]string{"import", "leads", "x.csv", "--batch", "0", "--preset", "olist"}, 2, "tandem: --batch must be between 1 and 10000\n"},
	}
	for _, tt := range tests {
		r := tandemCmd(t, clk, dsn, tt.args...)
		if r.code != tt.code || r.stderr != tt.stderr {
			t.Errorf("tandem %s = %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.stderr)
		}
	}
}
