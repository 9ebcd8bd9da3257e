package sqldb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/csvimport"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// usersRows reads a users file through a mapping, as the import does.
func usersRows(t *testing.T, mapping, csv string) []csvimport.Row {
	t.Helper()
	m, err := csvimport.ParseMapping("m.yaml", []byte(mapping))
	if err != nil {
		t.Fatalf("csvimport.ParseMapping: %v", err)
	}
	r, err := csvimport.NewReader(strings.NewReader(csv), m)
	if err != nil {
		t.Fatalf("csvimport.NewReader: %v", err)
	}
	var rows []csvimport.Row
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		rows = append(rows, row)
	}
	return rows
}

// TestUsersWithoutEmail adds people by name, who cannot sign in, then
// gives one an email through a users file that names managers by name and
// by email.
func TestUsersWithoutEmail(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		for _, u := range []tandem.User{{Name: "Ana Rep", Role: tandem.RoleSalesRep}, {Name: "Bo Rep", Role: tandem.RoleSalesRep}} {
			if err := db.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser(%+v) = %v; want a user known by name", u, err)
			}
		}
		if err := db.CreateUser(ctx, &tandem.User{Role: tandem.RoleSalesRep}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateUser(no email, no name) = %v; want invalid", err)
		}
		// Nobody signs in, sets a password or sets up Tandem without an email.
		if _, _, err := db.UserPassword(ctx, ""); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf(`UserPassword("") = %v; want not found`, err)
		}
		if _, err := db.SetPassword(ctx, "", "hash"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf(`SetPassword("") = %v; want not found`, err)
		}
		if err := db.CreateFirstAdmin(ctx, &tandem.User{Name: "Root"}, "hash"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateFirstAdmin(no email) = %v; want invalid", err)
		}

		mapping := "kind: users\nfields:\n  email: {column: Email, optional: true}\n  name: Name\n  role: {column: Role, optional: true}\n" +
			"  team: {column: Office, optional: true}\n  manager: {column: Manager, optional: true}\n"
		csv := "Email,Name,Role,Office,Manager\n" +
			"ana@example.com,Ana Rep,,West,Mo Manager\n" + // Ana gets her email; Mo is new
			",Bo Rep,,West,sam@example.com\n" + // Bo reports to Sam, by email
			"sam@example.com,Sam Head,sales_head,,\n" +
			",Cy Rep,sales_rep,East,mo manager\n" // Mo again, once
		for _, dry := range []bool{true, false} {
			var intro sqldb.Introduced
			res, err := db.Import(ctx, "users", usersRows(t, mapping, csv), sqldb.ImportOptions{File: "people.csv", DryRun: dry, Introduced: &intro})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			var got []string
			for _, r := range res {
				got = append(got, r.Status)
				if r.Err != nil {
					t.Errorf("dry run %t: a row is rejected: %v", dry, r.Err)
				}
			}
			if diff := cmp.Diff([]string{"updated", "updated", "created", "created"}, got); diff != "" {
				t.Errorf("dry run %t: statuses (-want +got):\n%s", dry, diff)
			}
			if intro.Summary() != "created 1 manager: Mo Manager" {
				t.Errorf("dry run %t: summary %q; want Mo created once", dry, intro.Summary())
			}
			us, err := db.Users(ctx)
			if err != nil {
				t.Fatalf("Users: %v", err)
			}
			if want := map[bool]int{true: 2, false: 5}[dry]; len(us) != want {
				t.Errorf("dry run %t: %d users; want %d", dry, len(us), want)
			}
		}
		us, err := db.Users(ctx)
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		type row struct{ Email, Role, Team, Manager string }
		byID := map[int64]string{}
		for _, u := range us {
			byID[u.ID] = u.Name
		}
		got := map[string]row{}
		for _, u := range us {
			got[u.Name] = row{u.Email, string(u.Role), u.Team, byID[u.ManagerID]}
		}
		want := map[string]row{
			"Ana Rep":    {"ana@example.com", "sales_rep", "West", "Mo Manager"},
			"Bo Rep":     {"", "sales_rep", "West", "Sam Head"},
			"Sam Head":   {"sam@example.com", "sales_head", "", ""},
			"Cy Rep":     {"", "sales_rep", "East", "Mo Manager"},
			"Mo Manager": {"", "sales_manager", "West", ""},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		if _, err := db.UserByEmail(ctx, "ana@example.com"); err != nil {
			t.Errorf("UserByEmail(ana) = %v; want Ana, whose email the file set", err)
		}

		// Two people of one name: a file must tell them apart by email.
		if err := db.CreateUser(ctx, &tandem.User{Name: "Bo Rep", Role: tandem.RoleSalesRep}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		for _, tt := range []struct{ csv, field string }{
			{"Email,Name,Role,Office,Manager\n,Bo Rep,,North,\n", "name"},
			{"Email,Name,Role,Office,Manager\n,Di Rep,sales_rep,,Bo Rep\n", "manager"},
		} {
			res, err := db.Import(ctx, "users", usersRows(t, mapping, tt.csv), sqldb.ImportOptions{File: "x.csv"})
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if fe := tandem.ErrorFields(res[0].Err); res[0].Status != tandem.StatusRejected || len(fe) != 1 || fe[0].Field != tt.field ||
				!strings.Contains(fe[0].Message, "2 users are named Bo Rep") {
				t.Errorf("Import(%q) = %+v; want rejected on %s: two users are named Bo Rep", tt.csv, res[0], tt.field)
			}
		}
	})
}

// TestAccountsAndProducts adds and changes accounts and products by name,
// and refuses loops of parents and bad values.
func TestAccountsAndProducts(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		a, status, err := db.UpsertAccount(ctx, map[string]string{"name": "Bluth Company", "parent": "Acme", "revenue": "1242.32", "employees": "3027"})
		if err != nil || status != tandem.StatusCreated || a.ParentID == 0 || a.RevenueCents != 124232 {
			t.Fatalf("UpsertAccount(Bluth) = %+v, %s, %v; want created with Acme as parent", a, status, err)
		}
		if _, status, err := db.UpsertAccount(ctx, map[string]string{"name": " bluth  COMPANY ", "revenue": "1242.320"}); err != nil || status != tandem.StatusUnchanged {
			t.Errorf("UpsertAccount(the same, other spelling) = %s, %v; want unchanged", status, err)
		}
		for _, tt := range []struct {
			in    map[string]string
			field string
		}{
			{map[string]string{"name": "Acme", "parent": "Bluth Company"}, "parent"}, // a loop
			{map[string]string{"name": "Acme", "parent": "acme"}, "parent"},          // itself
			{map[string]string{"name": "Acme", "revenue": "1,000"}, "revenue"},
			{map[string]string{"name": "Acme", "employees": "-3"}, "employees"},
			{map[string]string{"name": strings.Repeat("é", 201)}, "name"},
			{map[string]string{"name": "Acme", "colour": "red"}, "colour"},
		} {
			_, _, err := db.UpsertAccount(ctx, tt.in)
			if fe := tandem.ErrorFields(err); len(fe) != 1 || fe[0].Field != tt.field {
				t.Errorf("UpsertAccount(%v) = %v; want invalid %s", tt.in, err, tt.field)
			}
		}
		as, err := db.Accounts(ctx)
		if err != nil || len(as) != 2 || as[0].Name != "Acme" || as[0].ParentID != 0 || as[1].Parent != "Acme" {
			t.Errorf("Accounts() = %+v, %v; want Acme (no parent) and Bluth Company (Acme's), unchanged by the refusals", as, err)
		}
		p, status, err := db.UpsertProduct(ctx, map[string]string{"name": "GTX Pro", "series": "GTX", "list_price": "4821"})
		if err != nil || status != tandem.StatusCreated {
			t.Fatalf("UpsertProduct = %+v, %s, %v; want created", p, status, err)
		}
		if p2, status, err := db.UpsertProduct(ctx, map[string]string{"name": "gtx pro", "list_price": "5000"}); err != nil || status != tandem.StatusUpdated ||
			p2.ID != p.ID || p2.ListPriceCents != 500000 || p2.Series != "GTX" {
			t.Errorf("UpsertProduct(new price) = %+v, %s, %v; want product %d updated to 5000.00, series kept", p2, status, err, p.ID)
		}
		if _, err := db.Product(ctx, 99999); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("Product(99999) = %v; want not found", err)
		}
		if _, err := db.DealsBy(ctx, "colour"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("DealsBy(colour) = %v; want invalid", err)
		}
	})
}

// addCatalog gives a database accounts (one a subsidiary), products and a
// user known by name only, for the dump's round trip.
func addCatalog(t *testing.T, db *sqldb.DB) {
	t.Helper()
	ctx := context.Background()
	for _, in := range []map[string]string{
		{"name": "Bluth Company", "parent": "Acme", "sector": "retail", "revenue": "12.5", "employees": "40", "year_established": "1990"},
		{"name": "Zoomit", "domain": "zoomit.example", "location": "Korea"},
	} {
		if _, _, err := db.UpsertAccount(ctx, in); err != nil {
			t.Fatalf("UpsertAccount(%v) = %v", in, err)
		}
	}
	if _, _, err := db.UpsertProduct(ctx, map[string]string{"name": "GTX Pro", "series": "GTX", "list_price": "4821"}); err != nil {
		t.Fatalf("UpsertProduct = %v", err)
	}
	if err := db.CreateUser(ctx, &tandem.User{Name: "Named Only", Role: tandem.RoleSalesRep}); err != nil {
		t.Fatalf("CreateUser(by name) = %v", err)
	}
}
