package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestAuditCommand: the command line's user, token and users-import
// changes are in the audit log under "cli", and tandem audit shows them.
func TestAuditCommand(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			dir := t.TempDir()
			run := func(args ...string) result {
				t.Helper()
				r := tandemCmd(t, clk, b.DSN, args...)
				if r.code != 0 {
					t.Fatalf("tandem %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
				}
				return r
			}
			run("user", "add", "manu@example.com", "--role", "sales_manager")
			run("user", "add", "rex@example.com", "--role", "sales_rep", "--team", "east")
			run("user", "set", "rex@example.com", "--team", "west", "--manager", "manu@example.com")
			run("token", "create", "--name", "crm", "--role", "marketing")
			mapping := filepath.Join(dir, "users.yaml")
			users := filepath.Join(dir, "users.csv")
			if err := os.WriteFile(mapping, []byte("kind: users\nfields:\n  email: Email\n  role: Role\n  team: {column: Team, optional: true}\n"), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			if err := os.WriteFile(users, []byte("Email,Role,Team\nria@example.com,sales_rep,east\nrex@example.com,sales_rep,north\n"), 0o644); err != nil {
				t.Fatalf("os.WriteFile: %v", err)
			}
			run("import", "users", users, "--mapping", mapping)

			var got []sqldb.AuditEntry
			r := run("audit", "--format", "json")
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("tandem audit --format json: %v\n%s", err, r.stdout)
			}
			type entry struct{ Actor, Action, Subject, Changes string }
			var short []entry
			for _, e := range got {
				var cs []string
				for _, c := range e.Changes {
					cs = append(cs, c.Field+":"+c.From+">"+c.To)
				}
				short = append(short, entry{e.Actor, e.Action, e.Subject, strings.Join(cs, " ")})
			}
			want := []entry{
				{"cli", "user.update", "user:rex@example.com", "team:west>north"},
				{"cli", "user.create", "user:ria@example.com", "email:>ria@example.com role:>sales_rep team:>east weight:>1"},
				{"cli", "token.create", "token:crm", "role:>marketing"},
				{"cli", "user.update", "user:rex@example.com", "team:east>west manager:>manu@example.com"},
				{"cli", "user.password", "user:rex@example.com", ""}, // user add gives a password
				{"cli", "user.create", "user:rex@example.com", "email:>rex@example.com role:>sales_rep team:>east weight:>1"},
				{"cli", "user.password", "user:manu@example.com", ""},
				{"cli", "user.create", "user:manu@example.com", "email:>manu@example.com role:>sales_manager weight:>1"},
			}
			if len(short) != len(want) {
				t.Fatalf("tandem audit: %d entries %+v; want %d %+v", len(short), short, len(want), want)
			}
			for i := range want {
				if short[i] != want[i] {
					t.Errorf("tandem audit entry %d = %+v; want %+v", i, short[i], want[i])
				}
			}
			table := run("audit", "--subject", "token:crm").stdout
			if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `token.create  token:crm  role=""→"marketing"`) {
				t.Errorf("tandem audit --subject token:crm:\n%s\nwant the header and the token's creation", table)
			}
			if r := tandemCmd(t, clk, b.DSN, "audit", "--limit", "5000"); r.code != exitUsage || !strings.Contains(r.stderr, "limit") {
				t.Errorf("tandem audit --limit 5000: exit %d, %q; want a usage error naming limit", r.code, r.stderr)
			}
		})
	}
}
