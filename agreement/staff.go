package agreement

import (
	"fmt"

	"github.com/tandemhq/tandem"
)

// position is where a value is written in the file; zero when the agreement
// was not parsed.
type position struct{ line, col int }

// staffPositions records, during Parse, where the keys that need people are
// written, so that a problem found later against the users still points at
// its line and column.
type staffPositions struct {
	cadence position   // the sales.cadence key
	notify  []position // each escalation step's notify value, by step
}

// CheckStaff checks the agreement against the people who would work it:
// held counts the users of each role. Every escalation step needs a user
// with the role it notifies (a sales_rep step notifies the lead's owner, so
// it needs a sales_rep), and the cadence is worked by sales reps, so it needs
// at least one. CheckStaff returns nil, or a *Problems naming each missing
// role at the line and column of the key that needs it (line 1, column 0 for
// an agreement that Parse did not read). file names the file in the
// problems, as for [Parse].
func (a *Agreement) CheckStaff(file string, held map[tandem.Role]int) error {
	var list []Problem
	add := func(at position, format string, args ...any) {
		list = append(list, Problem{Line: max(at.line, 1), Col: max(at.col, 0), Message: fmt.Sprintf(format, args...)})
	}
	if len(a.Sales.Cadence) > 0 && held[tandem.RoleSalesRep] == 0 {
		add(a.at.cadence, "sales.cadence: sales reps work the cadence, and no user holds the role %s: add one with tandem user add EMAIL --role %[1]s",
			tandem.RoleSalesRep)
	}
	for i, e := range a.Escalation {
		if held[e.Notify] > 0 {
			continue
		}
		var at position
		if i < len(a.at.notify) {
			at = a.at.notify[i]
		}
		owner := ""
		if e.Notify == tandem.RoleSalesRep {
			owner = " (the lead's owner)"
		}
		add(at, "%s: no user holds the role %s%s: add one with tandem user add EMAIL --role %[2]s, or notify another role",
			join(item("escalation", i), "notify"), e.Notify, owner)
	}
	if len(list) == 0 {
		return nil
	}
	ps := &Problems{File: file, List: list}
	ps.sort()
	return ps
}
