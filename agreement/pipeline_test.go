package agreement

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPipelineDefault(t *testing.T) {
	a, err := Parse("minimal.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse(minimal) = %v; want no error", err)
	}
	if diff := cmp.Diff(DefaultPipeline(), a.Pipeline); diff != "" {
		t.Errorf("pipeline of a file without one differs from the default (-want +got):\n%s", diff)
	}
	d := defaultAgreement(t)
	want := []string{"qualification", "proposal", "negotiation"}
	if got := d.Pipeline.StageNames(); !cmp.Equal(got, want) {
		t.Errorf("default.yaml pipeline stages = %v; want %v", got, want)
	}
	var probs []float64
	for _, s := range d.Pipeline.Stages {
		if s.Probability == nil {
			t.Fatalf("default.yaml stage %s has no probability", s.Name)
		}
		probs = append(probs, *s.Probability)
	}
	if want := []float64{0.2, 0.5, 0.8}; !cmp.Equal(probs, want) {
		t.Errorf("default.yaml probabilities = %v; want %v", probs, want)
	}
}

func TestPipelineParse(t *testing.T) {
	// The pipeline section is appended to minimal, whose 36 lines end with
	// goal: its first line is 37.
	good := "pipeline:\n  stages:\n    - {name: discovery, definition: Talking., probability: 0.1}\n    - {name: closing, definition: Signing.}\n  won: {definition: Signed.}\n"
	a, err := Parse("p.yaml", []byte(minimal+good))
	if err != nil {
		t.Fatalf("Parse(pipeline) = %v; want no error", err)
	}
	p := 0.1
	want := Pipeline{Stages: []DealStage{{Name: "discovery", Definition: "Talking.", Probability: &p}, {Name: "closing", Definition: "Signing."}},
		Won: "Signed.", Lost: defaultLost}
	if diff := cmp.Diff(want, a.Pipeline); diff != "" {
		t.Errorf("Parse(pipeline) differs (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, section string
		want          []string
	}{
		{"probability above 1", "pipeline:\n  stages:\n    - {name: a, definition: A., probability: 1.5}\n",
			[]string{`39:46: pipeline.stages[1].probability: 1.5 is not a probability: give a number from 0 to 1 (0.25 is 25%)`}},
		{"negative probability", "pipeline:\n  stages:\n    - name: a\n      definition: A.\n      probability: -0.1\n",
			[]string{`41:20: pipeline.stages[1].probability: -0.1 is not a probability: give a number from 0 to 1 (0.25 is 25%)`}},
		{"probability not a number", "pipeline:\n  stages:\n    - {name: a, definition: A., probability: high}\n",
			[]string{`39:46: pipeline.stages[1].probability: expected a number, got "high"`}},
		{"reserved name", "pipeline:\n  stages:\n    - {name: won, definition: A.}\n",
			[]string{`39:14: pipeline.stages[1].name: won is not an open stage's name: open stands for any open stage, and won and lost close a deal (see pipeline.won and pipeline.lost)`}},
		{"repeated name", "pipeline:\n  stages:\n    - {name: a, definition: A.}\n    - {name: a, definition: B.}\n",
			[]string{`40:14: pipeline.stages[2].name: deal stage a is already defined at line 39`}},
		{"no stages", "pipeline:\n  stages: []\n",
			[]string{`38:11: pipeline.stages: give at least one open deal stage, like qualification`}},
		{"missing definition", "pipeline:\n  stages:\n    - {name: a}\n",
			[]string{`39:7: pipeline.stages[1]: missing required key "definition"`}},
		{"bad name", "pipeline:\n  stages:\n    - {name: Proposal, definition: A.}\n",
			[]string{`39:14: pipeline.stages[1].name: "Proposal" is not a name: use lowercase letters, digits and _, starting with a letter (at most 64), like no_budget`}},
		{"unknown key", "pipeline:\n  stages:\n    - {name: a, definition: A.}\n  open: {definition: x}\n",
			[]string{`40:3: unknown key "open" in pipeline (allowed: stages, won, lost)`}},
		{"won without definition", "pipeline:\n  stages:\n    - {name: a, definition: A.}\n  won: {}\n",
			[]string{`40:3: pipeline.won: missing required key "definition"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(minimal+tt.section))
			var got []string
			if ps, ok := err.(*Problems); ok {
				for _, p := range ps.List {
					got = append(got, p.String())
				}
			} else if err != nil {
				t.Fatalf("Parse(%s) = %v; want *Problems", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%s) problems differ (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestPipelineDiff(t *testing.T) {
	old, err := Parse("old.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	neu, err := Parse("new.yaml", []byte(minimal+"pipeline:\n  stages:\n    - {name: qualification, definition: Q., probability: 0.3}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := strings.Join(Diff(old, neu), "\n")
	for _, want := range []string{`deal stage 1 changed from qualification ("The rep is confirming`, `to qualification ("Q.", probability 0.3)`,
		`deal stage 2 removed: proposal`, `deal stage 3 removed: negotiation`} {
		if !strings.Contains(got, want) {
			t.Errorf("Diff = %q; want it to say %q", got, want)
		}
	}
}
