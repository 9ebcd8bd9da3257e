package http

import (
	"context"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestUserTokenActor checks that a change made with a person's token is
// recorded in the ledger as that person's.
func TestUserTokenActor(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		ctx := context.Background()
		if err := ts.db.CreateUser(ctx, &tandem.User{Email: "mark@example.com", Role: tandem.RoleMarketing}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		_, secret, err := ts.db.CreateUserToken(ctx, "mark", "mark@example.com")
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		r := ts.doSecret("POST", "/api/v1/leads", secret, strings.NewReader(`{"external_id":"u1","email":"u1@example.com"}`))
		if r.status != 201 {
			t.Fatalf("POST with mark's token = %v; want 201", r)
		}
		page, err := ts.db.Leads(ctx, tandem.LeadFilter{})
		if err != nil || len(page.Leads) != 1 {
			t.Fatalf("Leads() = %+v, %v", page, err)
		}
		events, err := ts.db.LeadEvents(ctx, page.Leads[0].ID)
		if err != nil {
			t.Fatalf("LeadEvents: %v", err)
		}
		if events[0].Actor != "user:mark@example.com" {
			t.Errorf("the created event's actor = %q; want user:mark@example.com", events[0].Actor)
		}
	})
}
