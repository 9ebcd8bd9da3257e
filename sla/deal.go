package sla

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"time"

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
	// Open lists the open deal stages of the agreement's pipeline, in
	// order: a deal opens in the first.
	Open []string
	// Probability holds the agreed chance that a deal in an open stage is
	// won, for the stages that have one.
	Probability map[string]float64
}

// NewDealStages returns the deal stages of the agreement.
func NewDealStages(a *agreement.Agreement) DealStages {
	st := DealStages{Final: map[string]bool{}, Open: a.Pipeline.StageNames(), Probability: map[string]float64{}}
	for _, s := range a.Pipeline.Stages {
		if s.Probability != nil {
			st.Probability[s.Name] = *s.Probability
		}
	}
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

// First returns the open stage a deal opens in: the pipeline's first.
func (st DealStages) First() string {
	if len(st.Open) == 0 {
		return ""
	}
	return st.Open[0]
}

// Names returns every deal stage name an input may give, for messages:
// open (any open stage), the open stages, won and lost.
func (st DealStages) Names() []string {
	return slices.Concat([]string{tandem.DealOpen}, st.Open, []string{tandem.DealWon, tandem.DealLost})
}

// Resolve reads a deal stage name as an input gives it (an import's stage
// column, the API's stage filter): "open" stands for any open stage, and
// gives no pipeline stage; an open stage of the pipeline gives the open
// deal stage and itself; "won" and "lost" give themselves. Any other name is
// an EINVALID error naming the field "stage".
func (st DealStages) Resolve(name string) (stage, pipelineStage string, err error) {
	switch {
	case name == tandem.DealOpen || name == tandem.DealWon || name == tandem.DealLost:
		return name, "", nil
	case slices.Contains(st.Open, name):
		return tandem.DealOpen, name, nil
	}
	return "", "", tandem.Invalid(tandem.FieldError{Field: "stage",
		Message: fmt.Sprintf("%q is not a deal stage of the agreement (want one of %s)", name, strings.Join(st.Names(), ", "))})
}

// Opened returns the open stage of a deal that opens: want, the stage its
// input names, or else the first.
func (st DealStages) Opened(want string) string {
	if want != "" {
		return want
	}
	return st.First()
}

// Move returns the ledger event of moving the open deal d to the open
// stage to, with the deal after the move, dated at. It reports false when
// the deal is in that stage already. Errors: ECONFLICT for a closed deal
// (it is won or lost, which its own calls do), EINVALID naming "stage" for
// a name that is not an open stage of the pipeline.
func (st DealStages) Move(d tandem.Deal, to string, at time.Time) (tandem.Deal, tandem.Event, bool, error) {
	if d.Closed() {
		return d, tandem.Event{}, false, tandem.Errorf(tandem.ECONFLICT, "deal %d is %s already (closed %s): a closed deal does not move",
			d.ID, d.Stage, tandem.FormatTime(d.ClosedAt))
	}
	if !slices.Contains(st.Open, to) {
		msg := fmt.Sprintf("%q is not an open deal stage of the agreement (want one of %s)", to, strings.Join(st.Open, ", "))
		if to == tandem.DealWon || to == tandem.DealLost {
			msg = fmt.Sprintf("a deal is %s with its own call, which records its amount or reason: POST /api/v1/deals/%d/%s", to, d.ID, to)
		}
		return d, tandem.Event{}, false, tandem.Invalid(tandem.FieldError{Field: "stage", Message: msg})
	}
	if d.PipelineStage == to {
		return d, tandem.Event{}, false, nil
	}
	ev := tandem.Event{Type: tandem.EventDealStageChanged, OccurredAt: at, Detail: map[string]string{
		"deal": strconv.FormatInt(d.ID, 10), "from": d.PipelineStage, "to": to}}
	d = d.Clone()
	d.PipelineStage, d.StageChangedAt = to, at
	return d, ev, true, nil
}
