package sla

import (
	"testing"

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
		t.Fatal(err)
	}
	// The default path ends at customer; recycled is the non-final exit,
	// customer and disqualified are final.
	want := DealStages{Won: "customer", Lost: "recycled", Final: map[string]bool{"customer": true, "disqualified": true}}
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
