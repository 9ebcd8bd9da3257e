package tandem_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

// ledger is the history of lead 7: imported in 2017, updated when Tandem
// learned its company, moved to mql by the rule, then accepted by a rep.
func ledger() []tandem.Event {
	t1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(2 * time.Hour)
	return []tandem.Event{
		{ID: 1, LeadID: 7, Type: tandem.EventCreated, OccurredAt: history, Actor: "import:olist.csv",
			Changes: []tandem.FieldChange{{Field: "source", To: "olist"}, {Field: "external_id", To: "x1"},
				{Field: "email", To: "ana@example.com"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: "2017-06-14T00:00:00Z"}}},
		{ID: 2, LeadID: 7, Type: tandem.EventUpdated, OccurredAt: t1, Actor: "token:zap",
			Changes: []tandem.FieldChange{{Field: "company", To: "Acme"}, {Field: "score", To: "70"}, {Field: "attributes.tier", To: "gold"}}},
		{ID: 3, LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: t1, Actor: "rule", Rule: mqlRule,
			Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "mql"}}},
		{ID: 4, LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: t2, Actor: "user:rex@example.com", Reason: "called, a fit",
			Changes: []tandem.FieldChange{{Field: "stage", From: "mql", To: "sal"}}},
	}
}

func TestReplay(t *testing.T) {
	t1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(2 * time.Hour)
	events := ledger()
	tests := []struct {
		name    string
		events  []tandem.Event
		want    tandem.Lead
		wantErr string
	}{
		{name: "no events", events: nil, want: tandem.Lead{}},
		{
			name:   "created",
			events: events[:1],
			want: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Stage: "lead",
				CreatedAt: history, UpdatedAt: history, StageChangedAt: history, Version: 1},
		},
		{
			name:   "the whole history",
			events: events,
			want: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Company: "Acme", Score: 70, Stage: "sal",
				Attributes: map[string]string{"tier": "gold"}, CreatedAt: history, UpdatedAt: t2, StageChangedAt: t2, Version: 4},
		},
		{
			name:    "a history that does not start with created",
			events:  events[1:],
			wantErr: "event 2: updated before the lead was created",
		},
		{
			name:    "created twice",
			events:  []tandem.Event{events[0], events[0]},
			wantErr: "event 1: lead 7 created twice",
		},
		{
			name: "an unknown field",
			events: append(events[:1:1], tandem.Event{ID: 9, LeadID: 7, Type: tandem.EventUpdated, OccurredAt: t1,
				Changes: []tandem.FieldChange{{Field: "colour", To: "blue"}}}),
			wantErr: `event 9: unknown field "colour"`,
		},
		{
			name: "a value the field does not take",
			events: append(events[:1:1], tandem.Event{ID: 9, LeadID: 7, Type: tandem.EventUpdated, OccurredAt: t1,
				Changes: []tandem.FieldChange{{Field: "score", To: "high"}}}),
			wantErr: `event 9: score: "high" is not a whole number`,
		},
	}
	for _, tt := range tests {
		got, err := tandem.Replay(tt.events)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Replay(%s) = %v; want error %q", tt.name, err, tt.wantErr)
			}
			if diff := cmp.Diff(tandem.Lead{}, got); diff != "" {
				t.Errorf("Replay(%s) failed but returned a lead:\n%s", tt.name, diff)
			}
			continue
		}
		if err != nil {
			t.Errorf("Replay(%s) = %v; want no error", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Replay(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestAsOf(t *testing.T) {
	t1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(2 * time.Hour)
	created := tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Stage: "lead",
		CreatedAt: history, UpdatedAt: history, StageChangedAt: history, Version: 1}
	mql := tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Company: "Acme", Score: 70, Stage: "mql",
		Attributes: map[string]string{"tier": "gold"}, CreatedAt: history, UpdatedAt: t1, StageChangedAt: t1, Version: 3}
	sal := mql
	sal.Stage, sal.UpdatedAt, sal.StageChangedAt, sal.Version = "sal", t2, t2, 4
	tests := []struct {
		at     time.Time
		want   tandem.Lead
		exists bool
	}{
		{history.Add(-time.Nanosecond), tandem.Lead{}, false}, // before creation: the lead did not exist
		{history, created, true},                              // an event counts from the instant it occurs
		{t1.Add(-time.Second), created, true},
		{t1, mql, true},
		{t2.Add(-time.Second), mql, true},
		{t2, sal, true},
		{t2.AddDate(1, 0, 0), sal, true},
	}
	for _, tt := range tests {
		got, ok, err := tandem.AsOf(ledger(), tt.at)
		if err != nil || ok != tt.exists {
			t.Errorf("AsOf(ledger, %v) = %v, %v; want %v, nil", tt.at, ok, err, tt.exists)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("AsOf(ledger, %v) (-want +got):\n%s", tt.at, diff)
		}
	}
	// A ledger whose first event is not a creation is no lead at any time.
	if _, ok, err := tandem.AsOf(ledger()[1:], t2); ok || err != nil {
		t.Errorf("AsOf(ledger without created, %v) = %v, %v; want false, nil", t2, ok, err)
	}
}

func TestApplyDoesNotShareAttributes(t *testing.T) {
	// Clone must not share attributes, or a change computed for a new
	// version of the lead would also edit the old one.
	l := tandem.Lead{Attributes: map[string]string{"tier": "gold"}}
	c := l.Clone()
	c.Attributes["tier"] = "silver"
	if l.Attributes["tier"] != "gold" {
		t.Errorf("Clone() shares attributes: the original now has tier %q", l.Attributes["tier"])
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		err           error
		code, message string
	}{
		{nil, "", ""},
		{tandem.Errorf(tandem.ENOTFOUND, "lead %d not found", 9), tandem.ENOTFOUND, "lead 9 not found"},
		{tandem.Invalid(tandem.FieldError{Field: "email", Message: "bad"}, tandem.FieldError{Field: "score", Message: "worse"}),
			tandem.EINVALID, "email: bad; score: worse"},
		{&tandem.Error{Code: tandem.EINVALID, Message: "file.yaml:1:1: oops", Fields: []tandem.FieldError{{Field: "1:1", Message: "oops"}}},
			tandem.EINVALID, "file.yaml:1:1: oops"},
		{errWrap{tandem.Errorf(tandem.ECONFLICT, "taken")}, tandem.ECONFLICT, "taken"},
		{errWrap{nil}, tandem.EINTERNAL, "internal error"}, // nothing internal leaks
	}
	for _, tt := range tests {
		if code, msg := tandem.ErrorCode(tt.err), tandem.ErrorMessage(tt.err); code != tt.code || msg != tt.message {
			t.Errorf("ErrorCode, ErrorMessage(%v) = %q, %q; want %q, %q", tt.err, code, msg, tt.code, tt.message)
		}
	}
}

// errWrap is an error that wraps another, as fmt.Errorf("...: %w") does.
type errWrap struct{ err error }

func (e errWrap) Error() string { return "wrapped: some detail" }
func (e errWrap) Unwrap() error { return e.err }
