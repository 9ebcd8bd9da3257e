package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/worker"
)

// TestDailyDeletesExpiredSessions: the daily round removes the sessions
// past their age, and keeps a younger one.
func TestDailyDeletesExpiredSessions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		u := tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		_, old, err := db.CreateSession(ctx, u.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		clk.Advance(tandem.MaxSessionAge)
		_, young, err := db.CreateSession(ctx, u.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		says := func(secret string) string {
			_, _, err := db.Session(ctx, secret)
			return tandem.ErrorMessage(err)
		}
		if got := says(old); !strings.Contains(got, "expired") {
			t.Fatalf("Session(old) before the round = %q; want expired", got)
		}

		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- (&worker.Daily{DB: db, Clock: clk}).Run(rctx) }()
		eventually(t, func() bool { return strings.Contains(says(old), "not signed in") }, "the daily round deletes the old session")
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Daily.Run = %v; want nil", err)
		}
		if got := says(young); got != "" {
			t.Errorf("Session(young) after the round = %q; want it live", got)
		}
	})
}
