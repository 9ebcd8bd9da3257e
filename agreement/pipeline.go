package agreement

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Pipeline is the sales pipeline: the stages an open deal moves through, in
// order, and what won and lost mean. A deal is open in one of Stages until
// it is won or lost (docs/deals.md).
type Pipeline struct {
	// Stages are the open deal stages, in order; at least one.
	Stages []DealStage `json:"stages"`
	// Won and Lost say in words when a deal is won or lost.
	Won  string `json:"won"`
	Lost string `json:"lost"`
}

// DealStage is one open stage of the sales pipeline.
type DealStage struct {
	Name string `json:"name"`
	// Definition says in words what a deal in this stage is.
	Definition string `json:"definition"`
	// Probability is the agreed chance (0..1) that a deal in this stage
	// is won; nil when the file gives none.
	Probability *float64 `json:"probability,omitempty"`
}

// StageNames returns the names of the open deal stages, in order.
func (p *Pipeline) StageNames() []string {
	names := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		names[i] = s.Name
	}
	return names
}

// Reserved deal stage names: "open" stands for any open stage, won and
// lost close a deal.
var reservedDealStages = []string{"open", "won", "lost"}

// DefaultPipeline returns the pipeline of a file that gives none.
func DefaultPipeline() Pipeline {
	return Pipeline{
		Stages: []DealStage{
			{Name: "qualification", Definition: "The rep is confirming the need, the budget, the decision makers and the time frame."},
			{Name: "proposal", Definition: "The buyer has a written proposal with a price."},
			{Name: "negotiation", Definition: "The buyer is negotiating terms and price; the contract is being agreed."},
		},
		Won:  defaultWon,
		Lost: defaultLost,
	}
}

const (
	defaultWon  = "The customer has signed: the deal's amount is booked."
	defaultLost = "The buyer said no, chose another vendor, or stopped answering: the deal has a reason code."
)

// maxDealStages bounds the open stages of a pipeline.
const maxDealStages = 20

var (
	pipelineKeys  = []string{"stages", "won", "lost"}
	dealStageKeys = []string{"name", "definition", "probability"}
	outcomeKeys   = []string{"definition"}
)

// pipeline reads the pipeline section.
func (p *parser) pipeline(n, key *yaml.Node, pl *Pipeline) {
	const path = "pipeline"
	m := p.mapping(n, key, path, pipelineKeys)
	if m == nil {
		return
	}
	pl.Stages = nil
	if v := m.require("stages"); v != nil {
		sp := join(path, "stages")
		items, ok := p.list(v, sp, maxDealStages)
		if ok && len(items) == 0 {
			p.errorf(v, sp, "give at least one open deal stage, like qualification")
		}
		names := map[string]*yaml.Node{}
		for i, sn := range items {
			ip := item(sp, i)
			sm := p.mapping(sn, nil, ip, dealStageKeys)
			if sm == nil {
				continue
			}
			var s DealStage
			if v := sm.require("name"); v != nil {
				if name, ok := p.ident(v, join(ip, "name")); ok {
					switch prev, dup := names[name]; {
					case slices.Contains(reservedDealStages, name):
						p.errorf(v, join(ip, "name"), "%s is not an open stage's name: open stands for any open stage, and won and lost close a deal (see pipeline.won and pipeline.lost)", name)
					case dup:
						p.errorf(v, join(ip, "name"), "deal stage %s is already defined at line %d", name, prev.Line)
					default:
						names[name] = v
						s.Name = name
					}
				}
			}
			if v := sm.require("definition"); v != nil {
				s.Definition, _ = p.text(v, join(ip, "definition"), maxTextLen)
			}
			if v := sm.get("probability"); v != nil {
				if f, ok := p.numberIn(v, join(ip, "probability"), probability); ok {
					s.Probability = &f
				}
			}
			pl.Stages = append(pl.Stages, s)
		}
	}
	pl.Won, pl.Lost = defaultWon, defaultLost
	for _, o := range []struct {
		key string
		def *string
	}{{"won", &pl.Won}, {"lost", &pl.Lost}} {
		v := m.get(o.key)
		if v == nil {
			continue
		}
		op := join(path, o.key)
		if om := p.mapping(v, m.keys[o.key], op, outcomeKeys); om != nil {
			if d := om.require("definition"); d != nil {
				*o.def, _ = p.text(d, join(op, "definition"), maxTextLen)
			}
		}
	}
}

// probability is in [0, 1].
func probability(v float64) string {
	if v < 0 || v > 1 {
		return fmt.Sprintf("%s is not a probability: give a number from 0 to 1 (0.25 is 25%%)", formatNumber(v))
	}
	return ""
}

// pipelineWords writes each open stage of a pipeline in words, for Diff.
func pipelineWords(p *Pipeline) []string {
	out := make([]string, len(p.Stages))
	for i, s := range p.Stages {
		w := fmt.Sprintf("%s (%q", s.Name, s.Definition)
		if s.Probability != nil {
			w += ", probability " + formatNumber(*s.Probability)
		}
		out[i] = w + ")"
	}
	return out
}

func (d *differ) pipeline(old, new *Pipeline) {
	const s = "pipeline"
	d.list("deal stage", pipelineWords(old), pipelineWords(new))
	d.text(s, "won", old.Won, new.Won)
	d.text(s, "lost", old.Lost, new.Lost)
}
