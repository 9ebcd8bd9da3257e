package sqldb

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem/clock"
)

// TestStmtCache checks that a statement a transaction runs is prepared on
// the pool once it is over and reused by the next transactions, and that
// filling the cache from many writers at once never waits forever for the
// write pool's one connection.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), Options{Clock: clock.NewFake(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	const q = `SELECT count(*) + $1 FROM users`
	run := func() (wanted []string) {
		t.Helper()
		err := db.transact(ctx, func(tx *Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, q, 41).Scan(&n); err != nil {
				return err
			}
			if n != 41 {
				return fmt.Errorf("got %d; want 41", n)
			}
			wanted = tx.wanted
			return nil
		})
		if err != nil {
			t.Fatalf("transact: %v", err)
		}
		return wanted
	}
	if w := run(); len(w) != 1 || w[0] != q {
		t.Fatalf("first transaction wanted %q; want the query prepared on the pool", w)
	}
	if db.writeStmts.get(q) == nil {
		t.Fatal("the write pool keeps no statement after the first transaction")
	}
	if w := run(); len(w) != 0 {
		t.Errorf("second transaction wanted %q; want the pool's statement reused", w)
	}
	if db.readStmts.get(q) != nil {
		t.Error("a write transaction's statement went to the read pool")
	}

	// Many writers, each with statements never seen: every one finishes.
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				err := db.transact(ctx, func(tx *Tx) error {
					var n int
					return tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + $1`, g*1000+i%40), 1).Scan(&n)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("writers filling the statement cache did not finish in 2 minutes: a deadlock on the write connection")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db.writeStmts.mu.Lock()
	n := len(db.writeStmts.m)
	db.writeStmts.mu.Unlock()
	if n > maxCachedStmts || n < 100 {
		t.Errorf("the write pool keeps %d statements; want between 100 and %d", n, maxCachedStmts)
	}
}
