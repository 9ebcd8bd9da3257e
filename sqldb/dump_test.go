package sqldb_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sim/company"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// rawDB opens the backend's database directly, to read what the store
// does not show (every table, every column).
func rawDB(t testing.TB, b sqldbtest.Backend) *sql.DB {
	t.Helper()
	driver := "sqlite"
	if b.Name == "postgres" {
		driver = "pgx"
	}
	c, err := sql.Open(driver, b.DSN)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// schema returns the columns of every table of the database, in name
// order.
func schema(t testing.TB, b sqldbtest.Backend) map[string][]string {
	t.Helper()
	c := rawDB(t, b)
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		AND m.name NOT LIKE 'lead_search%'` // the search index is SQLite's own (FTS5), filled by triggers
	if b.Name == "postgres" {
		// Generated columns (leads.search) are not data, and SQLite's
		// table_info does not list them either.
		q = `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()
			AND is_generated = 'NEVER'`
	}
	rows, err := c.Query(q)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	defer rows.Close()
	cols := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		cols[table] = append(cols[table], col)
	}
	for _, c := range cols {
		slices.Sort(c)
	}
	return cols
}

// counts returns how many rows each table of the database holds.
func counts(t testing.TB, b sqldbtest.Backend) map[string]int64 {
	t.Helper()
	c := rawDB(t, b)
	n := map[string]int64{}
	for table := range schema(t, b) {
		var k int64
		if err := c.QueryRow(`SELECT count(*) FROM ` + table).Scan(&k); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		n[table] = k
	}
	return n
}

// TestDumpCoversSchema checks that every table of the schema, on both
// databases, is dumped with all its columns, derived on load, or left out
// on purpose, and that every column of a dumped table is dumped or left
// out: a migration that adds a table or a column fails here until the
// dump says what to do with it.
func TestDumpCoversSchema(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		openB(t, b)
		tables, derived, leftOut := sqldb.DumpSchemaForTest()
		for table, cols := range schema(t, b) {
			dumped, ok := tables[table]
			if !ok {
				if !slices.Contains(derived, table) && !slices.Contains(leftOut, table) {
					t.Errorf("table %s is neither dumped, derived nor left out (sqldb/dump.go)", table)
				}
				continue
			}
			var want []string
			for _, c := range dumped {
				want = append(want, c)
			}
			for _, lo := range leftOut {
				if tc, col, ok := strings.Cut(lo, "."); ok && tc == table {
					want = append(want, col)
				}
			}
			slices.Sort(want)
			if diff := cmp.Diff(want, cols); diff != "" {
				t.Errorf("columns of %s: dumped and left out (-) against the schema (+):\n%s", table, diff)
			}
		}
	})
}

// simulate builds a small company with the demo's simulator, adds what it
// does not make (a token, a session, passwords), and returns the database.
func simulate(t *testing.T, b sqldbtest.Backend, leads int) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	now := epoch.Truncate(time.Hour)
	clk := clock.NewFake(now)
	db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	sim := company.Sim{Seed: 7, Leads: leads, Now: now, Agreement: agreement.Default(), AdminEmail: "admin@example.com"}
	if _, err := sim.Run(ctx, db, clk); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	if _, _, err := db.CreateToken(ctx, "ci", tandem.RoleAdmin); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	admin, err := db.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatalf("UserByEmail: %v", err)
	}
	if _, err := db.SetPassword(ctx, admin.Email, password.Hash("correct horse battery")); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	if _, _, err := db.CreateSession(ctx, admin.ID); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	alert := jeopardy.Alert{Period: "2026-10", Cause: jeopardy.Cause("volume"), Summary: "fewer leads <than> planned & more",
		Figures: []jeopardy.Figure{{}}}
	if _, err := db.RaiseAlerts(ctx, []jeopardy.Alert{alert}); err != nil {
		t.Fatalf("RaiseAlerts: %v", err)
	}
	if _, err := db.FreezeScorecard(ctx, scorecard.Scorecard{Period: "2026-10", Complete: true}); err != nil {
		t.Fatalf("FreezeScorecard: %v", err)
	}
	return db
}

// verify runs what tandem ledger verify runs and fails on any difference.
func verify(t *testing.T, name string, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	n, bad, err := db.VerifyLedger(ctx, func(id int64, diff string) { t.Errorf("%s: lead %d: %s", name, id, diff) })
	if err != nil || bad != 0 || n == 0 {
		t.Errorf("%s: VerifyLedger = %d checked, %d differ, %v; want some checked, 0 differ", name, n, bad, err)
	}
	if d, err := db.VerifyStageCounts(ctx, func(diff string) { t.Errorf("%s: %s", name, diff) }); err != nil || d != 0 {
		t.Errorf("%s: VerifyStageCounts = %d, %v; want 0, nil", name, d, err)
	}
}

// readDump returns the files of a dump, the manifest without what differs
// between two dumps of the same data (where and when it was made).
func readDump(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("os.ReadDir: %v", err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("os.ReadFile: %v", err)
		}
		if e.Name() == sqldb.ManifestFile {
			var m sqldb.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			m.Dialect, m.ExportedAt = "", time.Time{}
			b, _ = json.Marshal(m)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestDumpRoundTrip builds a company with the demo's simulator on each
// database, dumps it, loads the dump into a new database of the other kind
// (SQLite again when PostgreSQL is not set), dumps that and loads it into a
// new database of the first kind: each copy verifies clean, holds as many
// rows in every table as the original (derived tables included, sessions
// and tokens left out), dumps to the same bytes, and hands out ids after
// the loaded ones.
func TestDumpRoundTrip(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, origin sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		src := simulate(t, origin, 400)
		addCatalog(t, src)
		addFormPosts(t, src)
		verify(t, "original", src)
		want := counts(t, origin)
		for _, table := range []string{"leads", "events", "users", "handoffs", "tasks", "timers", "deals", "reviews",
			"agreement_versions", "agreement_signatures", "campaigns", "campaign_spend", "marketing_touches",
			"stage_entries", "stage_counts", "notifications", "routing_credits", "alerts", "scorecards", "tokens", "sessions",
			"accounts", "products", "forms", "form_submissions"} {
			if want[table] == 0 {
				t.Errorf("the simulated company has no %s: the round trip would not test them", table)
			}
		}
		t.Logf("original: %v", want)
		// What a dump leaves out is not in the copy.
		want["tokens"], want["sessions"], want["kept_reports"] = 0, 0, 0

		dir := filepath.Join(t.TempDir(), "dump0")
		m, err := src.Dump(ctx, dir)
		if err != nil {
			t.Fatalf("Dump: %v", err)
		}
		if m.Dialect != origin.Name || m.Tables[0].Table != "users" || m.Tables[0].Rows != want["users"] {
			t.Errorf("Dump manifest = %+v; want dialect %s, users first with %d rows", m, origin.Name, want["users"])
		}
		first := readDump(t, dir)
		if strings.Contains(first["users.jsonl"], "password") || strings.Contains(first["users.jsonl"], "argon2") {
			t.Errorf("users.jsonl holds a password hash:\n%.500s", first["users.jsonl"])
		}

		bs := sqldbtest.Backends(t)
		other := bs[len(bs)-1]
		if other.Name == origin.Name {
			other = bs[0]
		}
		chain := []sqldbtest.Backend{
			{Name: other.Name, DSN: sqldbtest.Fresh(t, other)},
			{Name: origin.Name, DSN: sqldbtest.Fresh(t, origin)},
		}
		for i, b := range chain {
			name := fmt.Sprintf("%s copy %d", b.Name, i+1)
			db, _ := openB(t, b)
			if _, err := db.Load(ctx, dir, nil); err != nil {
				t.Fatalf("%s: Load(%s): %v", name, dir, err)
			}
			verify(t, name, db)
			if diff := cmp.Diff(want, counts(t, b)); diff != "" {
				t.Errorf("%s: rows per table (-original +copy):\n%s", name, diff)
			}
			dir = filepath.Join(t.TempDir(), "dump")
			if _, err := db.Dump(ctx, dir); err != nil {
				t.Fatalf("%s: Dump: %v", name, err)
			}
			if diff := cmp.Diff(first, readDump(t, dir)); diff != "" {
				t.Errorf("%s: its dump differs from the original's (-original +copy):\n%.3000s", name, diff)
			}
			// The ids go on after the loaded ones.
			res, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("email", "new@example.com")}, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
			if err != nil || res[0].Err != nil {
				t.Fatalf("%s: IntakeLeads after the load = %v, %v; want created", name, res, err)
			}
			if res[0].ID != want["leads"]+1 {
				t.Errorf("%s: the first lead after the load has id %d; want %d", name, res[0].ID, want["leads"]+1)
			}
		}
	})
}

// addFormPosts saves a website form with a post taken and one refused.
func addFormPosts(t *testing.T, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	f, err := db.SaveForm(ctx, inbound.Form{Name: "contact", Mapping: inbound.DefaultFormMapping, Origins: []string{"https://www.example.com"},
		PerMinute: 5, Campaign: "spring", UTM: map[string]string{"utm_source": "site"}})
	if err != nil {
		t.Fatalf("SaveForm: %v", err)
	}
	in := tandem.LeadInput{Fields: map[string]string{"email": "form-post@example.com", "source": "form-contact"}}
	if s, err := db.SubmitForm(ctx, f, sqldb.Post{SubmissionID: "sub-1", Addr: "192.0.2.1", Origin: "https://www.example.com"}, in, nil); err != nil || s.LeadID == 0 {
		t.Fatalf("SubmitForm = %+v, %v; want a lead", s, err)
	}
	if err := db.RefuseForm(ctx, f, sqldb.Post{Addr: "192.0.2.2"}, "honeypot filled"); err != nil {
		t.Fatalf("RefuseForm: %v", err)
	}
}

// TestLoadRefusesWhatItCannotTake checks that a dump into a database that
// holds rows, and a damaged dump, are refused with an error naming the
// table, file or line, and leave the database as it was.
func TestLoadRefusesWhatItCannotTake(t *testing.T) {
	ctx := context.Background()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		src, _ := openB(t, b)
		res, err := src.IntakeLeads(ctx, []tandem.LeadInput{
			input("external_id", "a1", "email", "ana@example.com"),
			input("external_id", "a2", "email", "bo@example.com"),
		}, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
		if err != nil || res[1].Err != nil {
			t.Fatal(res, err)
		}
		good := filepath.Join(t.TempDir(), "good")
		if _, err := src.Dump(ctx, good); err != nil {
			t.Fatalf("Dump: %v", err)
		}
		if _, err := src.Dump(ctx, good); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("Dump into a folder that holds a dump = %v; want %s", err, tandem.ECONFLICT)
		}
		if _, err := src.Load(ctx, good, nil); tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("Load into the database it came from = %v; want %s naming a table that is not empty", err, tandem.ECONFLICT)
		}
		tests := []struct {
			name   string
			change func(dir string)
			code   string
			says   string
		}{
			{"no manifest", func(dir string) { os.Remove(filepath.Join(dir, sqldb.ManifestFile)) }, tandem.ENOTFOUND, "manifest.json"},
			{"another version", func(dir string) { edit(t, dir, sqldb.ManifestFile, `"version": 1`, `"version": 9`) }, tandem.EINVALID, "version 9"},
			{"another schema", func(dir string) { edit(t, dir, sqldb.ManifestFile, `"schema": `, `"schema": 9`) }, tandem.EINVALID, "schema"},
			{"a row too few", func(dir string) { cutLastLine(t, dir, "leads.jsonl") }, tandem.EINVALID, "leads.jsonl holds 1 rows; the manifest says 2"},
			{"a text where a number goes", func(dir string) { edit(t, dir, "leads.jsonl", `"score":0`, `"score":"0"`) }, tandem.EINVALID, "leads.jsonl, line 1: column score"},
			{"a missing column", func(dir string) { edit(t, dir, "leads.jsonl", `"stage":"lead",`, ``) }, tandem.EINVALID, "leads.jsonl, line 1: no column stage"},
			{"an unknown column", func(dir string) { edit(t, dir, "events.jsonl", `"id":`, `"mood":"sad","id":`) }, tandem.EINVALID, `events.jsonl, line 1: unknown column "mood"`},
			{"a bad time", func(dir string) { edit(t, dir, "events.jsonl", `"occurred_at":"2026`, `"occurred_at":"x2026`) }, tandem.EINVALID, "events.jsonl, line 1: column occurred_at"},
			{"not JSON", func(dir string) { edit(t, dir, "events.jsonl", `{"id":1`, `{"id":1,,`) }, tandem.EINVALID, "events.jsonl, line 1: not a JSON object"},
			{"an event of no lead", func(dir string) { edit(t, dir, "events.jsonl", `"lead_id":1,`, `"lead_id":99,`) }, tandem.EINVALID, "events.jsonl, lines 1 to"},
			{"a duplicate id", func(dir string) { edit(t, dir, "leads.jsonl", `{"id":2,`, `{"id":1,`) }, tandem.EINVALID, "leads.jsonl, lines 1 to 2"},
		}
		for _, tc := range tests {
			dir := filepath.Join(t.TempDir(), "bad")
			copyDir(t, good, dir)
			tc.change(dir)
			dst := sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)}
			db, _ := openB(t, dst)
			_, err := db.Load(ctx, dir, nil)
			if tandem.ErrorCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("%s: Load = %v; want %s saying %q", tc.name, err, tc.code, tc.says)
			}
			for table, n := range counts(t, dst) {
				if n != 0 && table != "goose_db_version" && table != "stage_counts_path" && table != "installation" { // a new database has its installation row
					t.Errorf("%s: after the refused load, %s holds %d rows; want none", tc.name, table, n)
				}
			}
			// and the good dump still loads
			if _, err := db.Load(ctx, good, nil); err != nil {
				t.Errorf("%s: Load of the good dump after the refused one: %v", tc.name, err)
			}
		}
	})
}

// edit replaces the first old in a file of a dump with new, failing when
// old is not there.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not hold %q:\n%s", file, old, b)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
}

func cutLastLine(t *testing.T, dir, file string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	i := bytes.LastIndexByte(bytes.TrimSuffix(b, []byte("\n")), '\n')
	if err := os.WriteFile(p, b[:i+1], 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatalf("os.CopyFS: %v", err)
	}
}
