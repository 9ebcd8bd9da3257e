package sqldb_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pressly/goose/v3"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// mustAdd creates a user or fails the test.
func mustAdd(t *testing.T, db *sqldb.DB, u tandem.User) tandem.User {
	t.Helper()
	if err := db.CreateUser(context.Background(), &u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", u.Email, err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

// TestManagerRoles tries every role as the manager of every role, so that a
// change to the rules shows up here as a whole row of the table.
func TestManagerRoles(t *testing.T) {
	// The pairs that may be made; every other pair is refused.
	allowed := map[[2]tandem.Role]bool{
		{tandem.RoleSalesRep, tandem.RoleSalesManager}:   true,
		{tandem.RoleSalesRep, tandem.RoleSalesHead}:      true,
		{tandem.RoleSalesManager, tandem.RoleSalesHead}:  true,
		{tandem.RoleMarketing, tandem.RoleMarketingHead}: true,
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		managers := map[tandem.Role]tandem.User{}
		for _, r := range tandem.Roles {
			managers[r] = mustAdd(t, db, tandem.User{Email: "boss-" + string(r) + "@example.com", Role: r})
		}
		for _, report := range tandem.Roles {
			for _, boss := range tandem.Roles {
				u := tandem.User{Email: string(report) + "-under-" + string(boss) + "@example.com", Role: report, ManagerID: managers[boss].ID}
				err := db.CreateUser(ctx, &u)
				if allowed[[2]tandem.Role{report, boss}] {
					if err != nil {
						t.Errorf("CreateUser(%s reporting to a %s) = %v; want it made", report, boss, err)
					}
					continue
				}
				if tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != "manager" {
					t.Errorf("CreateUser(%s reporting to a %s) = %v; want EINVALID on manager", report, boss, err)
				}
				if _, err := db.UserByEmail(ctx, u.Email); tandem.ErrorCode(err) != tandem.ENOTFOUND {
					t.Errorf("refused user %s was stored (%v)", u.Email, err)
				}
			}
		}
	})
}

func TestUserManagerErrors(t *testing.T) {
	// The company every case starts from:
	//   sam (sales_head) ← manu (sales_manager) ← rex, rio (sales_rep)
	//   mia (marketing_head) ← mark (marketing); eve (executive)
	company := []struct{ email, role, manager string }{
		{"sam@example.com", "sales_head", ""},
		{"manu@example.com", "sales_manager", "sam@example.com"},
		{"rex@example.com", "sales_rep", "manu@example.com"},
		{"rio@example.com", "sales_rep", "manu@example.com"},
		{"mia@example.com", "marketing_head", ""},
		{"mark@example.com", "marketing", "mia@example.com"},
		{"eve@example.com", "executive", ""},
	}
	tests := []struct {
		name   string
		create *tandem.User // a user to create, or
		email  string       // the user to update with up
		up     tandem.UserUpdate
		code   string
		msg    string
	}{
		{
			name:   "a rep under a rep",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesRep, ManagerID: 3},
			code:   tandem.EINVALID,
			msg:    "manager: rex@example.com is a sales_rep, but a sales_rep's manager is a sales_manager or a sales_head",
		},
		{
			name:   "a manager under a manager",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesManager, ManagerID: 2},
			code:   tandem.EINVALID,
			msg:    "manager: manu@example.com is a sales_manager, but a sales_manager's manager is a sales_head",
		},
		{
			name:   "marketing under the sales head",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleMarketing, ManagerID: 1},
			code:   tandem.EINVALID,
			msg:    "manager: sam@example.com is a sales_head, but a marketing's manager is a marketing_head",
		},
		{
			name:   "an executive with a manager",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleExecutive, ManagerID: 1},
			code:   tandem.EINVALID,
			msg:    "manager: an executive has no manager",
		},
		{
			name:   "a missing manager by id",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesRep, ManagerID: 99},
			code:   tandem.ENOTFOUND,
			msg:    "manager: no user with id 99",
		},
		{
			name:   "a team name too long",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesRep, Team: strings.Repeat("é", tandem.MaxTeamLen+1)},
			code:   tandem.EINVALID,
			msg:    "team: longer than 100 characters",
		},
		{
			name:   "a team name with a NUL byte",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesRep, Team: "East\x00"},
			code:   tandem.EINVALID,
			msg:    "team: contains a NUL byte",
		},
		{
			name:   "a team name that is not UTF-8",
			create: &tandem.User{Email: "new@example.com", Role: tandem.RoleSalesRep, Team: "East\xff"},
			code:   tandem.EINVALID,
			msg:    "team: not valid UTF-8",
		},
		{
			name:  "a missing manager by email",
			email: "rex@example.com",
			up:    tandem.UserUpdate{Manager: ptr("nobody@example.com")},
			code:  tandem.ENOTFOUND,
			msg:   "manager: no user with email nobody@example.com",
		},
		{
			name:  "an unknown user",
			email: "nobody@example.com",
			up:    tandem.UserUpdate{Absent: ptr(true)},
			code:  tandem.ENOTFOUND,
			msg:   "no user with email nobody@example.com",
		},
		{
			name:  "a manager of the wrong role",
			email: "rex@example.com",
			up:    tandem.UserUpdate{Manager: ptr("mia@example.com")},
			code:  tandem.EINVALID,
			msg:   "manager: mia@example.com is a marketing_head, but a sales_rep's manager is a sales_manager or a sales_head",
		},
		{
			name:  "one's own manager",
			email: "manu@example.com",
			up:    tandem.UserUpdate{Manager: ptr("MANU@example.com")},
			code:  tandem.EINVALID,
			msg:   "manager: manu@example.com cannot be their own manager",
		},
		{
			name:  "a loop through a report",
			email: "sam@example.com",
			up:    tandem.UserUpdate{Manager: ptr("manu@example.com")},
			code:  tandem.EINVALID,
			msg:   "manager: that would make a loop of managers: sam@example.com → manu@example.com → sam@example.com",
		},
		{
			name:  "a loop through two levels",
			email: "sam@example.com",
			up:    tandem.UserUpdate{Manager: ptr("rex@example.com")},
			code:  tandem.EINVALID,
			msg:   "manager: that would make a loop of managers: sam@example.com → rex@example.com → manu@example.com → sam@example.com",
		},
		{
			name:  "a role change stranding reports",
			email: "manu@example.com",
			up:    tandem.UserUpdate{Role: ptr(tandem.RoleSalesRep)},
			code:  tandem.ECONFLICT,
			msg:   "manu@example.com cannot become a sales_rep while managing rex@example.com (sales_rep), rio@example.com (sales_rep): give them another manager first",
		},
		{
			name:  "a head becoming the other head",
			email: "mia@example.com",
			up:    tandem.UserUpdate{Role: ptr(tandem.RoleSalesHead)},
			code:  tandem.ECONFLICT,
			msg:   "mia@example.com cannot become a sales_head while managing mark@example.com (marketing): give them another manager first",
		},
		{
			name:  "a role change the manager cannot follow",
			email: "rex@example.com",
			up:    tandem.UserUpdate{Role: ptr(tandem.RoleSalesManager)},
			code:  tandem.EINVALID,
			msg:   "manager: manu@example.com is a sales_manager, but a sales_manager's manager is a sales_head (rex@example.com reports to manu@example.com: change the manager with the role)",
		},
		{
			name:  "a role that takes no manager",
			email: "mark@example.com",
			up:    tandem.UserUpdate{Role: ptr(tandem.RoleExecutive)},
			code:  tandem.EINVALID,
			msg:   "manager: an executive has no manager (mark@example.com reports to mia@example.com: change the manager with the role)",
		},
		{
			name:  "an unknown role",
			email: "rex@example.com",
			up:    tandem.UserUpdate{Role: ptr(tandem.Role("boss"))},
			code:  tandem.EINVALID,
			msg:   `role: "boss" is not a role (want one of admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)`,
		},
		{
			name:  "a bad team and a bad manager at once",
			email: "rex@example.com",
			up:    tandem.UserUpdate{Team: ptr("a\x00b"), Manager: ptr("eve@example.com")},
			code:  tandem.EINVALID,
			msg:   "team: contains a NUL byte",
		},
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db, _ := open(t, sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)})
				for _, c := range company {
					u := tandem.User{Email: c.email, Role: tandem.Role(c.role)}
					if c.manager != "" {
						m, err := db.UserByEmail(ctx, c.manager)
						if err != nil {
							t.Fatalf("UserByEmail: %v", err)
						}
						u.ManagerID = m.ID
					}
					mustAdd(t, db, u)
				}
				before, err := db.Users(ctx)
				if err != nil {
					t.Fatalf("Users: %v", err)
				}
				var call string
				if tt.create != nil {
					u := *tt.create
					call = "CreateUser(" + u.Email + ")"
					err = db.CreateUser(ctx, &u)
				} else {
					call = "UpdateUser(" + tt.email + ")"
					_, err = db.UpdateUser(ctx, tt.email, tt.up)
				}
				if tandem.ErrorCode(err) != tt.code || tandem.ErrorMessage(err) != tt.msg {
					t.Errorf("%s = %s %q; want %s %q", call, tandem.ErrorCode(err), tandem.ErrorMessage(err), tt.code, tt.msg)
				}
				after, err := db.Users(ctx)
				if err != nil {
					t.Fatalf("Users: %v", err)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("%s changed the users (-before +after):\n%s", call, diff)
				}
			})
		}
	})
}

func TestUserTeamsManagersAndAbsence(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		sam := mustAdd(t, db, tandem.User{Email: "sam@example.com", Name: "Sam Head", Role: tandem.RoleSalesHead})
		manu := mustAdd(t, db, tandem.User{Email: "manu@example.com", Role: tandem.RoleSalesManager, Team: " East ", ManagerID: sam.ID})
		rex := mustAdd(t, db, tandem.User{Email: "Rex@Example.com", Role: tandem.RoleSalesRep, Team: "East", ManagerID: manu.ID, Absent: true})
		mustAdd(t, db, tandem.User{Email: "rio@example.com", Role: tandem.RoleSalesRep, Team: "Ost-Ω", ManagerID: sam.ID})

		want := tandem.User{ID: rex.ID, Email: "rex@example.com", Role: tandem.RoleSalesRep, Team: "East", ManagerID: manu.ID, Absent: true, Weight: 1, CreatedAt: epoch}
		if diff := cmp.Diff(want, rex); diff != "" {
			t.Errorf("CreateUser(rex) (-want +got):\n%s", diff)
		}
		for name, get := range map[string]func() (tandem.User, error){
			"UserByEmail": func() (tandem.User, error) { return db.UserByEmail(ctx, "REX@example.com") },
			"UserByID":    func() (tandem.User, error) { return db.UserByID(ctx, rex.ID) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s(rex) = %v", name, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s(rex) (-want +got):\n%s", name, diff)
			}
		}
		if manu.Team != "East" {
			t.Errorf("CreateUser(team %q) stored team %q; want it trimmed", " East ", manu.Team)
		}
		if _, err := db.UserByID(ctx, 99); tandem.ErrorCode(err) != tandem.ENOTFOUND || tandem.ErrorMessage(err) != "no user with id 99" {
			t.Errorf("UserByID(99) = %v; want ENOTFOUND", err)
		}

		emails := func(us []tandem.User) []string {
			out := make([]string, len(us))
			for i, u := range us {
				out[i] = u.Email
			}
			return out
		}
		lists := []struct {
			name string
			get  func() ([]tandem.User, error)
			want []string
		}{
			{"Reports(sam)", func() ([]tandem.User, error) { return db.Reports(ctx, "sam@example.com") }, []string{"manu@example.com", "rio@example.com"}},
			{"Reports(manu)", func() ([]tandem.User, error) { return db.Reports(ctx, "Manu@example.com") }, []string{"rex@example.com"}},
			{"Reports(rex)", func() ([]tandem.User, error) { return db.Reports(ctx, "rex@example.com") }, []string{}},
			{"Team(East)", func() ([]tandem.User, error) { return db.Team(ctx, "East") }, []string{"manu@example.com", "rex@example.com"}},
			{"Team(Ost-Ω)", func() ([]tandem.User, error) { return db.Team(ctx, "Ost-Ω") }, []string{"rio@example.com"}},
			{"Users", func() ([]tandem.User, error) { return db.Users(ctx) }, []string{"manu@example.com", "rex@example.com", "rio@example.com", "sam@example.com"}},
		}
		for _, l := range lists {
			got, err := l.get()
			if err != nil {
				t.Errorf("%s = %v", l.name, err)
				continue
			}
			if diff := cmp.Diff(l.want, emails(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", l.name, diff)
			}
		}
		if _, err := db.Reports(ctx, "nobody@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("Reports(nobody) = %v; want ENOTFOUND", err)
		}
		if _, err := db.Team(ctx, "West"); tandem.ErrorCode(err) != tandem.ENOTFOUND || tandem.ErrorMessage(err) != `no team "West": nobody is in it` {
			t.Errorf("Team(West) = %v; want ENOTFOUND", err)
		}
		if _, err := db.Team(ctx, " "); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Team(\" \") = %v; want EINVALID", err)
		}

		// Absence toggles, and leaves everything else as it was.
		for _, away := range []bool{false, true, true, false} {
			got, err := db.UpdateUser(ctx, "rex@example.com", tandem.UserUpdate{Absent: ptr(away)})
			want := want
			want.Absent = away
			if err != nil || !cmp.Equal(want, got) {
				t.Errorf("UpdateUser(rex, absent %v) = %+v, %v; want %+v", away, got, err, want)
			}
			if stored, _ := db.UserByEmail(ctx, "rex@example.com"); stored.Absent != away {
				t.Errorf("after UpdateUser(rex, absent %v), UserByEmail(rex).Absent = %v", away, stored.Absent)
			}
		}

		// A change of several fields at once, which a later reader sees.
		clk.Advance(1)
		got, err := db.UpdateUser(ctx, "rex@example.com", tandem.UserUpdate{Team: ptr(" West "), Manager: ptr("SAM@example.com"), Absent: ptr(true)})
		want = tandem.User{ID: rex.ID, Email: "rex@example.com", Role: tandem.RoleSalesRep, Team: "West", ManagerID: sam.ID, Absent: true, Weight: 1, CreatedAt: epoch}
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("UpdateUser(rex: West, sam, absent) = %+v, %v; want %+v", got, err, want)
		}
		if stored, _ := db.UserByEmail(ctx, "rex@example.com"); !cmp.Equal(want, stored) {
			t.Errorf("UserByEmail(rex) after the update = %+v; want %+v", stored, want)
		}

		// Promoting manu to head needs his manager cleared in the same
		// change; demoting him to rep needs his reports moved first.
		if _, err := db.UpdateUser(ctx, "manu@example.com", tandem.UserUpdate{Role: ptr(tandem.RoleSalesHead), Manager: ptr("")}); err != nil {
			t.Errorf("UpdateUser(manu: sales_head, no manager) = %v", err)
		}
		if _, err := db.UpdateUser(ctx, "rio@example.com", tandem.UserUpdate{Manager: ptr("manu@example.com")}); err != nil {
			t.Errorf("UpdateUser(rio: manager manu) = %v", err)
		}
		if _, err := db.UpdateUser(ctx, "sam@example.com", tandem.UserUpdate{Role: ptr(tandem.RoleMarketingHead)}); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("UpdateUser(sam: marketing_head, still managing rex) = %v; want ECONFLICT", err)
		}
		if _, err := db.UpdateUser(ctx, "rex@example.com", tandem.UserUpdate{Manager: ptr("manu@example.com")}); err != nil {
			t.Errorf("UpdateUser(rex: manager manu) = %v", err)
		}
		got, err = db.UpdateUser(ctx, "sam@example.com", tandem.UserUpdate{Role: ptr(tandem.RoleSalesManager), Manager: ptr("manu@example.com")})
		if err != nil || got.Role != tandem.RoleSalesManager || got.ManagerID != manu.ID {
			t.Errorf("UpdateUser(sam: sales_manager under manu) = %+v, %v; want a sales_manager reporting to manu", got, err)
		}
		reports, err := db.Reports(ctx, "manu@example.com")
		if diff := cmp.Diff([]string{"rex@example.com", "rio@example.com", "sam@example.com"}, emails(reports)); err != nil || diff != "" {
			t.Errorf("Reports(manu) = %v (-want +got):\n%s", err, diff)
		}
		got, err = db.UpdateUser(ctx, "rio@example.com", tandem.UserUpdate{Team: ptr("")})
		if err != nil || got.Team != "" {
			t.Errorf("UpdateUser(rio: no team) = %+v, %v; want no team", got, err)
		}
	})
}

// TestMigrateTeams makes a database as version 1 left it, with users, and
// checks that opening it applies 00002 and keeps them.
func TestMigrateTeams(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		driver, dsn, dialect := "sqlite", b.DSN+"?_pragma=foreign_keys(1)", goose.DialectSQLite3
		if b.Name == "postgres" {
			driver, dsn, dialect = "pgx", b.DSN, goose.DialectPostgres
		}
		raw, err := sql.Open(driver, dsn)
		if err != nil {
			t.Fatalf("sql.Open: %v", err)
		}
		defer raw.Close()
		p, err := goose.NewProvider(dialect, raw, os.DirFS("migrations/"+b.Name))
		if err != nil {
			t.Fatalf("NewProvider: %v", err)
		}
		if _, err := p.UpTo(ctx, 1); err != nil {
			t.Fatalf("migrate to version 1: %v", err)
		}
		created := "2026-10-01T08:00:00.000000Z"
		for _, u := range [][2]string{{"ana@example.com", "admin"}, {"rex@example.com", "sales_rep"}} {
			if _, err := raw.ExecContext(ctx, `INSERT INTO users (email, name, role, created_at) VALUES ($1, $2, $3, $4)`,
				u[0], "Name of "+u[0], u[1], created); err != nil {
				t.Fatalf("ExecContext: %v", err)
			}
		}
		raw.Close()

		db, _ := open(t, b)
		raw, err = sql.Open(driver, dsn)
		if err != nil {
			t.Fatalf("sql.Open: %v", err)
		}
		defer raw.Close()
		var version int64
		if err := raw.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil || version < 2 {
			t.Errorf("after Open, the database is at version %d (%v); want 2 or later", version, err)
		}
		got, err := db.Users(ctx)
		if err != nil {
			t.Fatalf("Users: %v", err)
		}
		at, _ := tandem.ParseTime(created)
		want := []tandem.User{
			{ID: 1, Email: "ana@example.com", Name: "Name of ana@example.com", Role: tandem.RoleAdmin, Weight: 1, CreatedAt: at},
			{ID: 2, Email: "rex@example.com", Name: "Name of rex@example.com", Role: tandem.RoleSalesRep, Weight: 1, CreatedAt: at},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Users after the migration (-want +got):\n%s", diff)
		}
		// The old rows take the new fields like any other.
		if _, err := db.UpdateUser(ctx, "rex@example.com", tandem.UserUpdate{Team: ptr("East"), Absent: ptr(true)}); err != nil {
			t.Errorf("UpdateUser(migrated rex) = %v", err)
		}
	})
}
