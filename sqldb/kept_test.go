package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestKeptReports keeps reports and leases their refresh between two
// replicas on one database.
func TestKeptReports(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		a, clk := open(t, b)
		other, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		defer other.Close()
		const lease = 2 * time.Minute
		stale := func() time.Time { return clk.Now().Add(-2 * time.Minute) }
		take := func(db *sqldb.DB, name string, want bool) {
			t.Helper()
			took, err := db.LeaseRefresh(ctx, "pace", "2026-11", stale(), lease)
			if err != nil || took != want {
				t.Fatalf("%s: LeaseRefresh at %s = %v, %v; want %v", name, clk.Now().Format("15:04"), took, err, want)
			}
		}
		kept := func(wantOK bool, wantBody string) {
			t.Helper()
			k, ok, err := other.Kept(ctx, "pace", "2026-11")
			if err != nil || ok != wantOK || string(k.Body) != wantBody {
				t.Fatalf("Kept = %q, %v, %v; want %q, %v", k.Body, ok, err, wantBody, wantOK)
			}
		}
		kept(false, "")
		take(a, "first replica, nothing kept", true)
		take(other, "second replica, leased", false)
		kept(false, "") // the lease's placeholder is no report

		if err := a.Keep(ctx, sqldb.Kept{Kind: "pace", Period: "2026-11", ComputedAt: clk.Now(), Body: []byte(`{"n":1}`)}); err != nil {
			t.Fatalf("Keep: %v", err)
		}
		kept(true, `{"n":1}`)
		take(other, "second replica, just kept", false)

		clk.Advance(3 * time.Minute)
		take(other, "second replica, stale", true)
		take(a, "first replica, leased by the second", false)
		// The second replica dies; its lease runs out.
		clk.Advance(lease)
		take(a, "first replica, lease expired", true)

		// An older computation never replaces a later one.
		if err := a.Keep(ctx, sqldb.Kept{Kind: "pace", Period: "2026-11", ComputedAt: clk.Now(), Body: []byte(`{"n":2}`)}); err != nil {
			t.Fatalf("Keep: %v", err)
		}
		if err := other.Keep(ctx, sqldb.Kept{Kind: "pace", Period: "2026-11", ComputedAt: clk.Now().Add(-time.Minute), Body: []byte(`{"n":0}`)}); err != nil {
			t.Fatalf("Keep: %v", err)
		}
		kept(true, `{"n":2}`)
		k, _, _ := a.Kept(ctx, "pace", "2026-11")
		if !k.ComputedAt.Equal(clk.Now()) {
			t.Errorf("ComputedAt = %v; want %v", k.ComputedAt, clk.Now())
		}
		// Kinds and periods are apart.
		if _, ok, _ := a.Kept(ctx, "scorecard", "2026-11"); ok {
			t.Error("a pace kept answers for a scorecard")
		}
		if _, ok, _ := a.Kept(ctx, "pace", "2026-10"); ok {
			t.Error("November's pace answers for October")
		}
	})
}
