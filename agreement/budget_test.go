package agreement

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

// badRule is the rule of issue 11: a billion turns of a loop, which took 8 s
// and 585 MB for one lead before rules had a budget.
const badRule = `let a = 1..999; all(a, all(a, all(a, true)))`

// TestRuleBudget runs rules that cost more than a sentence about a lead
// should: each stops at the limit it runs over, with a *BudgetError, having
// allocated little; rules within their budget give their answer.
func TestRuleBudget(t *testing.T) {
	lead := &tandem.Lead{Email: "ada@example.com", Title: "VP Sales and Marketing", Score: 70,
		Attributes: map[string]string{"industry": "software"}}
	doubling := "let s0 = title"
	for i := 1; i <= 40; i++ {
		doubling += "; let s" + strconv.Itoa(i) + " = s" + strconv.Itoa(i-1) + " + s" + strconv.Itoa(i-1)
	}
	doubling += "; len(s40) > 0"
	tests := []struct {
		name, src string
		limit     string // "" for a rule within budget
		want      bool
	}{
		{"the bad rule of issue 11", badRule, limitSteps, false},
		{"a loop of a million turns", `let a = 1..999; count(a, count(a, true) > 0) > 0`, limitSteps, false},
		{"a loop making lists", `count(1..999, len(1..999) > 0) > 0`, limitItems, false},
		{"a list of a million items", `len(1..1000000) > 0`, limitItems, false},
		{"text doubled forty times", doubling, limitBytes, false},
		{"repeat of a gigabyte", `len(repeat(title, 999999)) > 0`, limitBytes, false},
		{"replace that multiplies", `len(replace(replace(replace(title, "", title), "", title), "", title)) > 0`, limitBytes, false},
		{"join with a long glue", `len(join(split(repeat("a", 5000), ""), repeat(title, 100))) > 0`, limitBytes, false},
		{"accumulator that doubles", `reduce(1..100, #acc + #acc, title) != ""`, limitBytes, false},
		{"nested maps that double", `len(` + strings.Repeat("map(", 30) + `[title]` + strings.Repeat(", # + #)", 30) + `) > 0`, limitBytes, false},
		{"matches on built text", `repeat(title, 10000) matches repeat("(a|b)", 1000)`, limitMatch, false},
		{"matches with a long pattern", `join(map(1..700, title), "") matches "` + strings.Repeat("a?", 900) + `"`, limitMatch, false},
		// Within budget: the answer as before.
		{"a typical rule", `score >= 60 and email != ""`, "", true},
		{"a loop over a short list", `any(["vp", "head"], {lower(title) contains #})`, "", true},
		{"a loop over words", `count(split(title, " "), len(#) > 2) == 3`, "", true},
		{"a thousand turns", `all(1..999, # > 0)`, "", true},
		{"repeat within budget", `len(repeat("ab", 100)) == 200`, "", true},
		{"replace within budget", `replace(title, " ", "") == "VPSalesandMarketing"`, "", true},
		{"join within budget", `join(split(title, " "), "-") == "VP-Sales-and-Marketing"`, "", true},
		{"matches a built pattern", `email matches ("@" + "example")`, "", true},
		{"matches nothing on nil", `attributes["none"] matches "x"`, "", false},
	}
	for _, tt := range tests {
		r, err := CompileRule(tt.src)
		if err != nil {
			t.Errorf("%s: CompileRule(%q) = %v; want no error", tt.name, tt.src, err)
			continue
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := r.Eval(lead)
		runtime.ReadMemStats(&after)
		var be *BudgetError
		switch {
		case tt.limit == "" && (err != nil || got != tt.want):
			t.Errorf("%s: Eval(lead) = %v, %v; want %v, nil", tt.name, got, err, tt.want)
		case tt.limit != "" && (!errors.As(err, &be) || !stoppedBy(be.Limit, tt.limit) || be.Rule != r):
			t.Errorf("%s: Eval(lead) = %v, %v; want a *BudgetError: %s", tt.name, got, err, tt.limit)
		}
		// Bounded memory: a rule stops before it allocates much more than
		// its budget of bytes and items.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s: Eval(lead) allocated %d MiB; want at most 8", tt.name, alloc>>20)
		}
	}
}

// stoppedBy reports whether a rule stopped by want: a rule of many steps
// may stop by time first on a slow machine (under the race detector), which
// is its budget too.
func stoppedBy(limit, want string) bool {
	return limit == want || want == limitSteps && limit == limitTime
}

// TestRuleParts checks the compile-time limit: a rule of more than
// MaxRuleNodes parts is refused, one within it compiles.
func TestRuleParts(t *testing.T) {
	long := strings.Repeat("score > 0 or ", 120) + "true" // 4 parts a clause (score, 0, >, or): 481 in all
	if _, err := CompileRule(long); err != nil {
		t.Errorf("CompileRule(120 clauses) = %v; want no error", err)
	}
	tooLong := strings.Repeat("score>0 or ", 180) + "true"
	_, err := CompileRule(tooLong)
	want := "the rule has more than 500 parts (names, values, operators and calls): a rule is a sentence about a lead, not a program"
	var re *RuleError
	if !errors.As(err, &re) || re.Message != want {
		t.Errorf("CompileRule(180 clauses) = %v; want %q", err, want)
	}
}

// TestRuleBudgetSteps checks that the bad rule stops at its step limit, not
// later: a step is a turn of a loop.
func TestRuleBudgetSteps(t *testing.T) {
	r, err := CompileRule(badRule)
	if err != nil {
		t.Fatalf("CompileRule: %v", err)
	}
	_, spent, err := r.eval(&tandem.Lead{})
	var be *BudgetError
	switch {
	case !errors.As(err, &be) || !stoppedBy(be.Limit, limitSteps):
		t.Errorf("eval(%q) = %v; want a *BudgetError: %s", badRule, err, limitSteps)
	case be.Limit == limitSteps && spent.steps != MaxRuleSteps+1, spent.steps > MaxRuleSteps+1:
		t.Errorf("eval(%q) spent %d steps (%s); want it stopped at step %d", badRule, spent.steps, be.Limit, MaxRuleSteps+1)
	}
}

// TestDefaultRulesWithinBudget checks that the default agreement's rules
// run on every sample lead far within their budget, and give the answers
// they gave before rules had one.
func TestDefaultRulesWithinBudget(t *testing.T) {
	a := defaultAgreement(t)
	if err := a.CheckRules("default.yaml"); err != nil {
		t.Errorf("CheckRules(default.yaml) = %v; want nil", err)
	}
	rules := []*Rule{a.Marketing.salesSourced, defaultSalesSourced()}
	for _, s := range a.Stages {
		if s.rule != nil {
			rules = append(rules, s.rule)
		}
	}
	if len(rules) < 3 {
		t.Fatalf("the default agreement has %d rules; want its mql rule and sales_sourced", len(rules))
	}
	for _, r := range rules {
		for _, s := range sampleLeads() {
			_, spent, err := r.eval(&s.lead)
			if err != nil || spent.steps > 10 || spent.bytes > 1<<10 {
				t.Errorf("Rule(%q) on %s: %d steps, %d bytes, %v; want at most 10 steps, 1 KiB and no error", r, s.name, spent.steps, spent.bytes, err)
			}
		}
	}
	mql := defaultAgreement(t).Lifecycle(1)
	for _, tt := range []struct {
		lead tandem.Lead
		to   string
	}{
		{tandem.Lead{Stage: "lead", Score: 60, Email: "a@example.com"}, "mql"},
		{tandem.Lead{Stage: "lead", Score: 59, Email: "a@example.com"}, ""},
	} {
		if to, _, _, err := mql.Advance(&tt.lead); to != tt.to || err != nil {
			t.Errorf("Advance(%+v) = %q, %v; want %q, nil", tt.lead, to, err, tt.to)
		}
	}
}

// badAgreement is the minimal agreement with the bad rule as mql's entry
// rule, on line 9, column 12.
func badAgreement(t *testing.T) *Agreement {
	t.Helper()
	file := strings.Replace(minimal, "entry: score >= 60", "entry: "+badRule, 1)
	a, err := Parse("m.yaml", []byte(file))
	if err != nil {
		t.Fatalf("Parse(minimal with the bad rule) = %v; want no error: it compiles", err)
	}
	return a
}

func TestCheckRules(t *testing.T) {
	err := badAgreement(t).CheckRules("m.yaml")
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 1 {
		t.Fatalf("CheckRules(bad rule) = %v; want one problem", err)
	}
	want := "m.yaml:9:12: stages[2].entry: the rule is too costly: on a typical lead " + limitSteps
	if got := ps.Error(); !strings.HasPrefix(got, want) && !strings.HasPrefix(got, strings.Replace(want, limitSteps, limitTime, 1)) {
		t.Errorf("CheckRules(bad rule) = %q; want it to start %q", got, want)
	}
	if tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("ErrorCode(CheckRules(bad rule)) = %v; want EINVALID", tandem.ErrorCode(err))
	}

	// A rule within its budget, but not within a tenth of it on the
	// longest lead, is refused too; sales_sourced is checked like entry.
	file := strings.Replace(minimal, "entry: score >= 60", `entry: 'count(split(title, ""), # == "é") > 2'`, 1)
	file = strings.Replace(file, "marketing:\n", "marketing:\n  sales_sourced: 'all(1..2000, # > 0)'\n", 1)
	a, err := Parse("m.yaml", []byte(file))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	err = a.CheckRules("m.yaml")
	var got []string
	if errors.As(err, &ps) {
		for _, p := range ps.List {
			msg := p.Message[:strings.Index(p.Message, ";")]
			// On a slow machine (the race detector) a rule may stop by
			// time first: its budget too.
			if i := strings.Index(msg, " it ran for more than "); i >= 0 {
				msg = msg[:i] + " it took too long"
			}
			got = append(got, msg)
		}
	}
	wantMsgs := []string{
		"stages[2].entry: the rule is too costly: on a lead with every field at its longest it took 1002 steps", // a thousand turns, split and count
		"marketing.sales_sourced: the rule is too costly: on a typical lead it took 2001 steps",
	}
	slow := func(msg string) string { return msg[:strings.Index(msg, " it took ")] + " it took too long" }
	if diff := cmp.Diff(wantMsgs, got); diff != "" && cmp.Diff([]string{wantMsgs[0], slow(wantMsgs[1])}, got) != "" &&
		cmp.Diff([]string{slow(wantMsgs[0]), slow(wantMsgs[1])}, got) != "" && cmp.Diff([]string{slow(wantMsgs[0]), wantMsgs[1]}, got) != "" {
		t.Errorf("CheckRules problems (-want +got):\n%s", diff)
	}
}

// TestIntakeOverBudget runs intake under the bad rule: the lead is refused
// with an error naming the stage, the rule's key and its line, and nothing
// else changes; a batch whose rules used up their time refuses the leads a
// rule would decide, asking to send them again.
func TestIntakeOverBudget(t *testing.T) {
	lc := Batch(badAgreement(t).Lifecycle(3))
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	in := tandem.LeadInput{Fields: map[string]string{"email": "ada@example.com", "external_id": "x1"}}
	_, err := tandem.Intake(nil, in, lc, "api", "import:x.csv", now)
	want := "stage: the entry rule of mql (stages[2].entry, line 9 of m.yaml) stopped on this lead: "
	if msg := tandem.ErrorMessage(err); tandem.ErrorCode(err) != tandem.EINVALID ||
		!strings.HasPrefix(msg, want+limitSteps) && !strings.HasPrefix(msg, want+limitTime) {
		t.Errorf("Intake(bad rule) = %v; want EINVALID starting %q", err, want+limitSteps)
	}
	// A lead no rule decides goes in.
	in = tandem.LeadInput{Fields: map[string]string{"email": "bo@example.com", "external_id": "x2", "stage": "sal"}}
	if ch, err := tandem.Intake(nil, in, lc, "api", "import:x.csv", now); err != nil || ch.Lead.Stage != "sal" {
		t.Errorf("Intake(stage sal) = %v, %v; want the lead in sal", ch.Lead.Stage, err)
	}
	// The batch's time used up: the next lead is refused without running
	// the rule, and may be sent again.
	*lc.(*lifecycle).batch = MaxBatchRuleTime + time.Nanosecond
	_, err = tandem.Intake(nil, tandem.LeadInput{Fields: map[string]string{"email": "cy@example.com"}}, lc, "api", "import:x.csv", now)
	want = "stage: the entry rule of mql (stages[2].entry, line 9 of m.yaml) was not run on this lead: the rules of its batch used up their 250ms; send the lead again"
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.HasPrefix(tandem.ErrorMessage(err), want) {
		t.Errorf("Intake(batch used up) = %v; want EINVALID starting %q", err, want)
	}
	// Each batch has its own budget.
	if _, _, _, err := Batch(badAgreement(t).Lifecycle(3)).Advance(&tandem.Lead{Stage: "lead"}); err == nil || strings.Contains(err.Error(), "not run") {
		t.Errorf("Advance in a new batch = %v; want the rule run, and stopped", err)
	}
}

// BenchmarkRuleOverBudget is what one lead costs under the bad rule of
// issue 11: it stops at its step limit.
func BenchmarkRuleOverBudget(b *testing.B) {
	r, err := CompileRule(badRule)
	if err != nil {
		b.Fatalf("CompileRule: %v", err)
	}
	l := &tandem.Lead{Score: 70}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Eval(l); err == nil {
			b.Fatal("no error")
		}
	}
}

// FuzzRule compiles and runs any rule on the sample leads: a rule that
// compiles as written compiles with its meter too, and every evaluation
// ends with an answer, an error or a *BudgetError, within its step budget.
func FuzzRule(f *testing.F) {
	for _, src := range []string{
		badRule, `score >= 60 and email != ""`, `any(["vp", "head"], {lower(title) contains #})`,
		`len(repeat(title, 999999)) > 0`, `replace(title, "", title) != ""`, `join(split(title, ""), "-") != ""`,
		`reduce(1..100, #acc + #acc, "x") != ""`, `title matches email`, `email matches "@x\\.com$"`,
		`count(keys(attributes), # startsWith "a") > 0`, `created_at.Year() > 2000`, `$env.score > 1`,
		`let s = title + title; len(s) > 3`, `sortBy(split(title, " "), len(#))[0] != ""`, `len(toJSON(attributes)) > 2`,
		`groupBy(1..100, # % 3)[1] != nil`, `find(1..10, # > 5) == 6`, `(score > 1 ? title : email) != ""`,
	} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := CompileRule(src)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) || strings.Contains(re.Message, "with its budget") {
				t.Fatalf("CompileRule(%q) = %v; want a *RuleError about the rule as written", src, err)
			}
			return
		}
		// The rule without its meter, to compare answers with.
		plain, err := expr.Compile(r.src, ruleOptions(MaxRuleNodes)...)
		if err != nil {
			t.Fatalf("expr.Compile(%q) = %v, but CompileRule compiled it", src, err)
		}
		for _, s := range sampleLeads() {
			got, spent, err := r.eval(&s.lead)
			if spent.steps > MaxRuleSteps+1 || spent.bytes > MaxRuleBytes+MaxRuleBytes {
				t.Fatalf("Rule(%q) on %s spent %d steps, %d bytes; want within its budget", src, s.name, spent.steps, spent.bytes)
			}
			var be *BudgetError
			if errors.As(err, &be) {
				continue
			}
			// Within its budget, the meter changes nothing: the same
			// answer, or an error both ways.
			env := runEnv{}
			env.set(&s.lead)
			out, perr := vm.Run(plain, &env)
			if (err != nil) != (perr != nil) || err == nil && out != got {
				t.Fatalf("Rule(%q) on %s = %v, %v; without its meter %v, %v", src, s.name, got, err, out, perr)
			}
		}
	})
}
