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
	// templates are the cadence steps' templates, in file order.
	templates []templateAt
}

// templateAt is where a cadence step names its template.
type templateAt struct {
	path string // sales.cadence[2].template
	code string
	at   position
}

// CheckContent checks the cadence steps' templates against the content
// library: live holds the codes of live content. A step naming a code that
// is not live content is a problem at its template, naming the step.
// CheckContent returns nil or a *Problems. An agreement that Parse did not
// read is checked step by step without positions.
func (a *Agreement) CheckContent(file string, live map[string]bool) error {
	steps := a.at.templates
	if steps == nil {
		for _, c := range []struct {
			path  string
			steps []Step
		}{{"sales.cadence", a.Sales.Cadence}, {"sales.connected_cadence", a.Sales.ConnectedCadence}} {
			for i, s := range c.steps {
				steps = append(steps, templateAt{path: item(c.path, i) + ".template", code: s.Template})
			}
		}
	}
	var list []Problem
	for _, s := range steps {
		if s.code == "" || live[s.code] {
			continue
		}
		list = append(list, Problem{Line: max(s.at.line, 1), Col: max(s.at.col, 0),
			Message: fmt.Sprintf("%s: %q is not live content: add it to the content library (/content) and make it live, or name a live item", s.path, s.code)})
	}
	if len(list) == 0 {
		return nil
	}
	ps := &Problems{File: file, List: list}
	ps.sort()
	return ps
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
