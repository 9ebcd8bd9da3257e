package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestImportStopsAndResumes checks an import that a fatal problem stops
// half-way (a line over the 1 MiB limit): the rows before it are kept, the
// message says so, and running the same command on the mended file carries
// on, reporting the kept rows unchanged.
func TestImportStopsAndResumes(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		clk := clock.NewFake(epoch)
		dir := t.TempDir()
		mapping := filepath.Join(dir, "mapping.yaml")
		if err := os.WriteFile(mapping, []byte("kind: leads\nsource: sheet\nfields:\n  external_id: id\n  email: email\n"), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		var good strings.Builder
		good.WriteString("id,email\n")
		for i := range 2500 {
			fmt.Fprintf(&good, "%d,lead%d@example.com\n", i, i)
		}
		var rest strings.Builder
		for i := 2500; i < 2600; i++ {
			fmt.Fprintf(&rest, "%d,lead%d@example.com\n", i, i)
		}
		file := filepath.Join(dir, "leads.csv")
		broken := good.String() + "9999," + strings.Repeat("x", 2<<20) + "\n" + rest.String()
		if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		r := tandemCmd(t, clk, b.DSN, "import", "leads", file, "--mapping", mapping)
		if r.code != 1 || !strings.Contains(r.stderr, "import stopped after 2500 rows") || !strings.Contains(r.stderr, "line 2502") {
			t.Errorf("import of a file with a 2 MiB line = exit %d, stderr %q; want exit 1 naming line 2502 and the 2500 rows before it", r.code, r.stderr)
		}
		db := openDB(t, b.DSN)
		ctx := context.Background()
		if page, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1}); err != nil || page.Total != 2500 {
			t.Fatalf("after the stopped import: %d leads, %v; want the 2500 rows before the long line", page.Total, err)
		}
		if err := os.WriteFile(file, []byte(good.String()+rest.String()), 0o644); err != nil {
			t.Fatalf("os.WriteFile: %v", err)
		}
		r = tandemCmd(t, clk, b.DSN, "import", "leads", file, "--mapping", mapping)
		if r.code != 0 || !strings.Contains(r.stdout, "2600 rows imported") || !strings.Contains(r.stdout, "100 created, 0 updated, 2500 unchanged, 0 rejected") {
			t.Errorf("the import run again = exit %d, stdout %q, stderr %q; want 100 created and 2500 unchanged", r.code, r.stdout, r.stderr)
		}
		if page, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1}); err != nil || page.Total != 2600 {
			t.Errorf("after the second import: %d leads, %v; want 2600", page.Total, err)
		}
	})
}
