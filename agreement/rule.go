package agreement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/tandemhq/tandem"
)

// MaxRuleLen caps the length of an entry rule, in bytes. A rule is a
// sentence about a lead, not a program.
const MaxRuleLen = 2000

// env is what an entry rule sees: every field of [tandem.LeadFields] by its
// name, and the lead's custom attributes. TestEnvCoversLeadFields keeps it in
// step with the root package.
type env struct {
	Source      string            `expr:"source"`
	ExternalID  string            `expr:"external_id"`
	Email       string            `expr:"email"`
	FirstName   string            `expr:"first_name"`
	LastName    string            `expr:"last_name"`
	Company     string            `expr:"company"`
	Title       string            `expr:"title"`
	Phone       string            `expr:"phone"`
	Country     string            `expr:"country"`
	Segment     string            `expr:"segment"`
	Territory   string            `expr:"territory"`
	Origin      string            `expr:"origin"`
	Campaign    string            `expr:"campaign"`
	LandingPage string            `expr:"landing_page"`
	UTMSource   string            `expr:"utm_source"`
	UTMMedium   string            `expr:"utm_medium"`
	UTMCampaign string            `expr:"utm_campaign"`
	UTMTerm     string            `expr:"utm_term"`
	UTMContent  string            `expr:"utm_content"`
	OwnerID     int               `expr:"owner_id"`
	Score       int               `expr:"score"`
	Stage       string            `expr:"stage"`
	CreatedAt   time.Time         `expr:"created_at"`
	Attributes  map[string]string `expr:"attributes"`
}

func (e *env) set(l *tandem.Lead) {
	*e = env{
		Source:      l.Source,
		ExternalID:  l.ExternalID,
		Email:       l.Email,
		FirstName:   l.FirstName,
		LastName:    l.LastName,
		Company:     l.Company,
		Title:       l.Title,
		Phone:       l.Phone,
		Country:     l.Country,
		Segment:     l.Segment,
		Territory:   l.Territory,
		Origin:      l.Origin,
		Campaign:    l.Campaign,
		LandingPage: l.LandingPage,
		UTMSource:   l.UTMSource,
		UTMMedium:   l.UTMMedium,
		UTMCampaign: l.UTMCampaign,
		UTMTerm:     l.UTMTerm,
		UTMContent:  l.UTMContent,
		OwnerID:     int(l.OwnerID),
		Score:       l.Score,
		Stage:       l.Stage,
		CreatedAt:   l.CreatedAt,
		Attributes:  l.Attributes,
	}
}

// Rule is a compiled entry rule: an expression over a lead's fields that is
// true when the lead meets a stage's entry criteria. A Rule is safe for
// concurrent use.
type Rule struct {
	src  string
	prog *vm.Program
	at   RulePosition
}

// RulePosition says where a rule is written in an agreement file: the file
// as [Parse] was given it ("agreement.yaml", "agreement version 3"), the
// line and column of the rule (from 1), and the key ("stages[2].entry").
// It is zero for a rule compiled on its own.
type RulePosition struct {
	File      string
	Line, Col int
	Path      string
}

// String gives the position as "stages[2].entry, line 14 of agreement.yaml".
func (p RulePosition) String() string {
	switch {
	case p.Line == 0:
		return p.Path
	case p.File == "":
		return fmt.Sprintf("%s, line %d", p.Path, p.Line)
	}
	return fmt.Sprintf("%s, line %d of %s", p.Path, p.Line, p.File)
}

// Position returns where the rule is written.
func (r *Rule) Position() RulePosition { return r.at }

// run is one evaluation's scratch space.
type run struct {
	vm  vm.VM
	env runEnv
}

// runEnv is what a compiled rule runs on: the lead's fields and, out of the
// rule's sight (expr sees exported fields only), the meter of this
// evaluation, which the calls [CompileRule] adds to the rule reach through
// $env.
type runEnv struct {
	env
	meter meter
}

var runPool = sync.Pool{New: func() any { return new(run) }}

// RuleError is why an entry rule does not compile, with the position in the
// rule (Line from 1, Column from 0 in characters) when the compiler knows it.
type RuleError struct {
	Line, Column int
	Message      string
}

func (e *RuleError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s (line %d, column %d of the rule)", e.Message, e.Line, e.Column+1)
}

// CompileRule compiles one entry-rule expression against the lead
// environment: the names are the lead fields of [tandem.LeadFields] and
// attributes (a map of text), and the result must be true or false. Unknown
// names and type mistakes are compile errors, reported as a *RuleError, and
// so is a rule of more than [MaxRuleNodes] parts.
//
// The builtin now() is not available: a rule must give the same answer when
// the ledger is replayed. Dates written with date() are read in UTC.
//
// The compiled rule carries its budget (see [Rule.Eval]): every loop
// iteration and every call counts a step, and every text, list or map the
// rule builds counts its size, before the rule may go on.
func CompileRule(src string) (r *Rule, err error) {
	text := strings.TrimSpace(src)
	switch {
	case text == "":
		return nil, &RuleError{Message: "the rule is empty"}
	case len(text) > MaxRuleLen:
		return nil, &RuleError{Message: fmt.Sprintf("the rule is longer than %d characters", MaxRuleLen)}
	}
	defer func() {
		// The compiler is not ours; a rule must never bring Tandem down.
		if v := recover(); v != nil {
			r, err = nil, &RuleError{Message: fmt.Sprintf("the rule does not compile: %v", v)}
		}
	}()
	// The rule as written is checked first, so that its mistakes are
	// reported at the rule's own columns; then the metered rule is built.
	if _, err = expr.Compile(text, ruleOptions(MaxRuleNodes)...); err == nil {
		var prog *vm.Program
		if prog, err = compileMetered(text); err == nil {
			return &Rule{src: text, prog: prog}, nil
		}
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		return nil, &RuleError{Line: fe.Line, Column: fe.Column, Message: ruleMessage(fe.Message)}
	}
	return nil, &RuleError{Message: ruleMessage(err.Error())}
}

// ruleOptions configure the compiler for a rule of at most maxNodes parts.
func ruleOptions(maxNodes uint) []expr.Option {
	return []expr.Option{
		expr.Env(runEnv{}),
		expr.AsBool(),
		expr.DisableBuiltin("now"),
		expr.Timezone("UTC"),
		expr.MaxNodes(maxNodes),
	}
}

// ruleMessage rewords the compiler's messages that a revenue-ops admin is
// most likely to meet.
func ruleMessage(msg string) string {
	if name, ok := strings.CutPrefix(msg, "unknown name "); ok {
		if name == "now" {
			return "now() is not available in a rule: a rule must give the same answer whenever the ledger is replayed"
		}
		if near := closest(name, tandem.LeadFieldNames()); near != "" {
			return fmt.Sprintf("unknown name %s (did you mean %s?)", name, near)
		}
		return fmt.Sprintf("unknown name %s (a rule may use the lead fields %s, and attributes[\"key\"])",
			name, strings.Join(tandem.LeadFieldNames(), ", "))
	}
	if rest, ok := strings.CutPrefix(msg, "expected bool, but got "); ok {
		return fmt.Sprintf("the rule must be true or false, but it gives %s", rest)
	}
	if strings.HasPrefix(msg, "compilation failed: expression exceeds maximum allowed nodes") {
		return fmt.Sprintf("the rule has more than %d parts (names, values, operators and calls): a rule is a sentence about a lead, not a program", MaxRuleNodes)
	}
	return msg
}

// Eval reports whether the lead meets the rule. An error at run time (say, a
// division by zero) is returned as an error; callers that decide stages treat
// it as "does not hold". A rule that runs over its budget stops at once with
// a *[BudgetError]: more than [MaxRuleSteps] steps, [MaxRuleBytes] of text
// and lists built, [MaxRuleItems] list items made, or [MaxRuleTime].
func (r *Rule) Eval(l *tandem.Lead) (bool, error) {
	ok, _, err := r.eval(l)
	return ok, err
}

// eval is Eval, with what the evaluation spent.
func (r *Rule) eval(l *tandem.Lead) (bool, meter, error) {
	rn := runPool.Get().(*run)
	rn.env.set(l)
	rn.env.meter = meter{start: time.Now()}
	rn.vm.MemoryBudget = MaxRuleItems
	out, err := rn.vm.Run(r.prog, &rn.env)
	spent := rn.env.meter
	rn.env = runEnv{}
	runPool.Put(rn)
	if err != nil {
		var be *BudgetError
		if errors.As(err, &be) {
			return false, spent, &BudgetError{Rule: r, Limit: be.Limit}
		}
		var fe *file.Error
		if errors.As(err, &fe) {
			if strings.HasPrefix(fe.Message, "memory budget exceeded") {
				return false, spent, &BudgetError{Rule: r, Limit: limitItems}
			}
			return false, spent, fmt.Errorf("rule %s: %s", r.src, fe.Message)
		}
		return false, spent, fmt.Errorf("rule %s: %w", r.src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, spent, fmt.Errorf("rule %s: gave %T, not true or false", r.src, out)
	}
	return b, spent, nil
}

// Fields returns the names of the lead fields the rule reads (of
// [tandem.LeadFields], and "attributes"), in the order it names them, or
// all of them when it reads the whole environment ($env): a reader that
// loads only these fields of a lead gets the same answer from [Rule.Eval].
func (r *Rule) Fields() []string {
	all := append(tandem.LeadFieldNames(), "attributes")
	tree, err := exprparser.Parse(r.src)
	if err != nil {
		return all // compiled, so it parses; if not, every field is safe
	}
	var v identifiers
	ast.Walk(&tree.Node, &v)
	if slices.Contains(v, "$env") {
		return all
	}
	var names []string
	for _, name := range v {
		if slices.Contains(all, name) && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// identifiers collects the names a rule's syntax tree holds.
type identifiers []string

func (v *identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		*v = append(*v, id.Value)
	}
}

// String returns the rule as written, without surrounding space.
func (r *Rule) String() string { return r.src }

// closest returns the name within two edits of s, or "".
func closest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := distance(s, n, bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the edit distance of a and b, or at least limit when it is
// limit or more.
func distance(a, b string, limit int) int {
	if len(a)-len(b) >= limit || len(b)-len(a) >= limit || len(a) > 64 {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
