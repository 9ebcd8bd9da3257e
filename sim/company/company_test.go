package company

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// simNow is where the test simulations stop: a Tuesday afternoon.
var simNow = time.Date(2026, 11, 3, 19, 0, 0, 0, time.UTC)

// simulate runs sim on a new database of backend b and returns its summary
// and every row of the tables the simulation writes, as text, in id order.
func simulate(t *testing.T, b sqldbtest.Backend, sim Sim) (Summary, map[string][]string, time.Duration) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(simNow)
	db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	began := time.Now()
	sum, err := sim.Run(ctx, db, clk)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	took := time.Since(began)
	driver, src := "pgx", b.DSN
	if b.Name == "sqlite" {
		driver, src = "sqlite", b.DSN+"?_pragma=query_only(1)"
	}
	raw, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows := map[string][]string{}
	for _, table := range []string{"users", "leads", "events", "handoffs", "tasks", "timers", "notifications", "deals",
		"reviews", "marketing_touches", "campaign_spend", "stage_entries", "routing_credits"} {
		rs, err := raw.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v ", cols[i], v)
			}
			rows[table] = append(rows[table], b.String())
		}
		if err := rs.Err(); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		rs.Close()
	}
	return sum, rows, took
}

// TestBatchesWriteWhatOneByOneDoes runs the same company twice, with each
// action a transaction of its own and in the batches Run uses, and checks
// that both write the same rows, row for row: a batch changes how many
// transactions there are, not what they do, nor when.
func TestBatchesWriteWhatOneByOneDoes(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a company twice; skipped in -short mode")
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		sim := Sim{Seed: 3, Leads: 400, Now: simNow, Agreement: agreement.Default(), AdminEmail: "admin@demo.example"}
		one := sim
		one.oneByOne = true
		wantSum, want, tookOne := simulate(t, b, one)
		b2 := b
		if b.Name == "sqlite" {
			b2.DSN = filepath.Join(t.TempDir(), "batched.db")
		} else {
			b2 = sqldbtest.Backends(t)[1]
		}
		gotSum, got, tookBatched := simulate(t, b2, sim)
		t.Logf("one by one %v, in batches %v; %v", tookOne.Round(time.Millisecond), tookBatched.Round(time.Millisecond), gotSum)
		if wantSum.Handoffs == 0 || wantSum.ClocksFired == 0 || wantSum.Touches == 0 {
			t.Fatalf("the simulation did too little to compare: %v", wantSum)
		}
		if diff := cmp.Diff(wantSum, gotSum); diff != "" {
			t.Errorf("summary (-one by one +batched):\n%s", diff)
		}
		for table, rows := range want {
			if diff := cmp.Diff(rows, got[table]); diff != "" {
				t.Errorf("table %s (-one by one +batched):\n%s", table, diff)
			}
		}
	})
}
