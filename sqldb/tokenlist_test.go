package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestTokenListRevoke lists tokens, revokes one and checks that its secret
// no longer authenticates while the other's still does.
func TestTokenListRevoke(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		rep := tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}
		if err := db.CreateUser(ctx, &rep); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		zap, zsecret, err := db.CreateToken(ctx, "zapier", tandem.RoleMarketing)
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		_, rsecret, err := db.CreateUserToken(ctx, "rex laptop", rep.Email)
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		ts, err := db.Tokens(ctx)
		if err != nil {
			t.Fatalf("Tokens: %v", err)
		}
		if len(ts) != 2 || ts[0].Name != "rex laptop" || ts[0].UserEmail != rep.Email || ts[0].Role != tandem.RoleSalesRep ||
			ts[1].Name != "zapier" || ts[1].Role != tandem.RoleMarketing || ts[1].UserID != 0 || ts[1].CreatedAt.IsZero() {
			t.Errorf("Tokens = %+v; want rex laptop (rex, sales_rep) and zapier (marketing)", ts)
		}
		got, err := db.RevokeToken(ctx, zap.ID)
		if err != nil || got.Name != "zapier" {
			t.Fatalf("RevokeToken = %+v, %v; want zapier", got, err)
		}
		if _, err := db.Authenticate(ctx, zsecret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
			t.Errorf("Authenticate(revoked) = %v; want unauthorized", err)
		}
		if _, err := db.Authenticate(ctx, rsecret); err != nil {
			t.Errorf("Authenticate(the other token) = %v", err)
		}
		if _, err := db.RevokeToken(ctx, zap.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("RevokeToken twice = %v; want not_found", err)
		}
		if ts, _ := db.Tokens(ctx); len(ts) != 1 {
			t.Errorf("Tokens after a revoke = %+v; want one", ts)
		}
		ids, err := db.UsersWithPassword(ctx)
		if err != nil || len(ids) != 0 {
			t.Errorf("UsersWithPassword = %v, %v; want none", ids, err)
		}
		if _, err := db.SetPassword(ctx, rep.Email, "x"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if ids, _ := db.UsersWithPassword(ctx); !ids[rep.ID] || len(ids) != 1 {
			t.Errorf("UsersWithPassword = %v; want rex", ids)
		}
	})
}
