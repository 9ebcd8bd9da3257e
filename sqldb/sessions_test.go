package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func TestSessions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		rex := mustAdd(t, db, tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep})

		wantErr := func(what string, err error, code, msg string) {
			t.Helper()
			if tandem.ErrorCode(err) != code || !strings.Contains(tandem.ErrorMessage(err), msg) {
				t.Errorf("%s = %v; want %s containing %q", what, err, code, msg)
			}
		}
		s, secret, err := db.CreateSession(ctx, rex.ID)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		if s.ExpiresAt != epoch.Add(tandem.MaxSessionAge) {
			t.Errorf("CreateSession: ExpiresAt = %v; want %v", s.ExpiresAt, epoch.Add(tandem.MaxSessionAge))
		}
		if len(secret) < 40 {
			t.Errorf("CreateSession: secret %q is short", secret)
		}
		got, u, err := db.Session(ctx, secret)
		if err != nil || u.Email != "rex@example.com" || got.ID != s.ID {
			t.Fatalf("Session = %+v, %s, %v; want session %d of rex", got, u.Email, err, s.ID)
		}
		_, _, err = db.Session(ctx, "nope")
		wantErr("Session(unknown)", err, tandem.EUNAUTHORIZED, "not signed in")

		// Used within the idle timeout, a session lives on, up to its age.
		for range 13 {
			clk.Advance(tandem.IdleTimeout - time.Hour)
			if _, _, err := db.Session(ctx, secret); err != nil {
				t.Fatalf("Session at %v (kept in use) = %v", clk.Now(), err)
			}
		}
		clk.Set(epoch.Add(tandem.MaxSessionAge))
		_, _, err = db.Session(ctx, secret)
		wantErr("Session after the maximum age", err, tandem.EUNAUTHORIZED, "expired")

		// Left idle, it ends.
		_, idle, _ := db.CreateSession(ctx, rex.ID)
		clk.Advance(tandem.IdleTimeout - time.Second)
		if _, _, err := db.Session(ctx, idle); err != nil {
			t.Fatalf("Session a second before the idle timeout = %v", err)
		}
		clk.Advance(tandem.IdleTimeout)
		_, _, err = db.Session(ctx, idle)
		wantErr("Session after the idle timeout", err, tandem.EUNAUTHORIZED, "expired")

		// Sign-out ends one session; a new password ends them all.
		_, a, _ := db.CreateSession(ctx, rex.ID)
		_, c, _ := db.CreateSession(ctx, rex.ID)
		if err := db.RevokeSession(ctx, a); err != nil {
			t.Fatalf("RevokeSession: %v", err)
		}
		_, _, err = db.Session(ctx, a)
		wantErr("Session after sign-out", err, tandem.EUNAUTHORIZED, "signed out")
		if _, _, err := db.Session(ctx, c); err != nil {
			t.Fatalf("the other session after one signed out: %v", err)
		}
		if _, err := db.SetPassword(ctx, "REX@example.com", "$argon2id$fake"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		_, _, err = db.Session(ctx, c)
		wantErr("Session after a new password", err, tandem.EUNAUTHORIZED, "signed out")
		if _, hash, err := db.UserPassword(ctx, "rex@example.com"); hash != "$argon2id$fake" || err != nil {
			t.Errorf("UserPassword = %q, %v; want the hash set", hash, err)
		}
		_, d, _ := db.CreateSession(ctx, rex.ID)
		if n, err := db.RevokeSessions(ctx, "rex@example.com"); n != 1 || err != nil {
			t.Errorf("RevokeSessions = %d, %v; want 1, nil", n, err)
		}
		_, _, err = db.Session(ctx, d)
		wantErr("Session after RevokeSessions", err, tandem.EUNAUTHORIZED, "signed out")

		_, err = db.SetPassword(ctx, "nobody@example.com", "x")
		wantErr("SetPassword(nobody)", err, tandem.ENOTFOUND, "nobody@example.com")
		_, _, err = db.CreateSession(ctx, 999)
		wantErr("CreateSession(999)", err, tandem.ENOTFOUND, "999")
	})
}

func TestFirstAdmin(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		// An install upgraded from before passwords: users, none with one.
		mustAdd(t, db, tandem.User{Email: "old-admin@example.com", Role: tandem.RoleAdmin})
		mustAdd(t, db, tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep})
		if open, err := db.SetupOpen(ctx); !open || err != nil {
			t.Fatalf("SetupOpen = %v, %v; want true", open, err)
		}
		bad := tandem.User{Email: "not an email"}
		if err := db.CreateFirstAdmin(ctx, &bad, "h"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateFirstAdmin(bad email) = %v; want EINVALID", err)
		}
		rep := tandem.User{Email: "rex@example.com"}
		if err := db.CreateFirstAdmin(ctx, &rep, "h"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("CreateFirstAdmin(a rep's email) = %v; want ECONFLICT", err)
		}
		old := tandem.User{Email: "old-admin@example.com"}
		if err := db.CreateFirstAdmin(ctx, &old, "h1"); err != nil || old.ID == 0 {
			t.Fatalf("CreateFirstAdmin(an admin without a password) = %v (id %d)", err, old.ID)
		}
		if open, err := db.SetupOpen(ctx); open || err != nil {
			t.Errorf("SetupOpen after the first admin = %v, %v; want false", open, err)
		}
		late := tandem.User{Email: "late@example.com", Name: "Late"}
		if err := db.CreateFirstAdmin(ctx, &late, "h2"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("CreateFirstAdmin once set up = %v; want ECONFLICT", err)
		}
		if _, err := db.UserByEmail(ctx, "late@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("a refused first admin was stored (%v)", err)
		}
	})
}

func TestFirstAdminRace(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		errs := make(chan error, 4)
		for i := range 4 {
			go func() {
				u := tandem.User{Email: string(rune('a'+i)) + "@example.com"}
				errs <- db.CreateFirstAdmin(ctx, &u, "h")
			}()
		}
		made := 0
		for range 4 {
			if err := <-errs; err == nil {
				made++
			} else if tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("CreateFirstAdmin racing = %v; want nil or ECONFLICT", err)
			}
		}
		if made != 1 {
			t.Errorf("%d first admins made by 4 racing setups; want 1", made)
		}
	})
}

func TestDeleteExpiredSessions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		rex := mustAdd(t, db, tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep})
		session := func() string {
			t.Helper()
			_, secret, err := db.CreateSession(ctx, rex.ID)
			if err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			return secret
		}
		// What Session says tells a kept row ("expired", "signed out")
		// from a deleted one ("not signed in").
		check := func(what, secret, want string) {
			t.Helper()
			if _, _, err := db.Session(ctx, secret); !strings.Contains(tandem.ErrorMessage(err), want) {
				t.Errorf("Session(%s) = %v; want %q", what, err, want)
			}
		}
		deleted := func(want int) {
			t.Helper()
			if n, err := db.DeleteExpiredSessions(ctx); n != want || err != nil {
				t.Errorf("DeleteExpiredSessions at %v = %d, %v; want %d, nil", clk.Now(), n, err, want)
			}
		}
		signedOut, idle := session(), session()
		if err := db.RevokeSession(ctx, signedOut); err != nil {
			t.Fatalf("RevokeSession: %v", err)
		}
		clk.Advance(tandem.MaxSessionAge / 2)
		younger := session()
		if _, _, err := db.Session(ctx, younger); err != nil {
			t.Fatalf("Session(younger) = %v; want it live", err)
		}
		clk.Advance(tandem.MaxSessionAge/2 - time.Second)
		deleted(0) // ended, but not past their age: they still say why
		check("signed out", signedOut, "signed out")
		check("idle", idle, "expired")

		clk.Advance(time.Second)
		deleted(2)
		check("signed out, deleted", signedOut, "not signed in")
		check("idle, deleted", idle, "not signed in")
		check("younger", younger, "expired")
		deleted(0)
		clk.Advance(tandem.MaxSessionAge)
		deleted(1)
	})
}
