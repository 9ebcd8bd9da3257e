package sla

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Verdict is where an owner's decision on a hand-off moves its lead.
type Verdict struct {
	// To is the stage the lead moves to: the accept, reject or disqualify
	// stage of the policy.
	To string
	// Reason is recorded with the move: "accepted", "rejected: CODE" or
	// "disqualified: WHY", with the note in parentheses, cut to
	// [tandem.MaxTextLen] characters.
	Reason string
	// RejectReason is the reason code of a rejection, "" otherwise.
	RejectReason string
}

// Decide checks an owner's decision d on lead l's open hand-off h, which
// runs on this policy, and says where it moves the lead: accept (on to the
// accept stage, only from the hand-off stage and only once), reject with
// one of the agreement's reason codes (back to marketing) or disqualify
// with a reason. A reject reason whose after_cadence is true needs the
// agreement's minimum of touches first ([Policy.CheckRecycle]); one whose
// after_cadence is false (a duplicate, bad data) may be given at once,
// within the accept clock, and the caller does not check the touches again.
// EINVALID names note, reason or decision; ECONFLICT for a lead that cannot
// be accepted from where it is, a rejection before the touches its reason
// needs, or a decision the agreement has no stage for.
func (p *Policy) Decide(l tandem.Lead, h tandem.Handoff, d tandem.Decision) (Verdict, error) {
	if err := checkNote("note", d.Note); err != nil {
		return Verdict{}, err
	}
	var v Verdict
	switch d.Decision {
	case tandem.DecisionAccepted:
		if h.Decision != "" || l.Stage != p.HandoffStage {
			return v, tandem.Errorf(tandem.ECONFLICT, "lead %d is in stage %s: only a lead in %s can be accepted", l.ID, l.Stage, p.HandoffStage)
		}
		v.To, v.Reason = p.AcceptStage, "accepted"
	case tandem.DecisionRejected:
		codes := make([]string, len(p.Agreement.RejectReasons))
		for i, r := range p.Agreement.RejectReasons {
			codes[i] = r.Code
		}
		i := slices.Index(codes, d.Reason)
		if i < 0 {
			msg := fmt.Sprintf("%q is not a reject reason of the agreement (want one of %s)", d.Reason, strings.Join(codes, ", "))
			if d.Reason == "" {
				msg = "a rejection needs a reason code from the agreement: one of " + strings.Join(codes, ", ")
			}
			return v, tandem.Invalid(tandem.FieldError{Field: "reason", Message: msg})
		}
		if min := p.Agreement.Sales.MinTouchesBeforeRecycle; p.Agreement.RejectReasons[i].AfterCadence && h.Touches < min {
			var now []string
			for _, r := range p.Agreement.RejectReasons {
				if !r.AfterCadence {
					now = append(now, r.Code)
				}
			}
			msg := fmt.Sprintf("lead %d has %d of the %d touches the agreement asks for before rejecting it as %s (reject_reasons: %s has after_cadence: true): log %d more, or disqualify it",
				l.ID, h.Touches, min, d.Reason, d.Reason, min-h.Touches)
			if len(now) > 0 {
				msg += "; the reasons that need no cadence are " + strings.Join(now, ", ")
			}
			return v, tandem.Errorf(tandem.ECONFLICT, "%s", msg)
		}
		v.To, v.Reason, v.RejectReason = p.RejectStage, "rejected: "+d.Reason, d.Reason
	case tandem.DecisionDisqualified:
		if strings.TrimSpace(d.Reason) == "" {
			return v, tandem.Invalid(tandem.FieldError{Field: "reason", Message: "say why the lead is disqualified"})
		}
		if err := checkNote("reason", d.Reason); err != nil {
			return v, err
		}
		v.To, v.Reason = p.DisqualifyStage, "disqualified: "+d.Reason
	default:
		return v, tandem.Invalid(tandem.FieldError{Field: "decision", Message: fmt.Sprintf("%q is not a decision (want accepted, rejected or disqualified)", d.Decision)})
	}
	if v.To == "" {
		return Verdict{}, tandem.Errorf(tandem.ECONFLICT, "the agreement has no stage to move a %s lead to", d.Decision)
	}
	if d.Note != "" {
		v.Reason += " (" + d.Note + ")"
	}
	if utf8.RuneCountInString(v.Reason) > tandem.MaxTextLen {
		v.Reason = string([]rune(v.Reason)[:tandem.MaxTextLen])
	}
	return v, nil
}

// CheckRecycle refuses, with ECONFLICT, to move the lead of the open
// hand-off h, which runs on this policy, to stage to when that sends it
// back to marketing (the reject stage) before the agreement's minimum
// number of touches.
func (p *Policy) CheckRecycle(h tandem.Handoff, to string) error {
	if min := p.Agreement.Sales.MinTouchesBeforeRecycle; to == p.RejectStage && h.Touches < min {
		return tandem.Errorf(tandem.ECONFLICT, "lead %d has %d of the %d touches the agreement asks for before a lead goes back to marketing: log %d more, or disqualify it",
			h.LeadID, h.Touches, min, min-h.Touches)
	}
	return nil
}

// checkNote checks free text kept in the ledger, naming its field.
func checkNote(field, s string) error {
	if err := tandem.CheckText(s); err != nil {
		return tandem.Invalid(tandem.FieldError{Field: field, Message: err.Error()})
	}
	return nil
}
