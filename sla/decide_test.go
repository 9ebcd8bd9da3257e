package sla

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

func TestDecide(t *testing.T) {
	p := defaultPolicy(t) // hand-off mql, accept sal, reject recycled, disqualify disqualified
	noExit := *p
	noExit.RejectStage, noExit.DisqualifyStage = "", ""
	inMQL := tandem.Lead{ID: 7, Stage: "mql"}
	open := tandem.Handoff{ID: 3, LeadID: 7}
	worked := tandem.Handoff{ID: 3, LeadID: 7, Touches: 6} // the default's min_touches_before_recycle
	long := strings.Repeat("é", tandem.MaxTextLen)
	tests := []struct {
		name string
		p    *Policy
		l    tandem.Lead
		h    tandem.Handoff
		d    tandem.Decision
		want Verdict
		code string
		msg  string // a part of the error's message
	}{
		{name: "accept", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "accepted"},
			want: Verdict{To: "sal", Reason: "accepted"}},
		{name: "accept with a note", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "accepted", Note: "called back"},
			want: Verdict{To: "sal", Reason: "accepted (called back)"}},
		{name: "accept twice", p: p, l: inMQL, h: tandem.Handoff{ID: 3, LeadID: 7, Decision: "accepted"}, d: tandem.Decision{Decision: "accepted"},
			code: tandem.ECONFLICT, msg: "lead 7 is in stage mql: only a lead in mql can be accepted"},
		{name: "accept a lead moved on", p: p, l: tandem.Lead{ID: 7, Stage: "sql"}, h: open, d: tandem.Decision{Decision: "accepted"},
			code: tandem.ECONFLICT, msg: "lead 7 is in stage sql: only a lead in mql can be accepted"},
		{name: "reject", p: p, l: inMQL, h: worked, d: tandem.Decision{Decision: "rejected", Reason: "no_budget"},
			want: Verdict{To: "recycled", Reason: "rejected: no_budget", RejectReason: "no_budget"}},
		// A reason with after_cadence false is given at once, within the
		// accept clock; one with after_cadence true needs the touches.
		{name: "reject a duplicate at once", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected", Reason: "duplicate"},
			want: Verdict{To: "recycled", Reason: "rejected: duplicate", RejectReason: "duplicate"}},
		{name: "reject bad data at once", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected", Reason: "bad_data"},
			want: Verdict{To: "recycled", Reason: "rejected: bad_data", RejectReason: "bad_data"}},
		{name: "reject a wrong contact at once", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected", Reason: "wrong_contact"},
			want: Verdict{To: "recycled", Reason: "rejected: wrong_contact", RejectReason: "wrong_contact"}},
		{name: "reject no response at once", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected", Reason: "no_response"},
			code: tandem.ECONFLICT, msg: "lead 7 has 0 of the 6 touches the agreement asks for before rejecting it as no_response (reject_reasons: no_response has after_cadence: true): log 6 more, or disqualify it; the reasons that need no cadence are wrong_contact, not_a_fit, duplicate, bad_data"},
		{name: "reject no response a touch short", p: p, l: inMQL, h: tandem.Handoff{ID: 3, LeadID: 7, Touches: 5}, d: tandem.Decision{Decision: "rejected", Reason: "no_response"},
			code: tandem.ECONFLICT, msg: "lead 7 has 5 of the 6 touches"},
		{name: "reject no response after the cadence", p: p, l: inMQL, h: worked, d: tandem.Decision{Decision: "rejected", Reason: "no_response"},
			want: Verdict{To: "recycled", Reason: "rejected: no_response", RejectReason: "no_response"}},
		{name: "reject from a later stage", p: p, l: tandem.Lead{ID: 7, Stage: "sql"}, h: open, d: tandem.Decision{Decision: "rejected", Reason: "not_a_fit", Note: "too small"},
			want: Verdict{To: "recycled", Reason: "rejected: not_a_fit (too small)", RejectReason: "not_a_fit"}},
		{name: "reject without a reason", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected"},
			code: tandem.EINVALID, msg: "reason: a rejection needs a reason code from the agreement: one of no_budget, wrong_contact, not_a_fit, duplicate, no_response, bad_data"},
		{name: "reject with a reason not in the agreement", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "rejected", Reason: "too_busy"},
			code: tandem.EINVALID, msg: `reason: "too_busy" is not a reject reason of the agreement`},
		{name: "reject with no reject stage", p: &noExit, l: inMQL, h: worked, d: tandem.Decision{Decision: "rejected", Reason: "no_budget"},
			code: tandem.ECONFLICT, msg: "the agreement has no stage to move a rejected lead to"},
		{name: "disqualify", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "disqualified", Reason: "a competitor"},
			want: Verdict{To: "disqualified", Reason: "disqualified: a competitor"}},
		{name: "disqualify without a reason", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "disqualified", Reason: "  "},
			code: tandem.EINVALID, msg: "reason: say why the lead is disqualified"},
		{name: "disqualify with a NUL", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "disqualified", Reason: "a\x00b"},
			code: tandem.EINVALID, msg: "reason: contains a NUL byte"},
		{name: "disqualify with no stage", p: &noExit, l: inMQL, h: open, d: tandem.Decision{Decision: "disqualified", Reason: "a competitor"},
			code: tandem.ECONFLICT, msg: "the agreement has no stage to move a disqualified lead to"},
		{name: "a bad note comes first", p: p, l: tandem.Lead{ID: 7, Stage: "sql"}, h: open, d: tandem.Decision{Decision: "accepted", Note: "\xff"},
			code: tandem.EINVALID, msg: "note: not valid UTF-8"},
		{name: "not a decision", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "maybe"},
			code: tandem.EINVALID, msg: `decision: "maybe" is not a decision (want accepted, rejected or disqualified)`},
		{name: "a long reason is cut to the limit", p: p, l: inMQL, h: open, d: tandem.Decision{Decision: "disqualified", Reason: "x", Note: long},
			want: Verdict{To: "disqualified", Reason: string([]rune("disqualified: x (" + long)[:tandem.MaxTextLen])}},
	}
	for _, tt := range tests {
		got, err := tt.p.Decide(tt.l, tt.h, tt.d)
		if tt.code != "" {
			if tandem.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%s: Decide(%+v) = %v (%s); want %s: %s", tt.name, tt.d, err, tandem.ErrorCode(err), tt.code, tt.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Decide(%+v) = %v", tt.name, tt.d, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Decide(%+v) (-want +got):\n%s", tt.name, tt.d, diff)
		}
	}
}

func TestCheckRecycle(t *testing.T) {
	p := defaultPolicy(t) // six touches before a lead goes back to marketing
	tests := []struct {
		touches int
		to      string
		want    string // the error's message, "" for none
	}{
		{0, "recycled", "lead 7 has 0 of the 6 touches the agreement asks for before a lead goes back to marketing: log 6 more, or disqualify it"},
		{5, "recycled", "lead 7 has 5 of the 6 touches the agreement asks for before a lead goes back to marketing: log 1 more, or disqualify it"},
		{6, "recycled", ""},
		{9, "recycled", ""},
		{0, "disqualified", ""},
		{0, "sal", ""},
	}
	for _, tt := range tests {
		err := p.CheckRecycle(tandem.Handoff{LeadID: 7, Touches: tt.touches}, tt.to)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckRecycle(%d touches, %s) = %v; want nil", tt.touches, tt.to, err)
		case tt.want != "" && (tandem.ErrorCode(err) != tandem.ECONFLICT || tandem.ErrorMessage(err) != tt.want):
			t.Errorf("CheckRecycle(%d touches, %s) = %v; want conflict: %s", tt.touches, tt.to, err, tt.want)
		}
	}
}
