package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// okDefault is what `agreement check` prints first for the default file.
const okDefault = `: ok: "Sales and marketing agreement": 8 stages; 8-step cadence, first touch within 10m; 400 qualified leads a month; revenue goal 1200000 a quarter, 60% from marketing; unified KPI new_customers`

// TestAgreementCheckWithoutDatabase checks the file alone when the SQLite
// database does not exist, and does not create it.
func TestAgreementCheckWithoutDatabase(t *testing.T) {
	clk := clock.NewFake(epoch)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "none.db")
	file := filepath.Join(dir, "agreement.yaml")
	if err := os.WriteFile(file, agreement.Default(), 0o644); err != nil {
		t.Fatalf("os.WriteFile: %v", err)
	}
	tandemCmd(t, clk, dsn, "agreement", "check", file).want(t, "agreement check (no database)", 0, file+okDefault+"\n", "")
	if _, err := os.Stat(dsn); !os.IsNotExist(err) {
		t.Errorf("agreement check created the database %s (%v); want it left alone", dsn, err)
	}
}

// TestAgreementStaff checks the default agreement against the users of the
// database: `agreement check` lists the roles nobody holds, proposing
// succeeds regardless, and the signature that would put the version in force
// is refused until every role is held.
func TestAgreementStaff(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			file := filepath.Join(t.TempDir(), "agreement.yaml")
			if err := os.WriteFile(file, agreement.Default(), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			add := func(email, role string) {
				t.Helper()
				if r := run("user", "add", email, "--role", role); r.code != 0 {
					t.Fatalf("user add %s: exit status %d: %s", email, r.code, r.stderr)
				}
			}
			add("mia@example.com", "marketing_head")
			add("sam@example.com", "sales_head")

			noRep := []string{
				":141:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep",
				":207:13: escalation[1].notify: no user holds the role sales_rep (the lead's owner): add one with tandem user add EMAIL --role sales_rep, or notify another role",
			}
			noManager := ":209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role"
			lines := func(prefix string, problems ...string) string {
				return prefix + strings.Join(problems, "\n"+prefix) + "\n"
			}

			run("agreement", "check", file).want(t, "agreement check (only the heads)", 1,
				lines(file, noRep[0], noRep[1], noManager), "tandem: "+file+": 3 problem(s)\n")
			run("agreement", "check", "testdata/broken.yaml").want(t, "agreement check (broken, with a database)", 1,
				brokenProblems+"\n", "tandem: testdata/broken.yaml: 7 problem(s)\n")

			// A version is stored, and signed once, before the users exist.
			run("agreement", "propose", file).want(t, "agreement propose (only the heads)", 0,
				"stored as agreement version 1; it comes into force when a marketing head and a sales head sign it:\n  tandem agreement sign 1 --as EMAIL\n", "")
			run("agreement", "sign", "1", "--as", "mia@example.com").want(t, "agreement sign (first head)", 0,
				"signed agreement version 1 as mia@example.com; it awaits the other head's signature\n", "")
			run("agreement", "sign", "1", "--as", "sam@example.com").want(t, "agreement sign (second head, only the heads)", 1,
				"", "tandem: "+lines("agreement version 1", noRep[0], noRep[1], noManager))

			add("rex@example.com", "sales_rep")
			run("agreement", "check", file).want(t, "agreement check (no sales manager)", 1,
				lines(file, noManager), "tandem: "+file+": 1 problem(s)\n")
			run("agreement", "sign", "1", "--as", "sam@example.com").want(t, "agreement sign (second head, no sales manager)", 1,
				"", "tandem: "+lines("agreement version 1", noManager))

			add("manu@example.com", "sales_manager")
			run("agreement", "check", file).want(t, "agreement check (every role held)", 0,
				file+okDefault+"\n"+file+": ok: the database has a user for every role the agreement needs\n"+
					file+": note: the content library is empty, so the cadence's templates are not checked against it (docs/content.md)\n", "")
			clk.Advance(time.Hour)
			run("agreement", "sign", "1", "--as", "sam@example.com").want(t, "agreement sign (second head, every role held)", 0,
				"agreement version 1 is signed by both heads and in force from 2026-11-02 10:00:00 UTC\n", "")
		})
	}
}
