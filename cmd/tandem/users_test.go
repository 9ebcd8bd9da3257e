package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func TestUserTeamsAndManagers(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			tests := []struct {
				args           []string
				code           int
				stdout, stderr string
			}{
				{[]string{"user", "add", "sam@example.com", "--role", "sales_head", "--name", "Sam Head", "--password", "correct horse battery"}, 0,
					"added user 1: sam@example.com (sales_head)\n", ""},
				{[]string{"user", "add", "manu@example.com", "--role", "sales_manager", "--team", "East", "--manager", "SAM@example.com", "--password", "correct horse battery"}, 0,
					"added user 2: manu@example.com (sales_manager, team East, reports to sam@example.com)\n", ""},
				{[]string{"user", "add", "rex@example.com", "--role", "sales_rep", "--team", "East", "--manager", "manu@example.com", "--password", "correct horse battery"}, 0,
					"added user 3: rex@example.com (sales_rep, team East, reports to manu@example.com)\n", ""},
				{[]string{"user", "add", "mia@example.com", "--role", "marketing_head", "--password", "correct horse battery"}, 0,
					"added user 4: mia@example.com (marketing_head)\n", ""},
				{[]string{"user", "add", "bo@example.com", "--role", "sales_rep", "--manager", "rex@example.com"}, 1,
					"", "tandem: manager: rex@example.com is a sales_rep, but a sales_rep's manager is a sales_manager or a sales_head\n"},
				{[]string{"user", "add", "bo@example.com", "--role", "marketing", "--manager", "sam@example.com"}, 1,
					"", "tandem: manager: sam@example.com is a sales_head, but a marketing's manager is a marketing_head\n"},
				{[]string{"user", "add", "eve@example.com", "--role", "executive", "--manager", "sam@example.com"}, 1,
					"", "tandem: manager: an executive has no manager\n"},
				{[]string{"user", "add", "bo@example.com", "--role", "sales_rep", "--manager", "nobody@example.com"}, 1,
					"", "tandem: manager: no user with email nobody@example.com\n"},
				{[]string{"user", "add", "bo@example.com", "--role", "sales_rep", "--team", "East\x00"}, 1,
					"", "tandem: team: contains a NUL byte\n"},

				{[]string{"user", "set", "rex@example.com", "--absent"}, 0,
					"updated rex@example.com: absent (was active)\n", ""},
				{[]string{"user", "set", "rex@example.com", "--absent"}, 0,
					"rex@example.com: nothing changed\n", ""},
				{[]string{"user", "set", "rex@example.com", "--team", "West", "--manager", "sam@example.com", "--present"}, 0,
					"updated rex@example.com: team West (was East), manager sam@example.com (was manu@example.com), active (was absent)\n", ""},
				{[]string{"user", "set", "rex@example.com", "--team", "", "--manager", ""}, 0,
					"updated rex@example.com: team none (was West), manager none (was sam@example.com)\n", ""},
				{[]string{"user", "set", "rex@example.com", "--manager", "manu@example.com"}, 0,
					"updated rex@example.com: manager manu@example.com (was none)\n", ""},
				{[]string{"user", "set", "sam@example.com", "--manager", "rex@example.com"}, 1,
					"", "tandem: manager: that would make a loop of managers: sam@example.com → rex@example.com → manu@example.com → sam@example.com\n"},
				{[]string{"user", "set", "manu@example.com", "--role", "sales_rep"}, 1,
					"", "tandem: manu@example.com cannot become a sales_rep while managing rex@example.com (sales_rep): give them another manager first\n"},
				{[]string{"user", "set", "manu@example.com", "--role", "marketing"}, 1,
					"", "tandem: manager: sam@example.com is a sales_head, but a marketing's manager is a marketing_head (manu@example.com reports to sam@example.com: change the manager with the role)\n"},
				{[]string{"user", "set", "rex@example.com", "--role", "sales_manager"}, 1,
					"", "tandem: manager: manu@example.com is a sales_manager, but a sales_manager's manager is a sales_head (rex@example.com reports to manu@example.com: change the manager with the role)\n"},
				{[]string{"user", "set", "rex@example.com", "--role", "sales_manager", "--manager", "sam@example.com"}, 0,
					"updated rex@example.com: manager sam@example.com (was manu@example.com), role sales_manager (was sales_rep)\n", ""},
				{[]string{"user", "set", "rex@example.com", "--role", "sales_rep", "--manager", "manu@example.com"}, 0,
					"updated rex@example.com: manager manu@example.com (was sam@example.com), role sales_rep (was sales_manager)\n", ""},
				{[]string{"user", "set", "nobody@example.com", "--absent"}, 1,
					"", "tandem: no user with email nobody@example.com\n"},
				{[]string{"user", "set", "rex@example.com", "--role", "boss"}, 1,
					"", `tandem: role: "boss" is not a role (want one of admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive)` + "\n"},

				// Usage errors change nothing and exit 2.
				{[]string{"user", "set", "rex@example.com", "--absent", "--present"}, 2,
					"", "tandem: --absent and --present cannot be given together\n"},
				{[]string{"user", "set", "rex@example.com"}, 2,
					"", "tandem: nothing to change: give --team, --manager, --role, --weight, --absent, --present, --password, --reset or --sign-out\n"},
				{[]string{"user", "set", "--absent"}, 2,
					"", "tandem: accepts 1 arg(s), received 0\n"},
				{[]string{"user", "set", "rex@example.com", "--boss", "sam@example.com"}, 2,
					"", "tandem: unknown flag: --boss\n"},

				{[]string{"user", "set", "sam@example.com", "--absent", "--team", "Leadership"}, 0,
					"updated sam@example.com: team Leadership (was none), absent (was active)\n", ""},
				{[]string{"user", "list"}, 0, "" +
					"ID  EMAIL             NAME      ROLE            TEAM        MANAGER           STATUS\n" +
					"2   manu@example.com            sales_manager   East        sam@example.com   active\n" +
					"4   mia@example.com             marketing_head                                active\n" +
					"3   rex@example.com             sales_rep                   manu@example.com  active\n" +
					"1   sam@example.com   Sam Head  sales_head      Leadership                    absent\n", ""},
			}
			for _, tt := range tests {
				run(tt.args...).want(t, strings.Join(tt.args, " "), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestUserPasswords(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewFake(epoch)
			run := func(args ...string) result { return tandemCmd(t, clk, b.DSN, args...) }
			ctx := context.Background()

			// Without --password, one is made and printed once.
			r := run("user", "add", "ada@example.com", "--role", "admin")
			lines := strings.Split(r.stdout, "\n")
			if r.code != 0 || len(lines) != 3 || lines[0] != "added user 1: ada@example.com (admin)" || !strings.HasPrefix(lines[1], "password: ") {
				t.Fatalf("user add without --password: exit %d, stdout %q; want the user and a password line", r.code, r.stdout)
			}
			generated := strings.TrimPrefix(lines[1], "password: ")
			if !strings.Contains(r.stderr, "only this once") {
				t.Errorf("user add: stderr %q does not say the password is shown once", r.stderr)
			}
			checkPassword := func(email, pw string, want bool) {
				t.Helper()
				db := openDB(t, b.DSN)
				defer db.Close()
				_, hash, err := db.UserPassword(ctx, email)
				if err != nil {
					t.Fatalf("UserPassword: %v", err)
				}
				if got, err := password.Verify(hash, pw); got != want || err != nil {
					t.Errorf("the stored hash of %s matches %q: %v, %v; want %v", email, pw, got, err, want)
				}
			}
			checkPassword("ada@example.com", generated, true)

			run("user", "add", "bo@example.com", "--role", "sales_rep", "--password", "short").want(t, "user add --password short", 1,
				"", "tandem: password: the password must be at least 12 characters long (it has 5)\n")
			run("user", "add", "bo@example.com", "--role", "sales_rep", "--password", "Password1234!").want(t, "user add --password Password1234!", 1,
				"", "tandem: password: the password is one of the most common passwords (or one with digits or symbols around it): choose another\n")
			run("user", "add", "bobby.tables@example.com", "--role", "sales_rep", "--password", "bobbytables2026").want(t, "user add --password NAME2026", 1,
				"", "tandem: password: the password must not contain the user's email address or its name before @ (bobbytables)\n")
			run("user", "add", "bo@example.com", "--role", "sales_rep", "--password", "bo's long password").want(t, "user add --password", 0,
				"added user 2: bo@example.com (sales_rep)\n", "")
			checkPassword("bo@example.com", "bo's long password", true)

			// A session, then an admin's reset: the session ends.
			db := openDB(t, b.DSN)
			_, secret, err := db.CreateSession(ctx, 2)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			r = run("user", "set", "bo@example.com", "--reset")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "updated bo@example.com: new password (signed out everywhere)\npassword: ") {
				t.Fatalf("user set --reset: exit %d, stdout %q", r.code, r.stdout)
			}
			reset := strings.TrimSpace(strings.TrimPrefix(strings.Split(r.stdout, "\n")[1], "password: "))
			checkPassword("bo@example.com", reset, true)
			checkPassword("bo@example.com", "bo's long password", false)
			db = openDB(t, b.DSN)
			if _, _, err := db.Session(ctx, secret); tandem.ErrorCode(err) != tandem.EUNAUTHORIZED {
				t.Errorf("a session after the reset = %v; want EUNAUTHORIZED", err)
			}
			_, secret, _ = db.CreateSession(ctx, 2)
			db.Close()

			run("user", "set", "bo@example.com", "--password", "another long one", "--team", "East").want(t, "user set --password", 0,
				"updated bo@example.com: team East (was none), new password (signed out everywhere)\n", "")
			checkPassword("bo@example.com", "another long one", true)
			run("user", "set", "bo@example.com", "--sign-out").want(t, "user set --sign-out", 0,
				"updated bo@example.com: signed out everywhere (0 sessions ended)\n", "")
			run("user", "set", "bo@example.com", "--password", "x", "--reset").want(t, "user set --password --reset", 2,
				"", "tandem: --password and --reset cannot be given together\n")
			run("user", "set", "bo@example.com", "--password", "x").want(t, "user set --password x", 1,
				"", "tandem: password: the password must be at least 12 characters long (it has 1)\n")
			run("user", "set", "bo@example.com", "--password", "BO@EXAMPLE.COM rules").want(t, "user set --password EMAIL", 1,
				"", "tandem: password: the password must not contain the user's email address or its name before @ (bo@example.com)\n")
			run("user", "set", "bo@example.com", "--password", "qwertyuiop123").want(t, "user set --password qwertyuiop123", 1,
				"", "tandem: password: the password is a run of keys, letters or digits in order, or repeats a few characters: choose another\n")
			run("user", "set", "nobody@example.com", "--reset").want(t, "user set nobody --reset", 1,
				"", "tandem: no user with email nobody@example.com\n")
		})
	}
}
