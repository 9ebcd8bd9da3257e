package agreement

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func defaultAgreement(t testing.TB) *Agreement {
	t.Helper()
	a, err := Parse("default.yaml", Default())
	if err != nil {
		t.Fatalf("Parse(default.yaml) = %v; want no error", err)
	}
	return a
}

func TestCanMove(t *testing.T) {
	lc := defaultAgreement(t).Lifecycle(3)
	tests := []struct {
		from, to string
		want     string // "" when allowed, else the error
	}{
		{"lead", "mql", ""},
		{"lead", "sal", ""},
		{"lead", "customer", ""},
		{"mql", "sal", ""},
		{"sal", "sql", ""},
		{"sql", "opportunity", ""},
		{"opportunity", "customer", ""},
		{"lead", "recycled", ""},
		{"mql", "recycled", ""},
		{"sal", "disqualified", ""},
		{"opportunity", "disqualified", ""},
		{"recycled", "lead", ""},
		{"recycled", "mql", ""},
		{"recycled", "disqualified", ""},
		{"sal", "mql", "mql comes before sal in the lifecycle: moves go forward, or out to recycled or disqualified"},
		{"opportunity", "lead", "lead comes before opportunity in the lifecycle: moves go forward, or out to recycled or disqualified"},
		{"customer", "mql", "customer is final: no lead leaves it"},
		{"customer", "recycled", "customer is final: no lead leaves it"},
		{"disqualified", "lead", "disqualified is final: no lead leaves it"},
		{"disqualified", "recycled", "disqualified is final: no lead leaves it"},
		{"recycled", "sal", "from recycled a lead goes back only to lead or mql, or out to another exit"},
		{"recycled", "customer", "from recycled a lead goes back only to lead or mql, or out to another exit"},
		{"mql", "mql", "the lead is already in mql"},
		{"mql", "won", `no stage "won" in the agreement`},
		{"nowhere", "mql", `no stage "nowhere" in the agreement`},
	}
	for _, tt := range tests {
		err := lc.CanMove(tt.from, tt.to)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CanMove(%q, %q) = %q; want %q", tt.from, tt.to, got, tt.want)
		}
	}
	// The default lifecycle has the same moves.
	dl := DefaultLifecycle()
	for _, tt := range tests {
		if got, want := dl.CanMove(tt.from, tt.to) == nil, tt.want == ""; got != want {
			t.Errorf("DefaultLifecycle().CanMove(%q, %q) allowed = %v; want %v", tt.from, tt.to, got, want)
		}
	}
}

func TestCanMoveMovesTo(t *testing.T) {
	file := strings.Replace(minimal, "    definition: Accepted.\n", "    definition: Accepted.\n    moves_to: [customer, recycled, lead]\n", 1)
	file = strings.Replace(file, "    definition: Back to nurture.\n", "    definition: Back to nurture.\n    moves_to: []\n", 1)
	a, err := Parse("m.yaml", []byte(file))
	if err != nil {
		t.Fatalf("Parse(%q) = %v; want no error", file, err)
	}
	lc := a.Lifecycle(1)
	tests := []struct {
		from, to string
		want     string
	}{
		{"sal", "customer", ""},
		{"sal", "lead", ""}, // moves_to overrides "never backwards"
		{"sal", "recycled", ""},
		{"sal", "mql", "from sal the agreement allows moves only to customer, recycled or lead"},
		{"recycled", "lead", "the agreement allows no manual move out of recycled"},
		{"mql", "customer", ""}, // no moves_to: the default rule
	}
	for _, tt := range tests {
		err := lc.CanMove(tt.from, tt.to)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CanMove(%q, %q) = %q; want %q", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestLifecycle(t *testing.T) {
	a := defaultAgreement(t)
	lc := a.Lifecycle(7)
	if lc.Version() != 7 || lc.Initial() != "lead" {
		t.Errorf("Version(), Initial() = %d, %q; want 7, lead", lc.Version(), lc.Initial())
	}
	for _, s := range []string{"lead", "mql", "sal", "sql", "opportunity", "customer", "recycled", "disqualified"} {
		if !lc.HasStage(s) {
			t.Errorf("HasStage(%q) = false; want true", s)
		}
	}
	if lc.HasStage("won") || lc.HasStage("") {
		t.Errorf("HasStage of an unknown stage = true; want false")
	}
	dl := DefaultLifecycle()
	if dl.Version() != 0 || dl.Initial() != "lead" {
		t.Errorf("DefaultLifecycle() Version(), Initial() = %d, %q; want 0, lead", dl.Version(), dl.Initial())
	}
}

func TestAdvance(t *testing.T) {
	lc := defaultAgreement(t).Lifecycle(1)
	const mqlRule = `mql: score >= 60 and email != ""`
	tests := []struct {
		name string
		lead tandem.Lead
		to   string
		rule string
	}{
		{"lead meets mql", tandem.Lead{Stage: "lead", Score: 60, Email: "a@example.com"}, "mql", mqlRule},
		{"lead below the score", tandem.Lead{Stage: "lead", Score: 59, Email: "a@example.com"}, "", ""},
		{"lead without email", tandem.Lead{Stage: "lead", Score: 90}, "", ""},
		{"mql waits for a person", tandem.Lead{Stage: "mql", Score: 90, Email: "a@example.com"}, "", ""},
		{"sal has no rule ahead", tandem.Lead{Stage: "sal", Score: 90, Email: "a@example.com"}, "", ""},
		{"final customer", tandem.Lead{Stage: "customer", Score: 90, Email: "a@example.com"}, "", ""},
		{"recycled comes back", tandem.Lead{Stage: "recycled", Score: 80, Email: "a@example.com"}, "mql", mqlRule},
		{"recycled stays", tandem.Lead{Stage: "recycled", Score: 10, Email: "a@example.com"}, "", ""},
		{"disqualified stays", tandem.Lead{Stage: "disqualified", Score: 99, Email: "a@example.com"}, "", ""},
		{"unknown stage", tandem.Lead{Stage: "won", Score: 99, Email: "a@example.com"}, "", ""},
	}
	for _, tt := range tests {
		to, rule, ok, err := lc.Advance(&tt.lead)
		if to != tt.to || rule != tt.rule || ok != (tt.to != "") || err != nil {
			t.Errorf("%s: Advance(%+v) = %q, %q, %v, %v; want %q, %q, %v, nil", tt.name, tt.lead, to, rule, ok, err, tt.to, tt.rule, tt.to != "")
		}
		if to, _, ok, _ := DefaultLifecycle().Advance(&tt.lead); ok {
			t.Errorf("%s: DefaultLifecycle().Advance = %q; want no move: rules run only under a signed agreement", tt.name, to)
		}
	}
}

// TestAdvanceChain checks that rules chain one stage at a time, that a
// stage without a rule stops the chain, and that a rule failing at run time
// does not hold.
func TestAdvanceChain(t *testing.T) {
	file := strings.NewReplacer(
		"    definition: Accepted.\n", "    definition: Accepted.\n    entry: 100 % (score - 70) >= 0\n",
	).Replace(minimal)
	a, err := Parse("m.yaml", []byte(file))
	if err != nil {
		t.Fatalf("Parse(%q) = %v; want no error", file, err)
	}
	lc := a.Lifecycle(2)
	l := tandem.Lead{Stage: "lead", Score: 80}
	var path []string
	for range 10 {
		to, _, ok, err := lc.Advance(&l)
		if err != nil {
			t.Fatalf("Advance(%+v) = %v; want no error", l, err)
		}
		if !ok {
			break
		}
		l.Stage = to
		path = append(path, to)
	}
	if got := strings.Join(path, ","); got != "mql,sal" {
		t.Errorf("chain from lead with score 80 = %q; want mql,sal", got)
	}
	// 100 % 0 fails at run time: the rule does not hold.
	l = tandem.Lead{Stage: "mql", Score: 70}
	if to, _, ok, err := lc.Advance(&l); ok || err != nil {
		t.Errorf("Advance with a failing rule = %q, %v; want no move and no error", to, err)
	}
}

// TestIntake runs the root package's intake with the compiled lifecycle.
func TestIntake(t *testing.T) {
	lc := defaultAgreement(t).Lifecycle(4)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	in := tandem.LeadInput{Fields: map[string]string{"email": "ada@example.com", "score": "75", "external_id": "x1"}}
	ch, err := tandem.Intake(nil, in, lc, "api", "user:admin@example.com", now)
	if err != nil {
		t.Fatalf("Intake(%v) = %v; want no error", in, err)
	}
	if ch.Lead.Stage != "mql" || len(ch.Events) != 2 || ch.Events[1].Rule != `mql: score >= 60 and email != ""` || ch.Events[1].AgreementVersion != 4 {
		t.Errorf("Intake(%v) = stage %q, events %+v; want mql by rule under version 4", in, ch.Lead.Stage, ch.Events)
	}
	if _, err := tandem.Move(ch.Lead, "lead", "oops", lc, "user:rep@example.com", now); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("Move(mql to lead) = %v; want a conflict", err)
	}
}

func BenchmarkAdvance(b *testing.B) {
	lc := defaultAgreement(b).Lifecycle(1)
	leads := []tandem.Lead{
		{Stage: "lead", Score: 75, Email: "ada@example.com", Country: "US", Segment: "smb"},
		{Stage: "lead", Score: 20, Email: "bob@example.com", Attributes: map[string]string{"industry": "retail"}},
		{Stage: "lead", Score: 90},
		{Stage: "mql", Score: 90, Email: "cy@example.com"},
		{Stage: "recycled", Score: 65, Email: "di@example.com"},
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		lc.Advance(&leads[i%len(leads)])
		i++
	}
}
