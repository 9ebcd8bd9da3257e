package sqldb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestUpdateUserKeepsAnAdmin checks, in the store that the settings page,
// the command line and the users import all call, that nobody takes away
// their own admin role and that the last admin keeps it.
func TestUpdateUserKeepsAnAdmin(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		ann := mustAdd(t, db, tandem.User{Email: "ann@example.com", Role: tandem.RoleAdmin})
		mustAdd(t, db, tandem.User{Email: "bea@example.com", Role: tandem.RoleAdmin})
		rep := tandem.RoleSalesRep
		roleOf := func(email string) tandem.Role {
			u, err := db.UserByEmail(ctx, email)
			if err != nil {
				t.Fatalf("UserByEmail: %v", err)
			}
			return u.Role
		}
		refused := func(what string, err error, email string) {
			t.Helper()
			if fs := tandem.ErrorFields(err); tandem.ErrorCode(err) != tandem.EINVALID || len(fs) != 1 || fs[0].Field != "role" {
				t.Errorf("%s = %v; want EINVALID naming role", what, err)
			}
			if got := roleOf(email); got != tandem.RoleAdmin {
				t.Errorf("after %s, %s is %s; want still admin", what, email, got)
			}
		}

		_, err := db.UpdateUser(ctx, "ann@example.com", tandem.UserUpdate{Role: &rep, By: "ANN@example.com"})
		refused("ann taking away her own admin role", err, ann.Email)

		// Another admin may; then ann is the last one, and nobody may,
		// not even the operator at the command line (By "").
		if _, err := db.UpdateUser(ctx, "bea@example.com", tandem.UserUpdate{Role: &rep, By: "ann@example.com"}); err != nil {
			t.Fatalf("ann making bea a rep = %v; want it done", err)
		}
		_, err = db.UpdateUser(ctx, "ann@example.com", tandem.UserUpdate{Role: &rep})
		refused("the command line demoting the last admin", err, ann.Email)

		// The users import goes through the same update.
		res, err := db.Import(ctx, "users", []csvimport.Row{{Line: 2, Fields: map[string]string{"email": "ann@example.com", "role": "sales_rep"}}},
			sqldb.ImportOptions{File: "users.csv"})
		if err != nil || len(res) != 1 || res[0].Status != tandem.StatusRejected {
			t.Fatalf("Import(users) demoting the last admin = %+v, %v; want the row rejected", res, err)
		}
		refused("the users import demoting the last admin", res[0].Err, ann.Email)

		// A role change that keeps the admin, or concerns someone else, is
		// not the rule's business.
		admin := tandem.RoleAdmin
		if _, err := db.UpdateUser(ctx, "ann@example.com", tandem.UserUpdate{Role: &admin, By: "ann@example.com"}); err != nil {
			t.Errorf("ann keeping her admin role = %v; want it done", err)
		}
	})
}

// TestIntakeLeadRule checks the store's side of the lead rule on both
// databases: IntakeLeads and the import check every input against the
// caller, refuse an owner_id that is no user in sales, and change nothing
// for a refused input; LeadsFor lists and counts only what the caller
// may read.
func TestIntakeLeadRule(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		mgr := mustAdd(t, db, tandem.User{Email: "mo@example.com", Role: tandem.RoleSalesManager})
		rita := mustAdd(t, db, tandem.User{Email: "rita@example.com", Role: tandem.RoleSalesRep, ManagerID: mgr.ID})
		rob := mustAdd(t, db, tandem.User{Email: "rob@example.com", Role: tandem.RoleSalesRep})
		mark := mustAdd(t, db, tandem.User{Email: "mark@example.com", Role: tandem.RoleMarketing})
		tok := func(u tandem.User) *tandem.Token {
			return &tandem.Token{Name: "t", Role: u.Role, UserID: u.ID, UserEmail: u.Email}
		}
		intake := func(as *tandem.Token, kv ...string) sqldb.IntakeResult {
			t.Helper()
			in := input(kv...)
			in.Reason = in.Fields["reason"] // a stage's reason is not a field
			delete(in.Fields, "reason")
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{Actor: "t", As: as})
			if err != nil {
				t.Fatalf("IntakeLeads(%v) = %v", kv, err)
			}
			return rs[0]
		}
		wantRefused := func(what string, r sqldb.IntakeResult, code, field string) {
			t.Helper()
			if r.Status != tandem.StatusRejected || tandem.ErrorCode(r.Err) != code {
				t.Errorf("%s = %+v (%v); want rejected with %s", what, r, r.Err, code)
				return
			}
			if fs := tandem.ErrorFields(r.Err); field != "" && (len(fs) != 1 || fs[0].Field != field) {
				t.Errorf("%s = %v; want it to name %s", what, r.Err, field)
			}
		}

		// An owner_id that is no user, or no one in sales, is a 422 naming
		// it, whoever sends it (the operator too).
		wantRefused("an owner who is no user", intake(nil, "external_id", "x1", "email", "x1@example.com", "owner_id", "999"), tandem.EINVALID, "owner_id")
		wantRefused("an owner in marketing", intake(nil, "external_id", "x1", "email", "x1@example.com", "owner_id", fmt.Sprint(mark.ID)), tandem.EINVALID, "owner_id")

		// Rob's lead, made by the operator.
		robs := intake(nil, "external_id", "r1", "email", "r1@example.com", "owner_id", fmt.Sprint(rob.ID))
		if robs.Status != tandem.StatusCreated {
			t.Fatalf("the operator making rob's lead = %+v, %v", robs, robs.Err)
		}
		before, _ := db.Lead(ctx, robs.ID)
		wantRefused("rita changing rob's lead", intake(tok(rita), "external_id", "r1", "company", "Mine Now"), tandem.EFORBIDDEN, "")
		wantRefused("rita taking rob's lead", intake(tok(rita), "external_id", "r1", "owner_id", fmt.Sprint(rita.ID)), tandem.EFORBIDDEN, "")
		wantRefused("mo taking rob's lead for rita", intake(tok(mgr), "external_id", "r1", "owner_id", fmt.Sprint(rita.ID)), tandem.EFORBIDDEN, "")
		wantRefused("marketing disqualifying rob's lead", intake(tok(mark), "external_id", "r1", "stage", "disqualified", "reason", "spam"), tandem.EFORBIDDEN, "")
		res, err := db.Import(ctx, "leads", []csvimport.Row{{Line: 2, Fields: map[string]string{"source": "api", "external_id": "r1", "company": "Imported"}}},
			sqldb.ImportOptions{File: "leads.csv", As: tok(rita)})
		if err != nil || res[0].Status != tandem.StatusRejected || tandem.ErrorCode(res[0].Err) != tandem.EFORBIDDEN {
			t.Errorf("rita importing a change to rob's lead = %+v, %v; want it rejected as forbidden", res, err)
		}
		if after, _ := db.Lead(ctx, robs.ID); after.Version != before.Version || after.Company != before.Company || after.OwnerID != rob.ID {
			t.Errorf("after the refusals rob's lead is %+v; want it as it was (%+v)", after, before)
		}
		// Marketing brings data to any lead; a rep creates their own.
		if r := intake(tok(mark), "external_id", "r1", "company", "Acme"); r.Status != tandem.StatusUpdated {
			t.Errorf("marketing setting rob's lead's company = %+v (%v); want updated", r, r.Err)
		}
		if r := intake(tok(rita), "external_id", "t1", "email", "t1@example.com", "owner_id", fmt.Sprint(rita.ID)); r.Status != tandem.StatusCreated {
			t.Errorf("rita creating her own lead = %+v (%v); want created", r, r.Err)
		}
		intake(nil, "external_id", "u1", "email", "u1@example.com") // unassigned

		// Reading: rita reads her own and the unassigned lead; mo the same
		// (rita is his); rob his own and the unassigned one.
		for _, tc := range []struct {
			who  tandem.User
			want int
		}{{rita, 2}, {mgr, 2}, {rob, 2}, {mark, 3}} {
			page, err := db.LeadsFor(ctx, tandem.LeadFilter{}, *tok(tc.who))
			if err != nil || page.Total != tc.want || len(page.Leads) != tc.want {
				t.Errorf("LeadsFor(%s) = total %d, %d leads, %v; want %d", tc.who.Email, page.Total, len(page.Leads), err, tc.want)
			}
		}
		if _, err := db.LeadFor(ctx, robs.ID, *tok(rita)); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("LeadFor(rob's lead, rita) = %v; want forbidden", err)
		}
	})
}
