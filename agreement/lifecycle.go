package agreement

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
)

// lifecycle is an agreement's stages compiled for fast decisions. It is
// immutable, so it is safe for concurrent use.
type lifecycle struct {
	version int
	stages  map[string]*cstage
	path    []string // names of the path stages, in order
	exits   []string // names of the exit stages, in order
	// reentry is the stage a lead comes back to from a non-final exit by
	// rule: the first path stage with an entry rule, or nil.
	reentry *cstage
	// rules is false for the default lifecycle: entry rules run only under
	// a signed agreement.
	rules bool
	// batch, when set, is the rule time one batch has spent (see [Batch]).
	batch *time.Duration
}

// cstage is a stage with its place in the lifecycle.
type cstage struct {
	Stage
	index int     // place on the path; -1 for an exit
	next  *cstage // the next path stage, nil at the end of the path
	label string  // "<stage>: <expression>", the rule text of an advance
}

// Lifecycle compiles the agreement's stages and entry rules into the
// lifecycle of the agreement's stored version number. The rules were compiled
// by [Parse]; an agreement built by hand has its rules compiled here, and a
// rule that does not compile never holds.
func (a *Agreement) Lifecycle(version int) tandem.Lifecycle {
	return newLifecycle(a, version, true)
}

// defaultLifecycle is built once: the default file never changes.
var defaultLifecycle = sync.OnceValue(func() tandem.Lifecycle {
	a, err := Parse("default.yaml", defaultFile)
	if err != nil {
		panic("agreement: the embedded default agreement does not parse:\n" + err.Error())
	}
	return newLifecycle(a, 0, false)
})

// DefaultLifecycle is the lifecycle used while no signed agreement is in
// force: the default file's stages and moves, with no entry rules, since
// rules run only under an agreement both heads have signed. Its version is 0.
func DefaultLifecycle() tandem.Lifecycle { return defaultLifecycle() }

func newLifecycle(a *Agreement, version int, rules bool) *lifecycle {
	lc := &lifecycle{version: version, stages: make(map[string]*cstage, len(a.Stages)), rules: rules}
	var prev *cstage
	for _, s := range a.Stages {
		cs := &cstage{Stage: s, index: -1}
		if cs.Entry != "" && cs.rule == nil {
			cs.rule, _ = CompileRule(cs.Entry)
		}
		if cs.Entry != "" {
			cs.label = cs.Name + ": " + cs.Entry
		}
		lc.stages[s.Name] = cs
		if s.Exit {
			lc.exits = append(lc.exits, s.Name)
			continue
		}
		cs.index = len(lc.path)
		lc.path = append(lc.path, s.Name)
		if prev != nil {
			prev.next = cs
		}
		prev = cs
		if lc.reentry == nil && cs.Entry != "" {
			lc.reentry = cs
		}
	}
	return lc
}

// Batch returns lc with a budget of [MaxBatchRuleTime] for the entry rules
// of one batch of leads, which a store runs inside one write transaction.
// The lifecycle it returns is for that batch alone: it is not safe for
// concurrent use.
func Batch(lc tandem.Lifecycle) tandem.Lifecycle {
	l, ok := lc.(*lifecycle)
	if !ok || !l.rules {
		return lc
	}
	b := *l
	b.batch = new(time.Duration)
	return &b
}

func (lc *lifecycle) Version() int { return lc.version }

func (lc *lifecycle) Initial() string {
	if len(lc.path) == 0 {
		return ""
	}
	return lc.path[0]
}

func (lc *lifecycle) HasStage(stage string) bool { return lc.stages[stage] != nil }

// CanMove follows the stage's moves_to when it has one. Otherwise a lead on
// the path moves forward along it or out to an exit; a lead in a non-final
// exit comes back to the initial stage or to the first stage with an entry
// rule, or goes to another exit; no lead leaves a final stage.
func (lc *lifecycle) CanMove(from, to string) error {
	f, t := lc.stages[from], lc.stages[to]
	switch {
	case f == nil:
		return fmt.Errorf("no stage %q in the agreement", from)
	case t == nil:
		return fmt.Errorf("no stage %q in the agreement", to)
	case from == to:
		return fmt.Errorf("the lead is already in %s", from)
	case f.Final:
		return fmt.Errorf("%s is final: no lead leaves it", from)
	case f.MovesTo != nil:
		for _, name := range f.MovesTo {
			if name == to {
				return nil
			}
		}
		if len(f.MovesTo) == 0 {
			return fmt.Errorf("the agreement allows no manual move out of %s", from)
		}
		return fmt.Errorf("from %s the agreement allows moves only to %s", from, orList(f.MovesTo))
	case f.index >= 0 && t.index > f.index, f.index >= 0 && t.index < 0:
		return nil
	case f.index >= 0:
		msg := fmt.Sprintf("%s comes before %s in the lifecycle: moves go forward", to, from)
		if len(lc.exits) > 0 {
			msg += ", or out to " + orList(lc.exits)
		}
		return fmt.Errorf("%s", msg)
	}
	// From a non-final exit.
	back := lc.returns()
	if t.index < 0 || t.index == 0 || t == lc.reentry {
		return nil
	}
	return fmt.Errorf("from %s a lead goes back only to %s, or out to another exit", from, orList(back))
}

// returns lists the path stages a lead may come back to from an exit.
func (lc *lifecycle) returns() []string {
	var back []string
	if len(lc.path) > 0 {
		back = append(back, lc.path[0])
	}
	if lc.reentry != nil && lc.reentry.index != 0 {
		back = append(back, lc.reentry.Name)
	}
	return back
}

// Advance looks only one stage ahead on the path, so that a rule never skips
// a stage that needs a person's decision; the caller loops for chains. From
// a non-final exit, the first path stage with an entry rule may be
// re-entered. A rule that fails at run time (a division by zero) does not
// hold; a rule that runs over its budget, or that a batch has no time left
// for, gives a *[BudgetError] naming the stage and the rule's place in the
// file.
func (lc *lifecycle) Advance(l *tandem.Lead) (to, rule string, ok bool, err error) {
	if !lc.rules {
		return "", "", false, nil
	}
	cur := lc.stages[l.Stage]
	if cur == nil || cur.Final {
		return "", "", false, nil
	}
	var cand *cstage
	if cur.index >= 0 {
		cand = cur.next
	} else {
		cand = lc.reentry
	}
	if cand == nil || cand.rule == nil {
		return "", "", false, nil
	}
	if lc.batch != nil && *lc.batch > MaxBatchRuleTime {
		return "", "", false, &BudgetError{Rule: cand.rule, Stage: cand.Name, Batch: true}
	}
	start := time.Now()
	hold, err := cand.rule.Eval(l)
	if lc.batch != nil {
		*lc.batch += time.Since(start)
	}
	if be, over := err.(*BudgetError); over {
		be.Stage = cand.Name
		return "", "", false, be
	}
	if err != nil || !hold {
		return "", "", false, nil
	}
	return cand.Name, cand.label, true, nil
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
