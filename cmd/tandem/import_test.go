package main

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// olistMQL is the real Olist file of marketing-qualified leads.
const olistMQL = "../../../shared/data/olist-funnel/olist_marketing_qualified_leads_dataset.csv" // beside the repository

// elapsed matches the time an import took, which the summary prints.
var elapsed = regexp.MustCompile(` in [0-9]+\.[0-9]{2}s: `)

// timeless returns the import's stdout with its time replaced by "in Ts".
func timeless(stdout string) string { return elapsed.ReplaceAllString(stdout, " in Ts: ") }

// olistOrigins counts the Olist file's rows by origin with nothing but
// encoding/csv: an account of the file independent of csvimport.
func olistOrigins(t testing.TB) (rows int, origins map[string]int) {
	t.Helper()
	f, err := os.Open(olistMQL)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: the Olist import is not tested", olistMQL)
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	col := slices.Index(header, "origin")
	if col < 0 {
		t.Fatalf("%s: no origin column in %q", olistMQL, header)
	}
	origins = map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rows++
		origins[rec[col]]++
	}
	return rows, origins
}

// TestImportOlist is the import's "done" check: the real Olist file of 8,000
// MQLs imports as 8,000 leads, as many of each origin as the file holds
// (the 60 without one included), a second run changes nothing, and every
// lead's ledger replays to it.
func TestImportOlist(t *testing.T) {
	rows, origins := olistOrigins(t)
	if rows != 8000 || origins[""] != 60 {
		t.Fatalf("%s: %d rows, %d without origin; want the published file: 8000 rows, 60 without origin", olistMQL, rows, origins[""])
	}
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			rejects := filepath.Join(t.TempDir(), "rejects.csv")
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			r := run("import", "leads", olistMQL, "--preset", "olist", "--rejects", rejects)
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads --preset olist", 0, olistMQL+": 8000 rows imported in Ts: 8000 created, 0 updated, 0 unchanged, 0 rejected\n", "")
			if _, err := os.Stat(rejects); !os.IsNotExist(err) {
				t.Errorf("a clean import wrote a rejects file (%v); want none", err)
			}

			db := openDB(t, b.DSN)
			count := func(equal map[string]string) int {
				t.Helper()
				page, err := db.Leads(ctx, tandem.LeadFilter{Equal: equal, Limit: 1})
				if err != nil {
					t.Fatalf("Leads(%v) = %v", equal, err)
				}
				return page.Total
			}
			got := map[string]int{}
			for origin := range origins {
				got[origin] = count(map[string]string{"origin": origin})
			}
			if diff := cmp.Diff(origins, got); diff != "" {
				t.Errorf("leads by origin (-file +store):\n%s", diff)
			}
			for _, f := range []map[string]string{nil, {"source": "olist"}, {"stage": "mql"}} {
				if n := count(f); n != 8000 {
					t.Errorf("Leads(%v).Total = %d; want 8000", f, n)
				}
			}
			if n := count(map[string]string{"origin": "unknown"}); n == 0 || n == origins[""] {
				t.Errorf("Leads(origin unknown).Total = %d; want Olist's own \"unknown\" counted apart from the empty origin (%d)", n, origins[""])
			}

			r = run("import", "leads", olistMQL, "--preset", "olist", "--rejects", rejects)
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads --preset olist (again)", 0, olistMQL+": 8000 rows imported in Ts: 0 created, 0 updated, 8000 unchanged, 0 rejected\n", "")
			run("ledger", "verify").want(t, "ledger verify", 0, "8000 leads checked, 0 differ from their ledger\n", "")
		})
	}
}

func TestImportBadRows(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			dir := t.TempDir()
			rejects := filepath.Join(dir, "rejects.csv")
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			const file, mapping = "testdata/leads.csv", "testdata/leads.yaml"

			r := run("import", "leads", file, "--mapping", mapping, "--rejects", rejects, "--dry-run")
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads --dry-run", 0, file+": 9 rows checked (dry run: nothing was written) in Ts: 3 created, 0 updated, 0 unchanged, 6 rejected\n"+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")
			db := openDB(t, b.DSN)
			if page, err := db.Leads(ctx, tandem.LeadFilter{}); err != nil || page.Total != 0 {
				t.Errorf("after a dry run Leads().Total = %d, %v; want 0", page.Total, err)
			}
			checkRejects(t, rejects)
			os.Remove(rejects)

			r = run("import", "leads", file, "--mapping", mapping, "--rejects", rejects)
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads", 0, file+": 9 rows imported in Ts: 3 created, 0 updated, 0 unchanged, 6 rejected\n"+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")
			checkRejects(t, rejects)
			page, err := db.Leads(ctx, tandem.LeadFilter{})
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			type row struct{ ExternalID, Email, Origin, Booth string }
			var got []row
			for _, l := range page.Leads {
				got = append(got, row{l.ExternalID, l.Email, l.Origin, l.Attributes["booth"]})
			}
			want := []row{
				{"1", "ana@example.com", "organic_search", "A1"},
				{"5", "eve@example.com", "email", "Hall 2\nBooth 9"},
				{"9", "hal@example.com", "paid_search", "C4"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("imported leads (-want +got):\n%s", diff)
			}

			// The default rejects file sits beside the input.
			copied := filepath.Join(dir, "expo.csv")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("os.ReadFile: %v", err)
			}
			if err := os.WriteFile(copied, data, 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			r = run("import", "leads", copied, "--mapping", mapping)
			r.stdout = timeless(r.stdout)
			r.want(t, "import leads (again)", 0, copied+": 9 rows imported in Ts: 0 created, 0 updated, 3 unchanged, 6 rejected\n"+
				"rejected rows, with line numbers and reasons: "+filepath.Join(dir, "expo.rejects.csv")+"\n", "")
			checkRejects(t, filepath.Join(dir, "expo.rejects.csv"))
		})
	}
}

// checkRejects checks the rejects file of testdata/leads.csv.
func checkRejects(t *testing.T, path string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("rejects file: %v", err)
	}
	want := "line,column,reason,ID,Email,Created,Origin,Score,Booth\n" +
		`3,Email,"a quoted field is not closed properly; a quote inside quotes must be doubled ("""") (line 3, byte 18)","2,""bo@example.com""x,2024-03-14,Social,10,A2"` + "\n" +
		"4,,has 4 columns; the header has 6,3,cy@example.com,2024-03-15,Email\n" +
		"5,Email,is not valid UTF-8 (byte 0xe9 at byte 2); save the file as CSV UTF-8,4,d\xe9e@example.com,2024-03-15,Email,20,B1\n" +
		`8,Created,"""14/03/2024"" is not a time in any of the formats ""2006-01-02""",6,fay@example.com,14/03/2024,Email,30,B2` + "\n" +
		`9,Email,"email: ""not-an-email"" is not an email address",7,not-an-email,2024-03-16,Referral,50,C1` + "\n" +
		`10,Score,"score: ""high"" is not a whole number",8,gus@example.com,2024-03-18,Social,high,C3` + "\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("rejects file %s (-want +got):\n%s", path, diff)
	}
}

func TestImportErrors(t *testing.T) {
	clk := clock.NewFake(epoch)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "tandem.db")
	missing := filepath.Join(dir, "nope.csv")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"mapping and preset", []string{"import", "leads", "testdata/leads.csv", "--mapping", "testdata/leads.yaml", "--preset", "olist"},
			2, "tandem: give --mapping or --preset, not both\n"},
		{"neither mapping nor preset", []string{"import", "leads", "testdata/leads.csv"},
			2, "tandem: give --mapping FILE or --preset NAME (hubspot, olist, salesforce)\n"},
		{"no file", []string{"import", "leads", "--preset", "olist"}, 2, "tandem: accepts 1 arg(s), received 0\n"},
		{"a missing file", []string{"import", "leads", missing, "--preset", "olist"},
			1, "tandem: open " + missing + ": no such file or directory\n"},
		{"a missing mapping", []string{"import", "leads", "testdata/leads.csv", "--mapping", missing},
			1, "tandem: open " + missing + ": no such file or directory\n"},
		{"an unknown preset", []string{"import", "leads", "testdata/leads.csv", "--preset", "pipedrive"},
			1, "tandem: no preset \"pipedrive\" (presets: hubspot, olist, salesforce)\n"},
		{"a file the mapping does not fit", []string{"import", "leads", "testdata/leads.csv", "--preset", "olist"},
			1, "tandem: testdata/leads.csv: line 1: the header does not fit the mapping:\n" +
				"  field external_id (presets/olist.yaml:8): no column \"mql_id\" in the header\n" +
				"  field created_at (presets/olist.yaml:9): no column \"first_contact_date\" in the header\n" +
				"  field attributes.landing_page_id (presets/olist.yaml:11): no column \"landing_page_id\" in the header\n"},
	}
	for _, tt := range tests {
		r := tandemCmd(t, clk, dsn, tt.args...)
		r.want(t, tt.name, tt.code, "", tt.stderr)
	}
	if _, err := os.Stat(dsn); !os.IsNotExist(err) {
		t.Errorf("imports that failed before reading a row created the database (%v); want it left alone", err)
	}
}

// BenchmarkImportOlist times the whole `tandem import leads --preset olist`
// of the 8,000-row Olist file into a fresh database, per iteration: opening
// and migrating the database, reading, converting and storing every row.
//
//	go test ./cmd/tandem -run '^$' -bench ImportOlist -benchtime 3x
func BenchmarkImportOlist(b *testing.B) {
	rows, _ := olistOrigins(b)
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			clk := clock.NewFake(epoch)
			rejects := filepath.Join(b.TempDir(), "rejects.csv")
			want := olistMQL + ": 8000 rows imported in Ts: 8000 created, 0 updated, 0 unchanged, 0 rejected\n"
			n := 0
			for b.Loop() {
				b.StopTimer()
				dsn := filepath.Join(b.TempDir(), "tandem.db")
				if be.Name == "postgres" {
					dsn = sqldbtest.NewSchema(b, os.Getenv(sqldbtest.EnvPostgres))
				}
				b.StartTimer()
				r := tandemCmd(b, clk, dsn, "import", "leads", olistMQL, "--preset", "olist", "--rejects", rejects)
				if r.code != 0 || timeless(r.stdout) != want {
					b.Fatalf("import leads --preset olist: exit status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
				}
				n++
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(n), "s/import")
			b.ReportMetric(float64(rows*n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
