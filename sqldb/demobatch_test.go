package sqldb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestBatch runs use cases in one batch: each keeps its own time, one that
// fails or is a dry run leaves nothing and the batch goes on, reads see the
// batch's own writes, and an error of the batch rolls it all back.
func TestBatch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
		clk := clock.NewFake(t0)
		db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db.Close()
		if err := db.Batch(ctx, func() error { return nil }); err == nil {
			t.Errorf("Batch on a store that is not a Batcher succeeded; want an error")
		}
		bt := db.Batcher()
		times := map[string]time.Time{}
		err = bt.Batch(ctx, func() error {
			if err := bt.Batch(ctx, func() error { return nil }); err == nil {
				t.Errorf("a batch within a batch succeeded; want an error")
			}
			for i, email := range []string{"a@example.com", "b@example.com"} {
				clk.Set(t0.Add(time.Duration(i+1) * time.Minute))
				times[email] = clk.Now()
				if err := bt.CreateUser(ctx, &tandem.User{Email: email, Role: tandem.RoleExecutive}); err != nil {
					return err
				}
			}
			if err := bt.CreateUser(ctx, &tandem.User{Email: "a@example.com", Role: tandem.RoleExecutive}); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("CreateUser(a@example.com again) in a batch = %v; want ECONFLICT", err)
			}
			rs, err := bt.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"email": "dry@example.com"}}}, sqldb.IntakeOptions{DryRun: true})
			if err != nil || len(rs) != 1 || rs[0].Err != nil {
				t.Errorf("IntakeLeads(dry run) in a batch = %+v, %v; want one result, no error", rs, err)
			}
			if _, err := bt.UserByEmail(ctx, "b@example.com"); err != nil {
				t.Errorf("UserByEmail(b@example.com) in the batch that created it: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Batch: %v", err)
		}
		for email, want := range times {
			u, err := db.UserByEmail(ctx, email)
			if err != nil {
				t.Fatalf("UserByEmail(%s) after the batch: %v", email, err)
			}
			if !u.CreatedAt.Equal(want) {
				t.Errorf("user %s created at %v; want %v, the clock's when its use case began", email, u.CreatedAt, want)
			}
		}
		if page, err := db.Leads(ctx, tandem.LeadFilter{}); err != nil || len(page.Leads) != 0 {
			t.Errorf("Leads after a batch with a dry run = %d leads, %v; want none", len(page.Leads), err)
		}

		boom := errors.New("boom")
		err = bt.Batch(ctx, func() error {
			if err := bt.CreateUser(ctx, &tandem.User{Email: "c@example.com", Role: tandem.RoleExecutive}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Batch = %v; want the error of its function", err)
		}
		if _, err := db.UserByEmail(ctx, "c@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("UserByEmail(c@example.com) after a batch that failed = %v; want ENOTFOUND", err)
		}
		// Outside a batch, the Batcher is a store like any.
		if err := bt.CreateUser(ctx, &tandem.User{Email: "d@example.com", Role: tandem.RoleExecutive}); err != nil {
			t.Errorf("CreateUser outside a batch: %v", err)
		}
	})
}
