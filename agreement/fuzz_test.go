package agreement

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func FuzzParse(f *testing.F) {
	f.Add(Default())
	f.Add([]byte(minimal))
	for _, name := range []string{"testdata/broken.yaml", "testdata/diff_old.yaml", "testdata/diff_new.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatalf("os.ReadFile: %v", err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("format: 1\nname: [x\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("stages:\n  - {name: a, definition: x, entry: 'score >'}\n  - {name: b, definition: y, exit: true}\n"))
	for _, small := range []string{
		"format: 1\nname: x\n",
		"business_hours: {time_zone: UTC, days: [mon, sun], open: '08:00', close: '24:00', holidays: DE, closed_dates: [2026-01-01]}\n",
		"sales: {first_touch_within: 1d2h, accept_within: 90m, cadence: [{channel: call, offset: 0m, template: x}, {channel: email, offset: 1d, template: y}]}\n",
		"marketing: {qualified_leads_per_month: 10, qualified_leads_by_segment: {a: 4, b: 6}, min_acceptance_rate: 0.5}\n",
		"escalation: [{after: 0m, notify: sales_rep}, {after: 1h, notify: admin}]\nrouting: {method: by_field, field: attributes.region, capacity: 3}\n",
		"funnel: {average_deal_size: history, close_rate: 0.3, conversion: {a_to_b: 0.5}, tolerance: 0.1}\ngoal: {period: year, revenue: 1e6, marketing_share: 1, unified_kpi: revenue}\n",
		"stages: [{name: a, definition: x, moves_to: [b]}, {name: b, definition: y, entry: 'score > 1', final: true}, {name: c, definition: z, exit: true}]\n",
	} {
		f.Add([]byte(small))
	}
	f.Add([]byte(strings.Replace(minimal, "score >= 60", "|\n      score >=\n      60 and foo", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse("fuzz.yaml", data)
		if err == nil {
			if a == nil {
				t.Fatalf("Parse(%q) = nil, nil", data)
			}
			// An agreement that parses compiles to a lifecycle that works.
			lc := a.Lifecycle(1)
			l := tandem.Lead{Stage: lc.Initial(), Score: 70, Email: "a@example.com"}
			for range 32 {
				to, _, ok, _ := lc.Advance(&l)
				if !ok {
					break
				}
				if !lc.HasStage(to) {
					t.Fatalf("Advance(%+v) = %q, a stage the lifecycle does not have", l, to)
				}
				l.Stage = to
			}
			for _, from := range a.Stages {
				for _, to := range a.Stages {
					lc.CanMove(from.Name, to.Name)
				}
			}
			Diff(a, a)
			return
		}
		var ps *Problems
		if !errors.As(err, &ps) {
			t.Fatalf("Parse(%q) = %T %v; want *Problems", data, err, err)
		}
		if len(ps.List) == 0 {
			t.Fatalf("Parse(%q) = empty *Problems", data)
		}
		for _, p := range ps.List {
			if p.Line < 1 || p.Col < 0 || p.Message == "" {
				t.Errorf("Parse(%q) has problem %+v; want Line >= 1, Col >= 0 and a message", data, p)
			}
		}
	})
}

func FuzzCompileRule(f *testing.F) {
	for _, s := range []string{
		`score >= 60 and email != ""`,
		`country in ["US", "CA"]`,
		`attributes["industry"] == "software"`,
		`created_at > date("2026-01-01")`,
		`lower(title) contains "head"`,
		`score >=`,
		`len(1..100000000) > 0`,
		`100 % (score - 70) == 0`,
		`email matches "("`,
		`let x = score; x > 1`,
	} {
		f.Add(s)
	}
	lead := &tandem.Lead{
		Source: "api", Email: "ada@example.com", Country: "US", Score: 70, OwnerID: 3, Stage: "lead",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Attributes: map[string]string{"industry": "software"},
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := CompileRule(src)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("CompileRule(%q) = %T %v; want a *RuleError", src, err, err)
			}
			return
		}
		r.Eval(lead)
		r.Eval(&tandem.Lead{})
	})
}
