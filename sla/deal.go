package sla

import (
	"fmt"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
)

// OpensDeal reports whether a lead that moves from one stage to another
// (from is "" for a new lead) enters the stage that opens a deal: the
// opportunity stage, whatever the agreement, by any path.
func OpensDeal(from, to string) bool { return to == tandem.StageOpportunity && from != to }

// DealStages are the stages of an agreement that a deal's outcome moves
// its lead to.
type DealStages struct {
	// Won is the last stage of the path (customer): a won deal's lead
	// goes there.
	Won string
	// Lost is the first non-final exit (recycled): a lost deal's lead goes
	// there; "" for none.
	Lost string
	// Final holds the stages no lead leaves.
	Final map[string]bool
}

// NewDealStages returns the deal stages of the agreement.
func NewDealStages(a *agreement.Agreement) DealStages {
	st := DealStages{Final: map[string]bool{}}
	if path := a.PathStages(); len(path) > 0 {
		st.Won = path[len(path)-1]
	}
	for _, s := range a.Stages {
		if s.Final {
			st.Final[s.Name] = true
		}
		if s.Exit && !s.Final && st.Lost == "" {
			st.Lost = s.Name
		}
	}
	return st
}

// Settle says where the closed deal d moves its lead, which is in stage
// leadStage, and the reason recorded with the move:
//   - won: to the won stage, "deal N won";
//   - lost: to the lost stage, "deal N lost: CODE", unless the lead is in a
//     final stage (a customer's lost upsell leaves it a customer) or
//     otherOpen says it has another open deal.
//
// It returns "" for a deal that moves the lead nowhere, and leadStage
// itself when the lead is where the deal would send it already.
func (st DealStages) Settle(d tandem.Deal, leadStage string, otherOpen bool) (to, reason string) {
	switch d.Stage {
	case tandem.DealWon:
		return st.Won, fmt.Sprintf("deal %d won", d.ID)
	case tandem.DealLost:
		if st.Final[leadStage] || otherOpen {
			return "", ""
		}
		return st.Lost, fmt.Sprintf("deal %d lost: %s", d.ID, d.LostReason)
	}
	return "", ""
}
