package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestAgreementCheckContent: with a database whose content library holds
// items, `agreement check` refuses a cadence step whose template is not
// live content, naming the step; once every template is live it passes.
func TestAgreementCheckContent(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			file := filepath.Join(t.TempDir(), "agreement.yaml")
			if err := os.WriteFile(file, agreement.Default(), 0o644); err != nil {
				t.Fatal(err)
			}
			a, err := agreement.Parse(file, agreement.Default())
			if err != nil {
				t.Fatal(err)
			}
			db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
			// Every template live but the last step's, which is a draft.
			steps := append(append([]agreement.Step{}, a.Sales.Cadence...), a.Sales.ConnectedCadence...)
			var draft string
			for i, s := range steps {
				status := content.StatusLive
				if i == len(steps)-1 {
					status, draft = content.StatusDraft, s.Template
				}
				it := content.Item{Code: s.Template, Kind: content.KindCallScript, Title: s.Template, Body: "Hello {{first_name}}", Status: status}
				if _, _, err := db.SaveContent(ctx, it, "test"); err != nil && !strings.Contains(err.Error(), "kind") {
					t.Fatalf("SaveContent(%s): %v", s.Template, err)
				}
			}
			r := tandemCmd(t, clk, b.DSN, "agreement", "check", file)
			if r.code != 1 || !strings.Contains(r.stdout, `sales.connected_cadence[`) || !strings.Contains(r.stdout, `"`+draft+`" is not live content`) {
				t.Errorf("agreement check with a draft template: exit %d, stdout %q; want 1 and the step named", r.code, r.stdout)
			}
			if _, err := db.SetContentStatus(ctx, draft, content.StatusLive, "test"); err != nil {
				t.Fatal(err)
			}
			r = tandemCmd(t, clk, b.DSN, "agreement", "check", file)
			if r.code != 0 || !strings.Contains(r.stdout, "ok: every template the cadence names is live content") {
				t.Errorf("agreement check, all live: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}
