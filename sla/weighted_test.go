package sla

import "testing"

func TestWeighted(t *testing.T) {
	st := DealStages{Open: []string{"qualification", "proposal", "negotiation"},
		Probability: map[string]float64{"qualification": 0.2, "proposal": 0.5, "negotiation": 0}}
	for _, c := range []struct {
		stage  string
		amount int64
		want   int64
		ok     bool
	}{
		{"qualification", 1_000_000, 200_000, true},
		{"qualification", 3, 1, true},          // 0.6 cents rounds to 1
		{"proposal", 1_234_567, 617_284, true}, // 617,283.5 rounds away from zero
		{"negotiation", 5_000, 0, true},
		{"qualification", 0, 0, true},
		{"closing", 5_000, 0, false}, // no probability: unknown
	} {
		got, ok := st.Weighted(c.stage, c.amount)
		if got != c.want || ok != c.ok {
			t.Errorf("Weighted(%q, %d) = %d, %v; want %d, %v", c.stage, c.amount, got, ok, c.want, c.ok)
		}
	}
}
