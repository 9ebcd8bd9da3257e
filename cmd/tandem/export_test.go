package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestBackupExportImport runs the commands an operator runs: back up the
// demo company's SQLite file, export it, and import the export into a new
// database of the other kind (SQLite when PostgreSQL is not set), whose
// ledger verifies clean.
func TestBackupExportImport(t *testing.T) {
	clk := clock.NewFake(epoch)
	dir := t.TempDir()
	src := filepath.Join(dir, "tandem.db")
	if r := tandemCmd(t, clk, src, "demo", "--build-only", "--size", "150"); r.code != 0 {
		t.Fatalf("tandem demo: %d %s %s", r.code, r.stdout, r.stderr)
	}
	contains := func(args string, r result, code int, out, errOut string) {
		t.Helper()
		if r.code != code || !strings.Contains(r.stdout, out) || !strings.Contains(r.stderr, errOut) {
			t.Errorf("tandem %s = %d, stdout %q, stderr %q; want %d with %q in stdout and %q in stderr", args, r.code, r.stdout, r.stderr, code, out, errOut)
		}
	}

	copyDB := filepath.Join(dir, "copy.db")
	contains("backup", tandemCmd(t, clk, src, "backup", copyDB), 0, "wrote "+copyDB, "")
	contains("backup again", tandemCmd(t, clk, src, "backup", copyDB), 1, "", "exists: choose a new file, or pass --force")
	contains("backup --force", tandemCmd(t, clk, src, "backup", "--force", copyDB), 0, "integrity check ok", "")
	contains("ledger verify of the copy", tandemCmd(t, clk, copyDB, "ledger", "verify"), 0, "0 differ from their ledger", "")

	out := filepath.Join(dir, "export")
	contains("export --format csv", tandemCmd(t, clk, src, "export", "--format", "csv", out), 2, "", `--format "csv": want jsonl`)
	contains("export", tandemCmd(t, clk, src, "export", "--format", "jsonl", out), 0, "users, 1 agreement versions", "")
	contains("export again", tandemCmd(t, clk, src, "export", out), 1, "", "is not empty: dump into a new folder")

	missing := filepath.Join(dir, "never.db")
	contains("import jsonl of no export", tandemCmd(t, clk, missing, "import", "jsonl", filepath.Join(dir, "nothing")), 1, "", "not a complete export")
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a refused import left a database file behind: %v", err)
	}

	dst := sqldbtest.Backend{Name: "sqlite", DSN: filepath.Join(dir, "moved.db")}
	if bs := sqldbtest.Backends(t); len(bs) > 1 {
		dst = bs[1]
		contains("backup of PostgreSQL", tandemCmd(t, clk, dst.DSN, "backup", filepath.Join(dir, "pg.db")), 1, "", "pg_dump --format=custom")
	}
	contains("import jsonl", tandemCmd(t, clk, dst.DSN, "import", "jsonl", out), 0, "leads checked, 0 differ from their ledger, 0 rows of stage counts differ", "")
	contains("import jsonl again", tandemCmd(t, clk, dst.DSN, "import", "jsonl", out), 1, "", "the database is not empty (table users holds rows)")
	contains("ledger verify of the import", tandemCmd(t, clk, dst.DSN, "ledger", "verify"), 0, "0 differ from their ledger", "")
}
