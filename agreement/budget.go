package agreement

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/tandemhq/tandem"
)

// The budget of one evaluation of a rule. A rule is a sentence about a lead:
// the rules of the default agreement take a few steps, a few hundred bytes
// and well under a microsecond (BenchmarkRuleEval), so each limit leaves
// them a margin of a thousand or more, while a rule written as a program (a
// loop inside a loop inside a loop) stops within a few milliseconds.
const (
	// MaxRuleNodes caps the parts of a rule (names, values, operators,
	// calls), at compile time.
	MaxRuleNodes = 500
	// MaxRuleSteps caps the steps of one evaluation: each call, and each
	// turn of a loop (all, any, filter, map, ...), is a step.
	MaxRuleSteps = 10_000
	// MaxRuleBytes caps what one evaluation builds: the bytes of every text
	// it makes, and 16 bytes per item of every list or map.
	MaxRuleBytes = 256 << 10
	// MaxRuleItems caps the list and map items one evaluation makes
	// (1..100 makes 100), by expr's own memory budget.
	MaxRuleItems = 10_000
	// MaxRuleTime caps the time of one evaluation: a safety net under the
	// limits above, which alone decide a rule's answer on a healthy machine.
	MaxRuleTime = 50 * time.Millisecond
	// MaxBatchRuleTime caps the time the rules of one batch of leads take
	// in all, inside its write transaction: once it is used up, the batch's
	// remaining leads that a rule would decide are refused, to be sent
	// again, so that no rule holds the write lock for longer.
	MaxBatchRuleTime = 250 * time.Millisecond
	// maxMatchCost caps len(text) times len(pattern) of one matches.
	maxMatchCost = 1 << 24
)

// Limits a rule can run over, as [BudgetError] names them.
var (
	limitSteps = fmt.Sprintf("it took more than %d steps (each call and each turn of a loop is a step)", MaxRuleSteps)
	limitBytes = fmt.Sprintf("it built more than %d KiB of text and lists", MaxRuleBytes>>10)
	limitItems = fmt.Sprintf("it made more than %d list items", MaxRuleItems)
	limitTime  = fmt.Sprintf("it ran for more than %v", MaxRuleTime)
	limitMatch = fmt.Sprintf("a matches would compare more than %d characters of text times pattern", maxMatchCost)
)

// BudgetError is a rule that ran over its budget on a lead: it stopped
// without an answer. Callers that decide stages refuse the lead with it
// rather than read it as "does not hold", since the rule's author did not
// mean the lead to stay where it is.
type BudgetError struct {
	Rule  *Rule
	Stage string // the stage whose entry rule it is, if it is one
	Limit string // what it ran over, in words
	// Batch is set when the rule did not run at all: the rules of the
	// lead's batch had used up [MaxBatchRuleTime]. Sending the lead again
	// may succeed.
	Batch bool
}

func (e *BudgetError) Error() string {
	what := "the rule"
	if e.Stage != "" {
		what = "the entry rule of " + e.Stage
	}
	if e.Rule != nil && e.Rule.at.Path != "" {
		what += " (" + e.Rule.at.String() + ")"
	}
	if e.Batch {
		return fmt.Sprintf("%s was not run on this lead: the rules of its batch used up their %v; send the lead again, in a smaller batch", what, MaxBatchRuleTime)
	}
	return fmt.Sprintf("%s stopped on this lead: %s; a rule may take %d steps, build %d KiB and run %v (see Rule budgets in docs/agreement.md)",
		what, e.Limit, MaxRuleSteps, MaxRuleBytes>>10, MaxRuleTime)
}

// meter counts what one evaluation spends.
type meter struct {
	steps, bytes int
	start        time.Time
}

func (m *meter) step() {
	m.steps++
	if m.steps > MaxRuleSteps {
		panic(&BudgetError{Limit: limitSteps})
	}
	if m.steps%16 == 0 && time.Since(m.start) > MaxRuleTime {
		panic(&BudgetError{Limit: limitTime})
	}
}

func (m *meter) grow(n int) {
	m.bytes += n
	if m.bytes > MaxRuleBytes || n < 0 {
		panic(&BudgetError{Limit: limitBytes})
	}
}

// size is what a value a rule built counts against [MaxRuleBytes]. The
// items of a list were counted when they were built.
func size(v any) int {
	switch v := v.(type) {
	case string:
		return len(v)
	case []any:
		return 16 * len(v)
	case []string:
		return 16 * len(v)
	case []int:
		return 16 * len(v)
	case []float64:
		return 16 * len(v)
	case map[string]any:
		return 16 * len(v)
	case nil, bool, int, float64, time.Time, time.Duration:
		return 0
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.String:
		return rv.Len()
	case reflect.Slice, reflect.Array, reflect.Map:
		return 16 * rv.Len()
	}
	return 0
}

func meterOf(arg any) *meter {
	return &arg.(*runEnv).meter
}

// The calls CompileRule adds to a rule. Their names cannot be written in a
// rule (an expr name holds no ':'), so a rule cannot call them itself.
const (
	callStep    = "rule:step"
	callValue   = "rule:value"
	callAny     = "rule:any"
	callMatch   = "rule:match"
	callRepeat  = "rule:repeat"
	callReplace = "rule:replace"
	callJoin    = "rule:join"
)

// meterFunctions are the calls above. rule:value passes a value through,
// counting it; it is declared for each list type a rule meets so that the
// value keeps its type, and for any value last.
var meterFunctions = []expr.Option{
	expr.Function(callStep, func(args ...any) (any, error) {
		meterOf(args[0]).step()
		return true, nil
	}, new(func(any) bool)),
	expr.Function(callValue, passValue,
		new(func(any, string) string),
		new(func(any, []string) []string),
		new(func(any, []int) []int),
		new(func(any, []float64) []float64),
		new(func(any, []any) []any),
		new(func(any, map[string]any) map[string]any),
		new(func(any, map[string]string) map[string]string),
	),
	// rule:any is rule:value for a value whose type is known only when the
	// rule runs: it stays unknown.
	expr.Function(callAny, passValue, new(func(any, any) any)),
	expr.Function(callMatch, func(args ...any) (any, error) {
		m := meterOf(args[0])
		m.step()
		if args[1] == nil || args[2] == nil {
			return false, nil
		}
		s, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("matches needs text on its left, not %T", args[1])
		}
		switch p := args[2].(type) {
		case *regexp.Regexp:
			if len(s)*max(len(p.String()), 1) > maxMatchCost {
				panic(&BudgetError{Limit: limitMatch})
			}
			return p.MatchString(s), nil
		case string:
			if len(s)*max(len(p), 1) > maxMatchCost {
				panic(&BudgetError{Limit: limitMatch})
			}
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, err
			}
			return re.MatchString(s), nil
		}
		return nil, fmt.Errorf("matches needs a pattern on its right, not %T", args[2])
	}, new(func(any, any, any) bool)),
	// repeat, replace and join can build far more than they are given:
	// their size is counted before they build it.
	expr.Function(callRepeat, func(args ...any) (any, error) {
		m := meterOf(args[0])
		m.step()
		s, n := args[1].(string), args[2].(int)
		if n < 0 {
			return nil, fmt.Errorf("repeat needs a count of 0 or more, not %d", n)
		}
		if n > 0 && len(s) > MaxRuleBytes/n {
			panic(&BudgetError{Limit: limitBytes})
		}
		m.grow(len(s) * n)
		return strings.Repeat(s, n), nil
	}, new(func(any, string, int) string)),
	expr.Function(callReplace, func(args ...any) (any, error) {
		m := meterOf(args[0])
		m.step()
		s, old, new := args[1].(string), args[2].(string), args[3].(string)
		n := -1
		if len(args) == 5 {
			n = args[4].(int)
		}
		k := strings.Count(s, old)
		if n >= 0 && n < k {
			k = n
		}
		if k > 0 && len(new) > MaxRuleBytes/k {
			panic(&BudgetError{Limit: limitBytes})
		}
		m.grow(len(s) + k*len(new))
		return strings.Replace(s, old, new, n), nil
	}, new(func(any, string, string, string) string), new(func(any, string, string, string, int) string)),
	expr.Function(callJoin, func(args ...any) (any, error) {
		m := meterOf(args[0])
		m.step()
		var parts []string
		switch v := args[1].(type) {
		case []string:
			parts = v
		case []any:
			parts = make([]string, len(v))
			for i, p := range v {
				s, ok := p.(string)
				if !ok {
					return nil, fmt.Errorf("join needs a list of text, not of %T", p)
				}
				parts[i] = s
			}
		default:
			return nil, fmt.Errorf("join needs a list of text, not %T", args[1])
		}
		glue := ""
		if len(args) == 3 {
			glue = args[2].(string)
		}
		if len(parts) > 0 && len(glue) > MaxRuleBytes/len(parts) {
			panic(&BudgetError{Limit: limitBytes})
		}
		n := len(glue) * len(parts)
		for _, p := range parts {
			n += len(p)
			if n > MaxRuleBytes {
				panic(&BudgetError{Limit: limitBytes})
			}
		}
		m.grow(n)
		return strings.Join(parts, glue), nil
	},
		new(func(any, []string, string) string), new(func(any, []string) string),
		new(func(any, []any, string) string), new(func(any, []any) string)),
}

func passValue(args ...any) (any, error) {
	m := meterOf(args[0])
	m.step()
	m.grow(size(args[1]))
	return args[1], nil
}

// compileMetered compiles a rule that compiles as written (CompileRule has
// checked it) with its meter: the rule is checked to learn the type of
// every part, the meter's calls are added around the parts that cost
// something, and the result is checked and compiled again.
func compileMetered(text string) (*vm.Program, error) {
	cfg := conf.CreateNew()
	for _, op := range append(ruleOptions(0), meterFunctions...) {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	tree, err := exprparser.ParseWithConfig(text, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, err
	}
	mp := &meterPatch{}
	ast.Walk(&tree.Node, mp)
	if mp.err != nil {
		return nil, mp.err
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, fmt.Errorf("the rule with its budget does not compile: %w", err)
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, err
	}
	return compiler.Compile(tree, cfg)
}

// meterPatch adds the meter's calls to a checked rule, from the leaves up:
// a step at each turn of a loop and at each call whose value is a number,
// a truth value or a time; the value's size, with a step, at each call or
// + whose value is text, a list, a map or not known before the rule runs;
// and counted versions of matches, repeat, replace and join.
type meterPatch struct {
	err error
}

func envNode() ast.Node { return &ast.IdentifierNode{Value: "$env"} }

func call(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: append([]ast.Node{envNode()}, args...)}
}

// stepBefore runs a step, then n, and has n's value.
func stepBefore(n ast.Node) ast.Node {
	return &ast.SequenceNode{Nodes: []ast.Node{call(callStep), n}}
}

// built says which call counts a part's value: rule:value for text, a list
// or a map, rule:any for a value whose type is not known before the rule
// runs, "" for a value of fixed size (a number, a truth value, a time).
func built(n ast.Node) string {
	t := n.Type()
	if t == nil {
		return callAny
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
		if valueTypes[t] {
			return callValue
		}
		return callAny
	case reflect.Interface:
		return callAny
	}
	return ""
}

// valueTypes are the types rule:value is declared for.
var valueTypes = map[reflect.Type]bool{
	reflect.TypeFor[string](): true, reflect.TypeFor[[]string](): true, reflect.TypeFor[[]int](): true,
	reflect.TypeFor[[]float64](): true, reflect.TypeFor[[]any](): true, reflect.TypeFor[map[string]any](): true,
	reflect.TypeFor[map[string]string](): true,
}

func (p *meterPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.PredicateNode:
		n.Node = stepBefore(n.Node)
	case *ast.BuiltinNode:
		switch n.Name {
		case "repeat":
			*node = call(callRepeat, n.Arguments...)
			return
		case "replace":
			*node = call(callReplace, n.Arguments...)
			return
		case "join":
			*node = call(callJoin, n.Arguments...)
			return
		}
		p.meter(node)
	case *ast.CallNode:
		p.meter(node)
	case *ast.BinaryNode:
		switch n.Operator {
		case "+":
			if fn := built(n); fn != "" {
				*node = call(fn, n)
			}
		case "matches":
			pattern := n.Right
			if s, ok := n.Right.(*ast.StringNode); ok {
				re, err := regexp.Compile(s.Value)
				if err != nil {
					p.err = err
					return
				}
				pattern = &ast.ConstantNode{Value: re}
			}
			*node = call(callMatch, n.Left, pattern)
		}
	}
}

func (p *meterPatch) meter(node *ast.Node) {
	if fn := built(*node); fn != "" {
		*node = call(fn, *node)
	} else {
		*node = stepBefore(*node)
	}
}

// sampleLeads are the leads [Agreement.CheckRules] tries each rule on: a
// typical lead, an empty one, and one with every field at its longest.
var sampleLeads = sync.OnceValue(func() []sample {
	created := time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)
	typical := tandem.Lead{
		Source: "web", ExternalID: "sample-1", Email: "ada.lovelace@example.com", FirstName: "Ada", LastName: "Lovelace",
		Company: "Analytical Engines Ltd", Title: "VP Sales", Phone: "+1 212 555 0100", Country: "US", Segment: "enterprise",
		Territory: "northeast", Origin: "inbound", Campaign: "webinar-2026-01", LandingPage: "https://example.com/demo",
		UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "brand", UTMTerm: "sla software", UTMContent: "ad-1",
		OwnerID: 7, Score: 72, Stage: "lead", CreatedAt: created,
		Attributes: map[string]string{"industry": "software", "employees": "250"},
	}
	// Text of MaxTextLen characters, with words, punctuation and letters
	// of several byte lengths, so that splitting and matching it costs.
	word := "Ab.c-dé@ü ẞ1_"
	long := strings.Repeat(word, tandem.MaxTextLen/utf8.RuneCountInString(word)+1)
	long = string([]rune(long)[:tandem.MaxTextLen])
	longest := tandem.Lead{
		Source: long, ExternalID: long, Email: long, FirstName: long, LastName: long, Company: long, Title: long,
		Phone: long, Country: long, Segment: long, Territory: long, Origin: long, Campaign: long, LandingPage: long,
		UTMSource: long, UTMMedium: long, UTMCampaign: long, UTMTerm: long, UTMContent: long,
		OwnerID: math.MaxInt32, Score: math.MaxInt32, Stage: long, CreatedAt: created,
		Attributes: make(map[string]string, tandem.MaxAttributes),
	}
	for i := range tandem.MaxAttributes {
		longest.Attributes[fmt.Sprintf("attribute_%03d", i)] = long
	}
	return []sample{
		{"a typical lead", typical},
		{"an empty lead", tandem.Lead{Stage: "lead", CreatedAt: created}},
		{"a lead with every field at its longest", longest},
	}
})

type sample struct {
	name string
	lead tandem.Lead
}

// CheckRules runs each of the agreement's rules (the stages' entry rules and
// marketing.sales_sourced) on sample leads: a typical lead, an empty lead,
// and a lead with every field at its longest. A rule must stay within a
// tenth of its budget on each of them (a tenth of [MaxRuleSteps],
// [MaxRuleBytes] and [MaxRuleTime]), so that a batch of leads stays quick
// and a lead unlike the samples still has room. CheckRules returns nil, or
// a *Problems naming each rule that does not, at the rule's line and
// column; file names the file, as for [Parse].
func (a *Agreement) CheckRules(file string) error {
	var list []Problem
	check := func(r *Rule, path string) {
		if r == nil {
			return
		}
		if msg := r.tooCostly(); msg != "" {
			list = append(list, Problem{Line: max(r.at.Line, 1), Col: max(r.at.Col, 0), Message: path + ": " + msg})
		}
	}
	for i, s := range a.Stages {
		check(s.rule, join(item("stages", i), "entry"))
	}
	check(a.Marketing.salesSourced, "marketing.sales_sourced")
	if len(list) == 0 {
		return nil
	}
	ps := &Problems{File: file, List: list}
	ps.sort()
	return ps
}

// tooCostly says why the rule costs too much on a sample lead, or "".
func (r *Rule) tooCostly() string {
	const why = "a rule must stay within a tenth of its budget (%d steps, %d KiB built, %v) on a typical lead, an empty lead and a lead with every field at its longest, so that a batch of leads stays quick; see Rule budgets in docs/agreement.md"
	for _, s := range sampleLeads() {
		var spent meter
		var took time.Duration
		for i := range 3 { // the quickest of three: the first may warm up
			_, m, err := r.eval(&s.lead)
			var be *BudgetError
			if errors.As(err, &be) {
				return fmt.Sprintf("the rule is too costly: on %s %s; "+why, s.name, be.Limit, MaxRuleSteps/10, MaxRuleBytes>>10/10, MaxRuleTime/10)
			}
			if d := time.Since(m.start); i == 0 || d < took {
				spent, took = m, d
			}
		}
		var over string
		switch {
		case spent.steps > MaxRuleSteps/10:
			over = fmt.Sprintf("it took %d steps", spent.steps)
		case spent.bytes > MaxRuleBytes/10:
			over = fmt.Sprintf("it built %d KiB", spent.bytes>>10)
		case took > MaxRuleTime/10:
			over = fmt.Sprintf("it ran for %v", took.Round(time.Microsecond))
		default:
			continue
		}
		return fmt.Sprintf("the rule is too costly: on %s %s; "+why, s.name, over, MaxRuleSteps/10, MaxRuleBytes>>10/10, MaxRuleTime/10)
	}
	return ""
}
