package agreement

import (
	"errors"
	"strings"
	"testing"
)

// TestCheckContent: a cadence step whose template is not live content is a
// problem at the template's line, naming the step; all live is no problem.
func TestCheckContent(t *testing.T) {
	body := Default()
	a, err := Parse("a.yaml", body)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, s := range append(append([]Step{}, a.Sales.Cadence...), a.Sales.ConnectedCadence...) {
		live[s.Template] = true
	}
	if err := a.CheckContent("a.yaml", live); err != nil {
		t.Errorf("CheckContent(all live) = %v", err)
	}
	delete(live, "day-1-call")
	// The line of the step that names it, and its place in the cadence (counted from 1, as problems count),
	// found in the file's text.
	line, step := 0, -1
	for i, l := range strings.Split(string(body), "\n") {
		if strings.Contains(l, "- channel:") && line == 0 {
			step++
		}
		if strings.TrimSpace(l) == "template: day-1-call" {
			line = i + 1
		}
	}
	err = a.CheckContent("a.yaml", live)
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 1 {
		t.Fatalf("CheckContent(day-1-call not live) = %v; want one problem", err)
	}
	p := ps.List[0]
	if p.Line != line || !strings.Contains(p.Message, `"day-1-call" is not live content`) || !strings.Contains(p.Message, "sales.cadence[") {
		t.Errorf("problem = %+v; want line %d naming the step (sales.cadence[%d]) and the code", p, line, step+1)
	}
	if !strings.Contains(p.Message, "sales.cadence["+itoa(step+1)+"].template") {
		t.Errorf("problem = %q; want it to name sales.cadence[%d].template", p.Message, step+1)
	}
	// An agreement built in code is checked without positions.
	b := &Agreement{Sales: Sales{Cadence: []Step{{Template: "x"}}, ConnectedCadence: []Step{{Template: "y"}}}}
	err = b.CheckContent("", map[string]bool{"x": true})
	if !errors.As(err, &ps) || len(ps.List) != 1 || !strings.Contains(ps.List[0].Message, "sales.connected_cadence[1].template") {
		t.Errorf("CheckContent(built) = %v", err)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
