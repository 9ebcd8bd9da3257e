// Package sqldbtest gives tests a fresh Tandem database on every backend:
// a SQLite file in a temporary folder always, and a fresh PostgreSQL schema
// whenever TANDEM_TEST_POSTGRES holds a connection string. When it is set
// and the server cannot be reached, tests fail rather than skip.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvPostgres names the variable holding the PostgreSQL test server.
const EnvPostgres = "TANDEM_TEST_POSTGRES"

// Backend is one database to run a test on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	DSN  string
}

// Backends returns the backends to test on. A PostgreSQL backend gets a new
// schema of its own, dropped when the test ends, so tests run in parallel
// and can be rerun.
func Backends(t testing.TB) []Backend {
	t.Helper()
	bs := []Backend{{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "tandem.db")}}
	if base := os.Getenv(EnvPostgres); base != "" {
		bs = append(bs, Backend{Name: "postgres", DSN: NewSchema(t, base)})
	} else {
		t.Logf("%s is not set: PostgreSQL not tested", EnvPostgres)
	}
	return bs
}

// Each runs fn as a subtest on every backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// NewSchema creates a fresh schema on the PostgreSQL server at base and
// returns a connection string that uses it.
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "tandem_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at %s is not usable (%s is set, so this test must not skip): %v", redact(base), EnvPostgres, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		t.Fatalf("%s must be a postgres:// URL, got %q", EnvPostgres, redact(base))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparseable)"
}

// Fresh returns a new, empty database on the same kind of backend as b: a
// new SQLite file, or a new PostgreSQL schema.
func Fresh(t testing.TB, b Backend) string {
	t.Helper()
	if b.Name == "postgres" {
		return NewSchema(t, os.Getenv(EnvPostgres))
	}
	return filepath.Join(t.TempDir(), "tandem.db")
}
