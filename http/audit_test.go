package http

import (
	"context"
	"net/url"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSettingsChangesAreAudited: a user and a token made on the settings
// page are in the audit log as the signed-in admin's.
func TestSettingsChangesAreAudited(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		users := pageUsers(t, db)
		s := startServer(t, db, nil)
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "add rex", admin.post("/settings/users", url.Values{"email": {"rex@example.com"}, "role": {"sales_rep"}}), 200) // with a password, shown
		want(t, "create a token", admin.post("/settings/tokens", url.Values{"name": {"zapier"}, "role": {"marketing"}}), 200)
		es, err := db.Audit(context.Background(), sqldb.AuditFilter{Limit: 3})
		if err != nil {
			t.Fatalf("Audit() = %v", err)
		}
		actor := "user:" + users[tandem.RoleAdmin].Email
		type entry struct{ action, subject, actor string }
		var got []entry
		for _, e := range es {
			got = append(got, entry{e.Action, e.Subject, e.Actor})
		}
		wantEntries := []entry{{"token.create", "token:zapier", actor}, {"user.password", "user:rex@example.com", actor}, {"user.create", "user:rex@example.com", actor}}
		if len(got) != len(wantEntries) || got[0] != wantEntries[0] || got[1] != wantEntries[1] || got[2] != wantEntries[2] {
			t.Errorf("the audit log's latest = %+v; want %+v", got, wantEntries)
		}
	})
}
