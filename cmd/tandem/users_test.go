package main

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem/clock"
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
				{[]string{"user", "add", "sam@example.com", "--role", "sales_head", "--name", "Sam Head"}, 0,
					"added user 1: sam@example.com (sales_head)\n", ""},
				{[]string{"user", "add", "manu@example.com", "--role", "sales_manager", "--team", "East", "--manager", "SAM@example.com"}, 0,
					"added user 2: manu@example.com (sales_manager, team East, reports to sam@example.com)\n", ""},
				{[]string{"user", "add", "rex@example.com", "--role", "sales_rep", "--team", "East", "--manager", "manu@example.com"}, 0,
					"added user 3: rex@example.com (sales_rep, team East, reports to manu@example.com)\n", ""},
				{[]string{"user", "add", "mia@example.com", "--role", "marketing_head"}, 0,
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
					"", "tandem: nothing to change: give --team, --manager, --role, --weight, --absent or --present\n"},
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
