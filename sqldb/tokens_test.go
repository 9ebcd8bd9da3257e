package sqldb_test

import (
	"context"
	"testing"

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
				t.Fatal(err)
			}
		}
		tok, secret, err := db.CreateUserToken(ctx, "rex laptop", "REX@example.com")
		if err != nil {
			t.Fatal(err)
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
			t.Fatal(err)
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
			t.Fatal(err)
		}
		if got, err := db.Authenticate(ctx, isecret); err != nil || got.UserID != 0 || got.Actor() != "token:zapier" {
			t.Errorf("Authenticate(integration token) = %+v, %v; want no user, actor token:zapier", got, err)
		}
	})
}
