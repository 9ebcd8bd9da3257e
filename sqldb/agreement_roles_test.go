package sqldb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSigningNeedsStaff proposes the default agreement (a cadence worked by
// reps; escalation to the rep, a sales manager and the sales head) before
// anyone but the heads exists: it is stored, and the first head signs, but
// the signature that would put it in force is refused until a user holds
// every role it needs.
func TestSigningNeedsStaff(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		addUser := func(email string, role tandem.Role) {
			t.Helper()
			if err := db.CreateUser(ctx, &tandem.User{Email: email, Role: role}); err != nil {
				t.Fatalf("CreateUser(%s, %s) = %v", email, role, err)
			}
		}
		addUser("mia@example.com", tandem.RoleMarketingHead)

		v, created, err := db.ProposeAgreement(ctx, "agreement.yaml", string(agreement.Default()), "admin")
		if err != nil || !created {
			t.Fatalf("ProposeAgreement(default) with no reps = %v, %v; want a new version: staff is checked at signing", created, err)
		}
		if _, err := db.SignAgreement(ctx, v.Version, "mia@example.com"); err != nil {
			t.Fatalf("SignAgreement(1, marketing head) with no reps = %v; want the first signature recorded", err)
		}

		addUser("sam@example.com", tandem.RoleSalesHead)
		refused := func(want ...string) {
			t.Helper()
			_, err := db.SignAgreement(ctx, v.Version, "sam@example.com")
			if code := tandem.ErrorCode(err); code != tandem.EINVALID {
				t.Fatalf("SignAgreement(1, sales head) = %v (%s); want %s", err, code, tandem.EINVALID)
			}
			if diff := cmp.Diff(strings.Join(want, "\n"), tandem.ErrorMessage(err)); diff != "" {
				t.Errorf("SignAgreement(1, sales head) message (-want +got):\n%s", diff)
			}
			var fields []string
			for _, f := range tandem.ErrorFields(err) {
				fields = append(fields, f.Field)
			}
			var wantFields []string
			for _, w := range want {
				pos := strings.SplitN(strings.TrimPrefix(w, "agreement version 1:"), ":", 3)
				wantFields = append(wantFields, pos[0]+":"+pos[1])
			}
			if diff := cmp.Diff(wantFields, fields); diff != "" {
				t.Errorf("SignAgreement(1, sales head) fields (-want +got):\n%s", diff)
			}
			// Nothing was recorded: the version awaits the second signature.
			if _, err := db.AgreementInForce(ctx, clk.Now()); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("AgreementInForce after a refused signature = %v; want not_found", err)
			}
			if got, err := db.AgreementVersion(ctx, v.Version); err != nil || len(got.Signatures) != 1 || !got.InForceFrom.IsZero() {
				t.Errorf("AgreementVersion(1) after a refused signature = %+v, %v; want one signature, not in force", got, err)
			}
		}
		refused(
			`agreement version 1:141:3: sales.cadence: sales reps work the cadence, and no user holds the role sales_rep: add one with tandem user add EMAIL --role sales_rep`,
			`agreement version 1:207:13: escalation[1].notify: no user holds the role sales_rep (the lead's owner): add one with tandem user add EMAIL --role sales_rep, or notify another role`,
			`agreement version 1:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`,
		)

		addUser("rex@example.com", tandem.RoleSalesRep)
		refused(`agreement version 1:209:13: escalation[2].notify: no user holds the role sales_manager: add one with tandem user add EMAIL --role sales_manager, or notify another role`)

		// An absent manager still holds the role.
		addUser("max@example.com", tandem.RoleSalesManager)
		absent := true
		if _, err := db.UpdateUser(ctx, "max@example.com", tandem.UserUpdate{Absent: &absent}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		got, err := db.SignAgreement(ctx, v.Version, "sam@example.com")
		if err != nil || got.InForceFrom.IsZero() || len(got.Signatures) != 2 {
			t.Fatalf("SignAgreement(1, sales head) with every role held = %+v, %v; want version 1 in force", got, err)
		}
		if _, err := db.SignAgreement(ctx, v.Version, "sam@example.com"); err != nil {
			t.Errorf("SignAgreement(1, sales head) again = %v; want no error: signing twice changes nothing", err)
		}
	})
}

// TestSigningNeedsStaffEitherOrder checks the staff at the second signature,
// whichever head signs last, and only for the roles the version names.
func TestSigningNeedsStaffEitherOrder(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		for _, u := range []tandem.User{
			{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
			{Email: "sam@example.com", Role: tandem.RoleSalesHead},
			{Email: "rex@example.com", Role: tandem.RoleSalesRep},
		} {
			if err := db.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
		}
		// The default escalates to a sales manager; this version does not.
		def := string(agreement.Default())
		body := strings.Replace(def, "notify: sales_manager", "notify: marketing_head", 1)
		if body == def {
			t.Fatal("the default agreement no longer notifies a sales_manager")
		}
		sign := func(v tandem.AgreementVersion, email string) (tandem.AgreementVersion, error) {
			return db.SignAgreement(ctx, v.Version, email)
		}
		v1, _, err := db.ProposeAgreement(ctx, "agreement.yaml", def, "admin")
		if err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}
		if _, err := sign(v1, "sam@example.com"); err != nil {
			t.Fatalf("first signature by the sales head = %v; want it recorded", err)
		}
		_, err = sign(v1, "mia@example.com")
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(tandem.ErrorMessage(err), "agreement version 1:209:13: escalation[2].notify: no user holds the role sales_manager") {
			t.Errorf("second signature by the marketing head, no sales manager = %v; want invalid at 204:13", err)
		}
		v2, _, err := db.ProposeAgreement(ctx, "agreement.yaml", body, "admin")
		if err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}
		if _, err := sign(v2, "mia@example.com"); err != nil {
			t.Fatalf("sign: %v", err)
		}
		if got, err := sign(v2, "sam@example.com"); err != nil || got.InForceFrom.IsZero() {
			t.Errorf("SignAgreement(2) naming only held roles = %+v, %v; want in force", got, err)
		}
	})
}
