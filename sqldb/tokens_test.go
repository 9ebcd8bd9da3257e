package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestUserTokens checks that a token made for a user acts for that user,
// with the user's role as it is when the token is used.
func TestUserTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		head := tandem.User{Email: "sam@example.com", Role: tandem.RoleSalesHead}
		rep := tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}
		for _, u := range []*tandem.User{&head, &rep} {
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
		}
		tok, secret, err := db.CreateUserToken(ctx, "rex laptop", "REX@example.com")
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		if tok.UserID != rep.ID || tok.UserEmail != rep.Email || tok.Role != tandem.RoleSalesRep || tok.Actor() != "user:rex@example.com" {
			t.Errorf("CreateUserToken = %+v (actor %q); want rex's sales_rep token acting as user:rex@example.com", tok, tok.Actor())
		}
		got, err := db.Authenticate(ctx, secret)
		if err != nil || got.UserID != rep.ID || got.Role != tandem.RoleSalesRep {
			t.Errorf("Authenticate(rex's token) = %+v, %v; want rex as a sales_rep", got, err)
		}
		// Promoted, rex's token carries the new role at once.
		role := tandem.RoleSalesManager
		if _, err := db.UpdateUser(ctx, rep.Email, tandem.UserUpdate{Role: &role}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if got, err := db.Authenticate(ctx, secret); err != nil || got.Role != tandem.RoleSalesManager {
			t.Errorf("Authenticate after a promotion = %+v, %v; want the sales_manager role", got, err)
		}
		if _, _, err := db.CreateUserToken(ctx, "ghost", "nobody@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("CreateUserToken(unknown user) = %v; want not_found", err)
		}
		// An integration's token acts for nobody.
		_, isecret, err := db.CreateToken(ctx, "zapier", tandem.RoleMarketing)
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if got, err := db.Authenticate(ctx, isecret); err != nil || got.UserID != 0 || got.Actor() != "token:zapier" {
			t.Errorf("Authenticate(integration token) = %+v, %v; want no user, actor token:zapier", got, err)
		}
	})
}

// TestTokenLastUsed checks that a token records when it last
// authenticated, at most once a minute.
func TestTokenLastUsed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		tok, secret, err := db.CreateToken(ctx, "crm sync", tandem.RoleMarketing)
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		stored := func() time.Time {
			t.Helper()
			ts, err := db.Tokens(ctx)
			if err != nil || len(ts) != 1 {
				t.Fatalf("Tokens = %+v, %v; want one", ts, err)
			}
			return ts[0].LastUsedAt
		}
		if got := stored(); !got.IsZero() || !tok.LastUsedAt.IsZero() {
			t.Errorf("a new token's LastUsedAt = %v (CreateToken: %v); want zero", got, tok.LastUsedAt)
		}
		use := func() tandem.Token {
			t.Helper()
			got, err := db.Authenticate(ctx, secret)
			if err != nil {
				t.Fatalf("Authenticate = %v", err)
			}
			return got
		}
		first := clk.Now()
		if got := use(); !got.LastUsedAt.Equal(first) {
			t.Errorf("Authenticate: LastUsedAt = %v; want %v", got.LastUsedAt, first)
		}
		// Within the minute, the stored time stays: no write.
		clk.Advance(59 * time.Second)
		use()
		if got := stored(); !got.Equal(first) {
			t.Errorf("LastUsedAt 59s later = %v; want %v, unwritten", got, first)
		}
		clk.Advance(time.Second)
		use()
		if got, want := stored(), first.Add(time.Minute); !got.Equal(want) {
			t.Errorf("LastUsedAt a minute later = %v; want %v", got, want)
		}
	})
}
