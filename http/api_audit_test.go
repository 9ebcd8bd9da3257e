package http

import (
	"fmt"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestGetAudit: an admin reads who changed which user, newest first, by
// subject and page by page; a bad parameter is a 422 naming it.
func TestGetAudit(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		for _, email := range []string{"a1@example.com", "a2@example.com", "a3@example.com"} {
			if err := ts.db.CreateUser(t.Context(), &tandem.User{Email: email, Role: tandem.RoleSalesRep}); err != nil {
				t.Fatalf("CreateUser(%s): %v", email, err)
			}
		}
		type entry struct {
			ID      int64  `json:"id"`
			Action  string `json:"action"`
			Subject string `json:"subject"`
		}
		type page struct {
			Items      []entry `json:"items"`
			NextBefore int64   `json:"next_before"`
		}
		var all page
		ts.call("GET", "/api/v1/audit", tandem.RoleAdmin, "", 200, &all)
		var subjects []string
		for i, e := range all.Items {
			if i > 0 && e.ID >= all.Items[i-1].ID {
				t.Errorf("GET /api/v1/audit: entry %d after %d; want newest first", e.ID, all.Items[i-1].ID)
			}
			if e.Action == "user.create" {
				subjects = append(subjects, e.Subject)
			}
		}
		if len(subjects) < 3 || subjects[0] != "user:a3@example.com" || subjects[1] != "user:a2@example.com" || subjects[2] != "user:a1@example.com" {
			t.Errorf("GET /api/v1/audit: user.create subjects %v; want a3, a2, a1 first", subjects)
		}

		var one page
		ts.call("GET", "/api/v1/audit?subject=user:a2@example.com", tandem.RoleAdmin, "", 200, &one)
		if len(one.Items) != 1 || one.Items[0].Subject != "user:a2@example.com" || one.Items[0].Action != "user.create" {
			t.Errorf("GET /api/v1/audit?subject=user:a2@example.com = %+v; want its one user.create", one.Items)
		}

		var first, second page
		ts.call("GET", "/api/v1/audit?limit=2", tandem.RoleAdmin, "", 200, &first)
		if len(first.Items) != 2 || first.NextBefore != first.Items[1].ID {
			t.Fatalf("GET /api/v1/audit?limit=2 = %+v; want 2 entries and next_before the second's id", first)
		}
		ts.call("GET", fmt.Sprintf("/api/v1/audit?limit=2&before=%d", first.NextBefore), tandem.RoleAdmin, "", 200, &second)
		if len(second.Items) == 0 || second.Items[0].ID >= first.NextBefore || second.Items[0].ID != all.Items[2].ID {
			t.Errorf("the second page = %+v; want it to go on from entry %d (the third newest, %d)", second.Items, first.NextBefore, all.Items[2].ID)
		}

		for _, q := range []string{"limit=0", "limit=5000", "limit=x", "before=0", "before=-3", "colour=red", "limit=1&limit=2"} {
			r := ts.do("GET", "/api/v1/audit?"+q, tandem.RoleAdmin, "")
			checkError(t, "GET /api/v1/audit?"+q, r, 422, tandem.EINVALID)
		}
		r := ts.do("GET", "/api/v1/audit", tandem.RoleSalesHead, "")
		checkError(t, "GET /api/v1/audit as a sales head", r, 403, tandem.EFORBIDDEN)
	})
}
