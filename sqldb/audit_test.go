package sqldb_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestAuditRecordsUsersAndTokens: every change to users and tokens is in
// the audit log, by its actor, with the fields it changed; a change that
// changes nothing, or that is refused, is not; secrets never are.
func TestAuditRecordsUsersAndTokens(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := open(t, b)
		bg := context.Background()
		admin := sqldb.WithActor(bg, "user:ada@example.com")
		cli := sqldb.WithActor(bg, "cli:ops")

		// Setup names itself; then the admin adds a manager and a rep.
		first := tandem.User{Email: "ada@example.com", Name: "Ada"}
		if err := db.CreateFirstAdmin(bg, &first, "hash-not-recorded"); err != nil {
			t.Fatalf("CreateFirstAdmin(ada) = %v", err)
		}
		manu := tandem.User{Email: "manu@example.com", Role: tandem.RoleSalesManager}
		if err := db.CreateUser(admin, &manu); err != nil {
			t.Fatalf("CreateUser(manu) = %v", err)
		}
		rex := tandem.User{Email: "Rex@Example.com", Name: "Rex", Role: tandem.RoleSalesRep, Team: "east"}
		if err := db.CreateUser(cli, &rex); err != nil {
			t.Fatalf("CreateUser(rex) = %v", err)
		}
		// A duplicate is refused and not recorded.
		if err := db.CreateUser(cli, &tandem.User{Email: "rex@example.com", Role: tandem.RoleSalesRep}); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Fatalf("CreateUser(rex again) = %v; want conflict", err)
		}
		team, manager, weight := "west", "manu@example.com", 3
		if _, err := db.UpdateUser(admin, "rex@example.com", tandem.UserUpdate{Team: &team, Manager: &manager, Weight: &weight}); err != nil {
			t.Fatalf("UpdateUser(rex) = %v", err)
		}
		// The same values again change nothing, and leave no entry.
		if _, err := db.UpdateUser(admin, "rex@example.com", tandem.UserUpdate{Team: &team}); err != nil {
			t.Fatalf("UpdateUser(rex, same team) = %v", err)
		}
		// A refused role change leaves no entry.
		exec := tandem.RoleExecutive
		if _, err := db.UpdateUser(admin, "manu@example.com", tandem.UserUpdate{Role: &exec}); err == nil {
			t.Fatalf("UpdateUser(manu, executive while managing rex) = nil; want refused")
		}
		if _, err := db.SetPassword(admin, "rex@example.com", "secret-hash"); err != nil {
			t.Fatalf("SetPassword(rex) = %v", err)
		}
		if _, err := db.RevokeSessions(admin, "rex@example.com"); err != nil {
			t.Fatalf("RevokeSessions(rex) = %v", err)
		}
		crm, _, err := db.CreateToken(cli, "crm", tandem.RoleMarketing)
		if err != nil {
			t.Fatalf("CreateToken(crm) = %v", err)
		}
		if _, _, err := db.CreateUserToken(bg, "rex-laptop", "rex@example.com"); err != nil {
			t.Fatalf("CreateUserToken(rex-laptop) = %v", err)
		}
		if _, err := db.RevokeToken(admin, crm.ID); err != nil {
			t.Fatalf("RevokeToken(crm) = %v", err)
		}

		got, err := db.Audit(bg, sqldb.AuditFilter{})
		if err != nil {
			t.Fatalf("Audit() = %v", err)
		}
		ch := func(field, from, to string) tandem.FieldChange {
			return tandem.FieldChange{Field: field, From: from, To: to}
		}
		want := []sqldb.AuditEntry{ // newest first
			{Actor: "user:ada@example.com", Action: "token.revoke", Subject: "token:crm", Changes: []tandem.FieldChange{}},
			{Actor: "system", Action: "token.create", Subject: "token:rex-laptop", Changes: []tandem.FieldChange{ch("user", "", "rex@example.com")}},
			{Actor: "cli:ops", Action: "token.create", Subject: "token:crm", Changes: []tandem.FieldChange{ch("role", "", "marketing")}},
			{Actor: "user:ada@example.com", Action: "user.sign_out_all", Subject: "user:rex@example.com", Changes: []tandem.FieldChange{}},
			{Actor: "user:ada@example.com", Action: "user.password", Subject: "user:rex@example.com", Changes: []tandem.FieldChange{}},
			{Actor: "user:ada@example.com", Action: "user.update", Subject: "user:rex@example.com", Changes: []tandem.FieldChange{
				ch("team", "east", "west"), ch("manager", "", "manu@example.com"), ch("weight", "1", "3")}},
			{Actor: "cli:ops", Action: "user.create", Subject: "user:rex@example.com", Changes: []tandem.FieldChange{
				ch("email", "", "rex@example.com"), ch("name", "", "Rex"), ch("role", "", "sales_rep"), ch("team", "", "east"), ch("weight", "", "1")}},
			{Actor: "user:ada@example.com", Action: "user.create", Subject: "user:manu@example.com", Changes: []tandem.FieldChange{
				ch("email", "", "manu@example.com"), ch("role", "", "sales_manager"), ch("weight", "", "1")}},
			{Actor: "setup", Action: "user.create", Subject: "user:ada@example.com", Changes: []tandem.FieldChange{
				ch("email", "", "ada@example.com"), ch("name", "", "Ada"), ch("role", "", "admin"), ch("weight", "", "1")}},
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(sqldb.AuditEntry{}, "ID", "At")); diff != "" {
			t.Errorf("Audit() (-want +got):\n%s", diff)
		}
		for i := 1; i < len(got); i++ {
			if got[i].ID >= got[i-1].ID || !got[i].At.Equal(epoch) {
				t.Errorf("entry %d: id %d after %d, at %v; want newest first, at the clock's %v", i, got[i].ID, got[i-1].ID, got[i].At, epoch)
			}
		}
		// One subject, and paging back.
		rexs, err := db.Audit(bg, sqldb.AuditFilter{Subject: "user:rex@example.com", Limit: 2})
		if err != nil || len(rexs) != 2 || rexs[0].Action != "user.sign_out_all" || rexs[1].Action != "user.password" {
			t.Errorf("Audit(rex, limit 2) = %+v, %v; want the sign-out and the password", rexs, err)
		}
		older, err := db.Audit(bg, sqldb.AuditFilter{Subject: "user:rex@example.com", BeforeID: rexs[1].ID})
		if err != nil || len(older) != 2 || older[0].Action != "user.update" || older[1].Action != "user.create" {
			t.Errorf("Audit(rex, before %d) = %+v, %v; want the update and the creation", rexs[1].ID, older, err)
		}
		if _, err := db.Audit(bg, sqldb.AuditFilter{Limit: 1001}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Audit(limit 1001) = %v; want EINVALID naming limit", err)
		}
	})
}
