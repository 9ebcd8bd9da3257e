package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestImportGuessAndSniff imports a semicolon-separated file by guessing its
// columns from their names, as the import page does, then with a mapping
// that names no delimiter (sniffed from the header), and counts a repeated
// external id as a duplicate in the summary.
func TestImportGuessAndSniff(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		clk := clock.NewFake(epoch)
		dir := t.TempDir()
		write := func(name, text string) string {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			return path
		}
		run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
		file := write("expo.csv", "ID;E-mail;First Name;Booth\n1;ana@example.com;Ana;A1\n2;bo@example.com;Bo;A2\n1;ana2@example.com;Ana;A3\n")
		rejects := filepath.Join(dir, "rejects.csv")

		r := run("import", "leads", file, "--guess", "--source", "expo", "--rejects", rejects)
		r.stdout = timeless(r.stdout)
		r.want(t, "import leads --guess", 0,
			file+": 3 rows imported in Ts: 2 created, 0 updated, 0 unchanged, 1 rejected (1 of them duplicates of an earlier row's external id)\n"+
				"rejected rows, with line numbers and reasons: "+rejects+"\n",
			file+`: columns guessed from their names: "ID" → external_id, "E-mail" → email, "First Name" → first_name`+"\n")
		got, err := os.ReadFile(rejects)
		if err != nil {
			t.Fatalf("os.ReadFile: %v", err)
		}
		want := "line,column,reason,ID,E-mail,First Name,Booth\n" +
			`4,ID,"a duplicate: line 2 has the same source and external_id (""expo"", ""1""); the first row of a key is the one imported, and this one is not",1,ana2@example.com,Ana,A3` + "\n"
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("rejects (-want +got):\n%s", diff)
		}
		db := openDB(t, b.DSN)
		page, err := db.Leads(context.Background(), tandem.LeadFilter{})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		type lead struct{ Source, ExternalID, Email, FirstName string }
		var leads []lead
		for _, l := range page.Leads {
			leads = append(leads, lead{l.Source, l.ExternalID, l.Email, l.FirstName})
		}
		wantLeads := []lead{{"expo", "1", "ana@example.com", "Ana"}, {"expo", "2", "bo@example.com", "Bo"}}
		if diff := cmp.Diff(wantLeads, leads); diff != "" {
			t.Errorf("leads (-want +got):\n%s", diff)
		}

		// A mapping without a delimiter reads the semicolons it sniffs;
		// --delimiter overrides it.
		mapping := write("expo.yaml", "kind: leads\nsource: expo\nfields:\n  external_id: ID\n  attributes.booth: Booth\n")
		r = run("import", "leads", file, "--mapping", mapping, "--rejects", rejects)
		r.stdout = timeless(r.stdout)
		r.want(t, "import leads --mapping (sniffed)", 0,
			file+": 3 rows imported in Ts: 0 created, 2 updated, 0 unchanged, 1 rejected (1 of them duplicates of an earlier row's external id)\n"+
				"rejected rows, with line numbers and reasons: "+rejects+"\n", "")
		r = run("import", "leads", file, "--mapping", mapping, "--delimiter", ",")
		r.want(t, "import leads --delimiter ,", 1, "", "tandem: "+file+": line 1: the header does not fit the mapping:\n"+
			"  field external_id ("+mapping+":4): no column \"ID\" in the header\n"+
			"  field attributes.booth ("+mapping+":5): no column \"Booth\" in the header\n"+
			"  the header has one column, \"ID;E-mail;First Name;Booth\": is the delimiter \";\"? set delimiter in the mapping\n")

		for _, tt := range []struct {
			args   []string
			stderr string
		}{
			{[]string{"--guess", "--mapping", mapping}, "tandem: give --guess, --mapping or --preset, not two\n"},
			{[]string{"--mapping", mapping, "--source", "x"}, "tandem: --source goes with --guess; a mapping gives its own source\n"},
			{[]string{"--guess", "--delimiter", "#"}, "tandem: --delimiter \"#\": want \",\", \";\", \"tab\" or \"|\"\n"},
		} {
			r := run(append([]string{"import", "leads", file}, tt.args...)...)
			r.want(t, "import leads "+tt.args[0], 2, "", tt.stderr)
		}
	})
}
