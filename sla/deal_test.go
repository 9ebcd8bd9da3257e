package sla

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
)

func TestOpensDeal(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"sql", "opportunity", true},
		{"", "opportunity", true}, // a new lead created in the stage
		{"mql", "opportunity", true},
		{"opportunity", "opportunity", false},
		{"opportunity", "customer", false},
		{"sql", "sal", false},
	}
	for _, tt := range tests {
		if got := OpensDeal(tt.from, tt.to); got != tt.want {
			t.Errorf("OpensDeal(%q, %q) = %v; want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestNewDealStages(t *testing.T) {
	a, err := agreement.Parse("default.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("agreement.Parse: %v", err)
	}
	// The default path ends at customer; recycled is the non-final exit,
	// customer and disqualified are final.
	// The pipeline's open stages are the default file's, with their
	// probabilities.
	want := DealStages{Won: "customer", Lost: "recycled", Final: map[string]bool{"customer": true, "disqualified": true},
		Open: []string{"qualification", "proposal", "negotiation"}, Probability: map[string]float64{"qualification": 0.2, "proposal": 0.5, "negotiation": 0.8}}
	if diff := cmp.Diff(want, NewDealStages(a)); diff != "" {
		t.Errorf("NewDealStages(default) (-want +got):\n%s", diff)
	}
}

func TestSettle(t *testing.T) {
	st := DealStages{Won: "customer", Lost: "recycled", Final: map[string]bool{"customer": true, "disqualified": true}}
	won := tandem.Deal{ID: 4, Stage: tandem.DealWon}
	lost := tandem.Deal{ID: 5, Stage: tandem.DealLost, LostReason: "price"}
	tests := []struct {
		d          tandem.Deal
		stage      string
		other      bool
		st         DealStages
		to, reason string
	}{
		{won, "opportunity", false, st, "customer", "deal 4 won"},
		{won, "customer", false, st, "customer", "deal 4 won"}, // there already: the caller moves nothing
		{won, "opportunity", true, st, "customer", "deal 4 won"},
		{lost, "opportunity", false, st, "recycled", "deal 5 lost: price"},
		{lost, "opportunity", true, st, "", ""},                                             // another open deal keeps it
		{lost, "customer", false, st, "", ""},                                               // a customer's lost upsell
		{lost, "disqualified", false, st, "", ""},                                           // final
		{lost, "opportunity", false, DealStages{Won: "customer"}, "", "deal 5 lost: price"}, // no exit to go to
		{tandem.Deal{ID: 6, Stage: tandem.DealOpen}, "opportunity", false, st, "", ""},
	}
	for _, tt := range tests {
		to, reason := tt.st.Settle(tt.d, tt.stage, tt.other)
		if to != tt.to || reason != tt.reason {
			t.Errorf("Settle(deal %d %s, lead in %s, other open %v) = %q, %q; want %q, %q", tt.d.ID, tt.d.Stage, tt.stage, tt.other, to, reason, tt.to, tt.reason)
		}
	}
}

func TestResolve(t *testing.T) {
	st := DealStages{Open: []string{"qualification", "proposal", "negotiation"}}
	tests := []struct {
		name, stage, open string
		bad               bool
	}{
		{"open", "open", "", false},
		{"won", "won", "", false},
		{"lost", "lost", "", false},
		{"qualification", "open", "qualification", false},
		{"negotiation", "open", "negotiation", false},
		{"Proposal", "", "", true}, // names are exact: an import's value map maps a CRM's names
		{"closed", "", "", true},
	}
	for _, tt := range tests {
		stage, open, err := st.Resolve(tt.name)
		if stage != tt.stage || open != tt.open || (err != nil) != tt.bad {
			t.Errorf("Resolve(%q) = %q, %q, %v; want %q, %q, error %v", tt.name, stage, open, err, tt.stage, tt.open, tt.bad)
		}
		if tt.bad {
			fe := tandem.ErrorFields(err)
			want := `"` + tt.name + `" is not a deal stage of the agreement (want one of open, qualification, proposal, negotiation, won, lost)`
			if len(fe) != 1 || fe[0].Field != "stage" || fe[0].Message != want {
				t.Errorf("Resolve(%q) error fields = %v; want stage: %s", tt.name, fe, want)
			}
		}
	}
}

func TestMove(t *testing.T) {
	st := DealStages{Open: []string{"qualification", "proposal", "negotiation"}}
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	open := tandem.Deal{ID: 7, Stage: tandem.DealOpen, PipelineStage: "qualification"}
	won := tandem.Deal{ID: 8, Stage: tandem.DealWon, PipelineStage: "proposal", ClosedAt: at}
	tests := []struct {
		d      tandem.Deal
		to     string
		moved  bool
		code   string
		wantEv map[string]string
	}{
		{open, "negotiation", true, "", map[string]string{"deal": "7", "from": "qualification", "to": "negotiation"}},
		{open, "qualification", false, "", nil},
		{open, "won", false, tandem.EINVALID, nil},
		{open, "closing", false, tandem.EINVALID, nil},
		{open, "open", false, tandem.EINVALID, nil},
		{won, "proposal", false, tandem.ECONFLICT, nil},
		{tandem.Deal{ID: 9, Stage: tandem.DealOpen}, "proposal", true, "", map[string]string{"deal": "9", "from": "", "to": "proposal"}},
	}
	for _, tt := range tests {
		next, ev, moved, err := st.Move(tt.d, tt.to, at)
		if moved != tt.moved || tandem.ErrorCode(err) != tt.code && !(err == nil && tt.code == "") {
			t.Errorf("Move(deal %d in %q, %q) = moved %v, %v; want moved %v, code %q", tt.d.ID, tt.d.PipelineStage, tt.to, moved, err, tt.moved, tt.code)
			continue
		}
		if !moved {
			if !cmp.Equal(next, tt.d) {
				t.Errorf("Move(deal %d, %q) changed the deal to %+v without moving it", tt.d.ID, tt.to, next)
			}
			continue
		}
		if ev.Type != tandem.EventDealStageChanged || !ev.OccurredAt.Equal(at) || !cmp.Equal(ev.Detail, tt.wantEv) {
			t.Errorf("Move(deal %d, %q) event = %+v; want %s at %v with %v", tt.d.ID, tt.to, ev, tandem.EventDealStageChanged, at, tt.wantEv)
		}
		if next.PipelineStage != tt.to || !next.StageChangedAt.Equal(at) {
			t.Errorf("Move(deal %d, %q) deal = %+v; want in %s since %v", tt.d.ID, tt.to, next, tt.to, at)
		}
	}
}
