package sqldb_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// emails lists the users' emails, sorted.
func emails(t *testing.T, db *sqldb.DB) []string {
	t.Helper()
	us, err := db.Users(context.Background())
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	slices.Sort(out)
	return out
}

// TestStandbyReadsTheReadDSN opens a store whose read DSN is a second
// database (a schema of its own standing in for a standby, holding other
// users): the store and its writes use the primary, and Standby's reads
// the second database while its writes still reach the primary.
func TestStandbyReadsTheReadDSN(t *testing.T) {
	base := os.Getenv(sqldbtest.EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set: a read DSN is a PostgreSQL standby", sqldbtest.EnvPostgres)
	}
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC))
	primaryDSN, readDSN := sqldbtest.NewSchema(t, base), sqldbtest.NewSchema(t, base)
	other, err := sqldb.Open(ctx, readDSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open(read DSN): %v", err)
	}
	if err := other.CreateUser(ctx, &tandem.User{Email: "standby@example.com", Role: tandem.RoleExecutive}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	other.Close()

	db, err := sqldb.Open(ctx, primaryDSN, sqldb.Options{Clock: clk, ReadDSN: readDSN})
	if err != nil {
		t.Fatalf("Open with ReadDSN: %v", err)
	}
	defer db.Close()
	if err := db.CreateUser(ctx, &tandem.User{Email: "primary@example.com", Role: tandem.RoleExecutive}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := db.Standby().CreateUser(ctx, &tandem.User{Email: "written-through-standby@example.com", Role: tandem.RoleExecutive}); err != nil {
		t.Fatalf("Standby().CreateUser: %v", err)
	}
	if diff := cmp.Diff([]string{"primary@example.com", "written-through-standby@example.com"}, emails(t, db)); diff != "" {
		t.Errorf("Users on the primary (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"standby@example.com"}, emails(t, db.Standby())); diff != "" {
		t.Errorf("Standby().Users (-want +got):\n%s", diff)
	}

	// Without a read DSN, Standby is the store itself.
	plain, err := sqldb.Open(ctx, primaryDSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer plain.Close()
	if plain.Standby() != plain {
		t.Errorf("Standby() without a read DSN is another store; want the store itself")
	}

	// A read DSN is for PostgreSQL only, on both sides.
	for _, tc := range []struct{ dsn, read string }{
		{filepath.Join(t.TempDir(), "tandem.db"), readDSN},
		{primaryDSN, filepath.Join(t.TempDir(), "standby.db")},
	} {
		db, err := sqldb.Open(ctx, tc.dsn, sqldb.Options{Clock: clk, ReadDSN: tc.read})
		if err == nil {
			db.Close()
			t.Errorf("Open(%q, ReadDSN %q) succeeded; want an error", tc.dsn, tc.read)
		} else if !strings.Contains(err.Error(), "--db-read") {
			t.Errorf("Open(%q, ReadDSN %q) = %v; want an error naming --db-read", tc.dsn, tc.read, err)
		}
	}
}
