package tandem_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
)

// now is when every test's changes are recorded.
var now = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// history is a date in an imported lead's past.
var history = time.Date(2017, 6, 14, 0, 0, 0, 0, time.UTC)

// mqlRule is the entry rule of mql in the default agreement, as Advance
// reports it.
const mqlRule = `mql: score >= 60 and email != ""`

// signed returns the lifecycle of the default agreement stored as version 1
// and signed: the same stages as agreement.DefaultLifecycle, with its rules.
func signed(t testing.TB) tandem.Lifecycle {
	t.Helper()
	a, err := agreement.Parse("a.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("agreement.Parse(a.yaml, Default()) = %v", err)
	}
	return a.Lifecycle(1)
}

// fields builds a map from name, value pairs.
func fields(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func ts(t time.Time) string { return tandem.FormatTime(t) }

// existing returns a stored lead as intake would have created it, with id 7
// and one event, in stage, created in history.
func existing(stage string) *tandem.Lead {
	return &tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Score: 10, Stage: stage,
		CreatedAt: history, UpdatedAt: history, StageChangedAt: history, Version: 1}
}

func TestIntake(t *testing.T) {
	def, sig := agreement.DefaultLifecycle(), signed(t)
	tests := []struct {
		name string
		cur  *tandem.Lead
		in   tandem.LeadInput
		lc   tandem.Lifecycle
		want tandem.Change
	}{
		{
			name: "a new lead gets the initial stage and is created at its created_at",
			in:   tandem.LeadInput{Fields: fields("external_id", "a1", "email", "ana@example.com", "created_at", "2017-06-14")},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "a1", Email: "ana@example.com", Stage: "lead",
					CreatedAt: history, UpdatedAt: history, StageChangedAt: history, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: history, Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "external_id", To: "a1"}, {Field: "email", To: "ana@example.com"},
						{Field: "stage", To: "lead"}, {Field: "created_at", To: "2017-06-14T00:00:00Z"},
					}}},
			},
		},
		{
			name: "a new lead without created_at is created now, with its own source",
			in:   tandem.LeadInput{Fields: fields("source", "form", "company", "Acme", "attributes.tier", "gold")},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "form", Company: "Acme", Stage: "lead", Attributes: map[string]string{"tier": "gold"},
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "source", To: "form"}, {Field: "company", To: "Acme"}, {Field: "stage", To: "lead"},
						{Field: "created_at", To: ts(now)}, {Field: "attributes.tier", To: "gold"},
					}}},
			},
		},
		{
			name: "under the signed agreement the mql rule fires",
			in:   tandem.LeadInput{Fields: fields("external_id", "a2", "email", "bo@example.com", "score", "75")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "a2", Email: "bo@example.com", Score: 75, Stage: "mql",
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 2},
				Events: []tandem.Event{
					{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap", AgreementVersion: 1,
						Changes: []tandem.FieldChange{
							{Field: "source", To: "web"}, {Field: "external_id", To: "a2"}, {Field: "email", To: "bo@example.com"},
							{Field: "score", To: "75"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: ts(now)},
						}},
					{Type: tandem.EventStageChanged, OccurredAt: now, Actor: "rule", AgreementVersion: 1, Rule: mqlRule,
						Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "mql"}}},
				},
			},
		},
		{
			name: "a rule fires at the imported date of the change that made it true",
			in:   tandem.LeadInput{Fields: fields("external_id", "a3", "email", "cy@example.com", "score", "60", "created_at", "2017-06-14")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "a3", Email: "cy@example.com", Score: 60, Stage: "mql",
					CreatedAt: history, UpdatedAt: history, StageChangedAt: history, Version: 2},
				Events: []tandem.Event{
					{Type: tandem.EventCreated, OccurredAt: history, Actor: "token:zap", AgreementVersion: 1,
						Changes: []tandem.FieldChange{
							{Field: "source", To: "web"}, {Field: "external_id", To: "a3"}, {Field: "email", To: "cy@example.com"},
							{Field: "score", To: "60"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: "2017-06-14T00:00:00Z"},
						}},
					{Type: tandem.EventStageChanged, OccurredAt: history, Actor: "rule", AgreementVersion: 1, Rule: mqlRule,
						Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "mql"}}},
				},
			},
		},
		{
			name: "no rule fires under the default lifecycle",
			in:   tandem.LeadInput{Fields: fields("external_id", "a2", "email", "bo@example.com", "score", "75")},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "a2", Email: "bo@example.com", Score: 75, Stage: "lead",
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "external_id", To: "a2"}, {Field: "email", To: "bo@example.com"},
						{Field: "score", To: "75"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: ts(now)},
					}}},
			},
		},
		{
			name: "a score under the rule leaves the lead where it is",
			in:   tandem.LeadInput{Fields: fields("email", "dee@example.com", "score", "59")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", Email: "dee@example.com", Score: 59, Stage: "lead",
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap", AgreementVersion: 1,
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "email", To: "dee@example.com"}, {Field: "score", To: "59"},
						{Field: "stage", To: "lead"}, {Field: "created_at", To: ts(now)},
					}}},
			},
		},
		{
			name: "a new lead may name its stage",
			in:   tandem.LeadInput{Fields: fields("external_id", "c1", "stage", "customer")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "c1", Stage: "customer",
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap", AgreementVersion: 1,
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "external_id", To: "c1"}, {Field: "stage", To: "customer"},
						{Field: "created_at", To: ts(now)},
					}}},
			},
		},
		{
			name: "an update records each field from and to",
			cur:  existing("lead"),
			in:   tandem.LeadInput{Fields: fields("external_id", "x1", "email", "ana@new.example", "company", "Acme", "score", "10")},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@new.example", Company: "Acme", Score: 10, Stage: "lead",
					CreatedAt: history, UpdatedAt: now, StageChangedAt: history, Version: 2},
				Events: []tandem.Event{{LeadID: 7, Type: tandem.EventUpdated, OccurredAt: now, Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "email", From: "ana@example.com", To: "ana@new.example"}, {Field: "company", To: "Acme"},
					}}},
			},
		},
		{
			name: "an update that meets the rule moves the lead too",
			cur:  existing("lead"),
			in:   tandem.LeadInput{Fields: fields("score", "80")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Score: 80, Stage: "mql",
					CreatedAt: history, UpdatedAt: now, StageChangedAt: now, Version: 3},
				Events: []tandem.Event{
					{LeadID: 7, Type: tandem.EventUpdated, OccurredAt: now, Actor: "token:zap", AgreementVersion: 1,
						Changes: []tandem.FieldChange{{Field: "score", From: "10", To: "80"}}},
					{LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: now, Actor: "rule", AgreementVersion: 1, Rule: mqlRule,
						Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "mql"}}},
				},
			},
		},
		{
			name: "an input that changes nothing records nothing",
			cur:  existing("sal"),
			in:   tandem.LeadInput{Fields: fields("source", "olist", "external_id", "x1", "email", "ana@example.com", "score", "10.0", "created_at", "2017-06-14", "stage", "sal")},
			lc:   sig,
			want: tandem.Change{Status: tandem.StatusUnchanged, Lead: *existing("sal")},
		},
		{
			name: "empty values change nothing: intake never clears a field",
			cur:  existing("lead"),
			in:   tandem.LeadInput{Fields: fields("email", "", "score", "", "stage", "", "attributes.tier", "")},
			lc:   def,
			want: tandem.Change{Status: tandem.StatusUnchanged, Lead: *existing("lead")},
		},
		{
			name: "initial values fill a new lead, under the input's own fields",
			in: tandem.LeadInput{Fields: fields("external_id", "m1", "origin", "social", "campaign", ""),
				Initial: fields("stage", "mql", "origin", "email", "campaign", "spring")},
			lc: def,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "m1", Origin: "social", Campaign: "spring", Stage: "mql",
					CreatedAt: now, UpdatedAt: now, StageChangedAt: now, Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now, Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "external_id", To: "m1"}, {Field: "origin", To: "social"},
						{Field: "campaign", To: "spring"}, {Field: "stage", To: "mql"}, {Field: "created_at", To: ts(now)},
					}}},
			},
		},
		{
			name: "initial values never touch an existing lead: a re-imported customer stays customer",
			cur:  existing("customer"),
			in:   tandem.LeadInput{Fields: fields("source", "olist", "external_id", "x1"), Initial: fields("stage", "mql", "origin", "social")},
			lc:   sig,
			want: tandem.Change{Status: tandem.StatusUnchanged, Lead: *existing("customer")},
		},
		{
			name: "a stage on an existing lead is a manual move, with the input's reason",
			cur:  existing("mql"),
			in:   tandem.LeadInput{Fields: fields("stage", "sal"), Reason: "accepted in the CRM"},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Score: 10, Stage: "sal",
					CreatedAt: history, UpdatedAt: now, StageChangedAt: now, Version: 2},
				Events: []tandem.Event{{LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: now, Actor: "token:zap",
					Reason: "accepted in the CRM", AgreementVersion: 1, Changes: []tandem.FieldChange{{Field: "stage", From: "mql", To: "sal"}}}},
			},
		},
		{
			name: "a manual move records its reason",
			cur:  existing("lead"),
			in:   tandem.LeadInput{Fields: fields("stage", "disqualified", "company", "Rival Inc"), Reason: "works for a rival"},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Company: "Rival Inc", Score: 10,
					Stage: "disqualified", CreatedAt: history, UpdatedAt: now, StageChangedAt: now, Version: 3},
				Events: []tandem.Event{
					{LeadID: 7, Type: tandem.EventUpdated, OccurredAt: now, Actor: "token:zap",
						Changes: []tandem.FieldChange{{Field: "company", To: "Rival Inc"}}},
					{LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: now, Actor: "token:zap", Reason: "works for a rival",
						Changes: []tandem.FieldChange{{Field: "stage", From: "lead", To: "disqualified"}}},
				},
			},
		},
		{
			name: "a recycled lead that meets the rule again goes back to mql",
			cur:  existing("recycled"),
			in:   tandem.LeadInput{Fields: fields("score", "90")},
			lc:   sig,
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Score: 90, Stage: "mql",
					CreatedAt: history, UpdatedAt: now, StageChangedAt: now, Version: 3},
				Events: []tandem.Event{
					{LeadID: 7, Type: tandem.EventUpdated, OccurredAt: now, Actor: "token:zap", AgreementVersion: 1,
						Changes: []tandem.FieldChange{{Field: "score", From: "10", To: "90"}}},
					{LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: now, Actor: "rule", AgreementVersion: 1, Rule: mqlRule,
						Changes: []tandem.FieldChange{{Field: "stage", From: "recycled", To: "mql"}}},
				},
			},
		},
		{
			name: "created_at may be up to a day ahead, for clocks that differ",
			in:   tandem.LeadInput{Fields: fields("external_id", "f1", "created_at", ts(now.Add(23*time.Hour)))},
			lc:   def,
			want: tandem.Change{
				Status: tandem.StatusCreated,
				Lead: tandem.Lead{Source: "web", ExternalID: "f1", Stage: "lead", CreatedAt: now.Add(23 * time.Hour), UpdatedAt: now.Add(23 * time.Hour),
					StageChangedAt: now.Add(23 * time.Hour), Version: 1},
				Events: []tandem.Event{{Type: tandem.EventCreated, OccurredAt: now.Add(23 * time.Hour), Actor: "token:zap",
					Changes: []tandem.FieldChange{
						{Field: "source", To: "web"}, {Field: "external_id", To: "f1"}, {Field: "stage", To: "lead"}, {Field: "created_at", To: ts(now.Add(23 * time.Hour))},
					}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before tandem.Lead
			if tt.cur != nil {
				before = tt.cur.Clone()
			}
			got, err := tandem.Intake(tt.cur, tt.in, tt.lc, "web", "token:zap", now)
			if err != nil {
				t.Fatalf("Intake(%v, %v) = %v; want no error", tt.cur, tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Intake(%v, %v) (-want +got):\n%s", tt.cur, tt.in, diff)
			}
			if tt.cur != nil {
				if diff := cmp.Diff(before, *tt.cur); diff != "" {
					t.Errorf("Intake changed the lead it was given (-before +after):\n%s", diff)
				}
			}
			checkReplays(t, tt.cur, got)
		})
	}
}

// checkReplays checks that the change's events, applied to the lead before
// it, give the lead after it, exactly.
func checkReplays(t testing.TB, cur *tandem.Lead, ch tandem.Change) {
	t.Helper()
	var l tandem.Lead
	if cur != nil {
		l = cur.Clone()
	}
	for i := range ch.Events {
		if err := l.Apply(&ch.Events[i]); err != nil {
			t.Fatalf("Apply(event %d of the change) = %v; want the change to replay", i, err)
		}
	}
	if diff := cmp.Diff(normal(ch.Lead), normal(l)); diff != "" {
		t.Errorf("the change's events replay to another lead (-change +replayed):\n%s", diff)
	}
	if (ch.Status == tandem.StatusUnchanged) != (len(ch.Events) == 0) {
		t.Errorf("change status %s with %d events; want events exactly when something changed", ch.Status, len(ch.Events))
	}
}

// normal makes nil and empty attributes equal: a lead whose last attribute
// was cleared holds an empty map.
func normal(l tandem.Lead) tandem.Lead {
	if len(l.Attributes) == 0 {
		l.Attributes = nil
	}
	return l
}

func TestIntakeErrors(t *testing.T) {
	def := agreement.DefaultLifecycle()
	long := strings.Repeat("x", tandem.MaxTextLen+1)
	hundred := map[string]string{"external_id": "h1"}
	for i := range tandem.MaxAttributes {
		hundred[fmt.Sprintf("attributes.a%03d", i)] = "v"
	}
	full := existing("lead")
	full.Attributes = map[string]string{}
	for i := range tandem.MaxAttributes {
		full.Attributes[fmt.Sprintf("a%03d", i)] = "v"
	}
	tests := []struct {
		name string
		cur  *tandem.Lead
		in   map[string]string
		want []tandem.FieldError // nil: accepted
	}{
		{
			name: "every bad field is named, sorted by name",
			in: fields("score", "high", "email", "nope", "colour", "blue", "stage", "won", "created_at", "yesterday",
				"attributes.Bad Key", "x", "company", "Acme"),
			want: []tandem.FieldError{
				{Field: "attributes.Bad Key", Message: "no such lead field"},
				{Field: "colour", Message: "no such lead field"},
				{Field: "created_at", Message: `"yesterday" is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)`},
				{Field: "email", Message: `"nope" is not an email address`},
				{Field: "score", Message: `"high" is not a whole number`},
				{Field: "stage", Message: `no stage "won" in the agreement`},
			},
		},
		{name: "invalid UTF-8", in: fields("company", "Lojas \xe9"), want: []tandem.FieldError{{Field: "company", Message: "not valid UTF-8"}}},
		{name: "invalid UTF-8 in an attribute", in: fields("attributes.note", "\xff"), want: []tandem.FieldError{{Field: "attributes.note", Message: "not valid UTF-8"}}},
		{name: "NUL byte", in: fields("first_name", "Ana\x00"), want: []tandem.FieldError{{Field: "first_name", Message: "contains a NUL byte"}}},
		{name: "over-long text", in: fields("title", long, "last_name", long), want: []tandem.FieldError{
			{Field: "last_name", Message: "longer than 1000 characters"}, {Field: "title", Message: "longer than 1000 characters"}}},
		{name: "text at the limit", in: fields("external_id", "t1", "title", long[1:])},
		{name: "a new lead needs something to know it by", in: fields("title", "CFO", "score", "70"),
			want: []tandem.FieldError{{Field: "external_id", Message: "a new lead needs something to know it by: external_id, email, phone, company or a name"}}},
		{name: "score over the range", in: fields("score", "1000001"), want: []tandem.FieldError{{Field: "score", Message: "1000001 is out of range (±1000000)"}}},
		{name: "score under the range", in: fields("score", "-2000000"), want: []tandem.FieldError{{Field: "score", Message: "-2000000 is out of range (±1000000)"}}},
		{name: "owner_id not positive", in: fields("owner_id", "0"), want: []tandem.FieldError{{Field: "owner_id", Message: `"0" is not a positive whole number`}}},
		{name: "created_at in the future", in: fields("created_at", ts(now.Add(25*time.Hour))), want: []tandem.FieldError{{Field: "created_at", Message: "is in the future"}}},
		{name: "created_at of an existing lead moved into the future", cur: existing("lead"), in: fields("created_at", "2030-01-01"),
			want: []tandem.FieldError{{Field: "created_at", Message: "is in the future"}}},
		{name: "created_at out of range", in: fields("created_at", "0000-01-01T00:00:00+01:00"),
			want: []tandem.FieldError{{Field: "created_at", Message: `"0000-01-01T00:00:00+01:00" is out of range (want a year between 1 and 9999)`}}},
		{name: "a stage not in the agreement", in: fields("stage", "won"), want: []tandem.FieldError{{Field: "stage", Message: `no stage "won" in the agreement`}}},
		{name: "a stage set by hand must be a move the agreement allows", cur: existing("customer"), in: fields("stage", "mql"),
			want: []tandem.FieldError{{Field: "stage", Message: "customer is final: no lead leaves it"}}},
		{name: "a stage set by hand needs a reason", cur: existing("lead"), in: fields("stage", "disqualified"),
			want: []tandem.FieldError{{Field: "reason", Message: "moving lead 7 from lead to disqualified by hand needs a reason"}}},
		{name: "no moving backwards", cur: existing("sal"), in: fields("stage", "lead", "company", "Acme"),
			want: []tandem.FieldError{{Field: "stage", Message: "lead comes before sal in the lifecycle: moves go forward, or out to recycled or disqualified"}}},
		{name: "the key of an existing lead cannot change", cur: existing("lead"), in: fields("source", "hubspot"),
			want: []tandem.FieldError{{Field: "external_id", Message: "source and external_id identify a lead and cannot change"}}},
		{name: "valid attribute keys", in: fields("external_id", "v1", "attributes.landing_page_id", "lp", "attributes.a-b", "x", "attributes."+strings.Repeat("k", 64), "y")},
		{name: "invalid attribute keys", in: fields("attributes.", "x", "attributes.Tier", "y", "attributes."+strings.Repeat("k", 65), "z"),
			want: []tandem.FieldError{
				{Field: "attributes.", Message: "no such lead field"},
				{Field: "attributes.Tier", Message: "no such lead field"},
				{Field: "attributes." + strings.Repeat("k", 65), Message: "no such lead field"},
			}},
		{name: "a hundred attributes", in: hundred},
		{name: "a hundred and one attributes", in: merge(hundred, fields("attributes.a100", "v")),
			want: []tandem.FieldError{{Field: "attributes.a100", Message: "a lead holds at most 100 attributes"}}},
		{name: "a full lead changes its attributes", cur: full, in: fields("attributes.a000", "w")},
		{name: "a full lead takes no new attribute", cur: full, in: fields("attributes.b", "w"),
			want: []tandem.FieldError{{Field: "attributes.b", Message: "a lead holds at most 100 attributes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tandem.LeadInput{Fields: tt.in}
			ch, err := tandem.Intake(tt.cur, in, def, "web", "test", now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Intake(%v) = %v; want it accepted", tt.in, err)
				}
				checkReplays(t, tt.cur, ch)
				return
			}
			if err == nil {
				t.Fatalf("Intake(%v) = %+v; want error fields %v", tt.in, ch, tt.want)
			}
			if code := tandem.ErrorCode(err); code != tandem.EINVALID {
				t.Errorf("Intake(%v) error code = %q; want %q", tt.in, code, tandem.EINVALID)
			}
			if diff := cmp.Diff(tt.want, tandem.ErrorFields(err)); diff != "" {
				t.Errorf("Intake(%v) error fields (-want +got):\n%s", tt.in, diff)
			}
			if diff := cmp.Diff(tandem.Change{}, ch); diff != "" {
				t.Errorf("Intake(%v) failed but returned a change:\n%s", tt.in, diff)
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestMove(t *testing.T) {
	sig := signed(t)
	tests := []struct {
		name         string
		from, to     string
		reason       string
		want         tandem.Change // when code is ""
		code, errMsg string
		errFields    []tandem.FieldError
	}{
		{
			name: "a move the agreement allows", from: "mql", to: "sal", reason: "called, a fit",
			want: tandem.Change{
				Status: tandem.StatusUpdated,
				Lead: tandem.Lead{ID: 7, Source: "olist", ExternalID: "x1", Email: "ana@example.com", Score: 10, Stage: "sal",
					CreatedAt: history, UpdatedAt: now, StageChangedAt: now, Version: 2},
				Events: []tandem.Event{{LeadID: 7, Type: tandem.EventStageChanged, OccurredAt: now, Actor: "user:sam@example.com",
					Reason: "called, a fit", AgreementVersion: 1, Changes: []tandem.FieldChange{{Field: "stage", From: "mql", To: "sal"}}}},
			},
		},
		{
			name: "to the stage the lead is in", from: "sal", to: "sal", reason: "no-op",
			want: tandem.Change{Status: tandem.StatusUnchanged, Lead: *existing("sal")},
		},
		{
			name: "without a reason", from: "mql", to: "sal",
			code: tandem.EINVALID, errFields: []tandem.FieldError{{Field: "reason", Message: "a manual stage change needs a reason"}},
		},
		{
			name: "to an unknown stage", from: "mql", to: "won", reason: "closed",
			code: tandem.EINVALID, errFields: []tandem.FieldError{{Field: "stage", Message: `no stage "won" in the agreement`}},
		},
		{
			name: "a reason with a NUL byte", from: "mql", to: "sal", reason: "ok\x00",
			code: tandem.EINVALID, errFields: []tandem.FieldError{{Field: "reason", Message: "contains a NUL byte"}},
		},
		{
			name: "a reason that is not UTF-8", from: "mql", to: "sal", reason: "ok\xff",
			code: tandem.EINVALID, errFields: []tandem.FieldError{{Field: "reason", Message: "not valid UTF-8"}},
		},
		{
			name: "an over-long reason", from: "mql", to: "sal", reason: strings.Repeat("r", tandem.MaxTextLen+1),
			code: tandem.EINVALID, errFields: []tandem.FieldError{{Field: "reason", Message: "longer than 1000 characters"}},
		},
		{
			name: "out of a final stage", from: "customer", to: "mql", reason: "re-qualify",
			code: tandem.ECONFLICT, errMsg: "lead 7 cannot move from customer to mql: customer is final: no lead leaves it",
		},
		{
			name: "backwards", from: "opportunity", to: "lead", reason: "start over",
			code:   tandem.ECONFLICT,
			errMsg: "lead 7 cannot move from opportunity to lead: lead comes before opportunity in the lifecycle: moves go forward, or out to recycled or disqualified",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := *existing(tt.from)
			got, err := tandem.Move(cur, tt.to, tt.reason, sig, "user:sam@example.com", now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Move(%s → %s) = %v; want no error", tt.from, tt.to, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Move(%s → %s) (-want +got):\n%s", tt.from, tt.to, diff)
				}
				checkReplays(t, &cur, got)
				return
			}
			if code := tandem.ErrorCode(err); code != tt.code {
				t.Fatalf("Move(%s → %s) = %v (%s); want code %s", tt.from, tt.to, err, code, tt.code)
			}
			if diff := cmp.Diff(tt.errFields, tandem.ErrorFields(err)); diff != "" {
				t.Errorf("Move(%s → %s) error fields (-want +got):\n%s", tt.from, tt.to, diff)
			}
			if tt.errMsg != "" && tandem.ErrorMessage(err) != tt.errMsg {
				t.Errorf("Move(%s → %s) = %q; want %q", tt.from, tt.to, tandem.ErrorMessage(err), tt.errMsg)
			}
		})
	}
}

// TestIntakeReasonIsChecked: the reason of a stage set by an input is
// stored in the ledger like any other text.
func TestIntakeReasonIsChecked(t *testing.T) {
	in := tandem.LeadInput{Fields: fields("stage", "sal"), Reason: "bad\x00reason"}
	_, err := tandem.Intake(existing("mql"), in, signed(t), "web", "test", now)
	want := []tandem.FieldError{{Field: "reason", Message: "contains a NUL byte"}}
	if diff := cmp.Diff(want, tandem.ErrorFields(err)); diff != "" {
		t.Errorf("Intake(%v) error fields (-want +got):\n%s", in, diff)
	}
}

// FuzzIntake feeds Intake random field names and values, on a new lead and
// on an existing one, under both lifecycles. It must not panic; it either
// refuses the input naming each bad field, or returns a change whose events
// replay onto the lead before it to exactly the lead after it. An input
// without a stage is idempotent: sent again, it changes nothing.
func FuzzIntake(f *testing.F) {
	f.Add("email", "ana@example.com", "score", "75", "attributes.tier", "gold", false, true, "")
	f.Add("stage", "customer", "score", "high", "colour", "blue", true, false, "mql")
	f.Add("created_at", "2017-06-14", "external_id", "x1", "source", "olist", true, true, "")
	f.Add("created_at", "0000-01-01T00:00:00+01:00", "company", "a\x00", "title", "\xff", false, false, "")
	f.Add("stage", "recycled", "score", "90", "email", "a@b", true, true, "sal")
	f.Add("score", "1e2", "owner_id", "007", "attributes.", "x", false, true, "customer")
	f.Add("created_at", "0001-01-01T00:00:00Z", "email", "", "score", "-0", false, false, "lead")
	f.Add("created_at", "0000-01-01T00:00:00+01:00", "email", "a@b.io", "score", "1", false, true, "")
	f.Add("created_at", "9999-12-31T23:00:00-02:00", "company", "Acme", "score", "61", true, true, "")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, n3, v3 string, old, rules bool, initialStage string) {
		lc := agreement.DefaultLifecycle()
		if rules {
			lc = fuzzSigned
		}
		var cur *tandem.Lead
		if old {
			cur = existing("mql")
			cur.Attributes = map[string]string{"tier": "silver"}
		}
		in := tandem.LeadInput{Fields: map[string]string{n1: v1, n2: v2, n3: v3}, Reason: v1}
		if initialStage != "" {
			in.Initial = map[string]string{"stage": initialStage}
		}
		ch, err := tandem.Intake(cur, in, lc, "web", "fuzz", now)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) == 0 {
				t.Fatalf("Intake(%q) = %v (%s); want EINVALID with fields", in.Fields, err, tandem.ErrorCode(err))
			}
			return
		}
		checkReplays(t, cur, ch)
		if cur == nil {
			replayed, err := tandem.Replay(ch.Events)
			if err != nil {
				t.Fatalf("Replay(events of a new lead) = %v", err)
			}
			if diff := cmp.Diff(normal(ch.Lead), normal(replayed)); diff != "" {
				t.Fatalf("Replay(events of a new lead) (-change +replayed):\n%s", diff)
			}
		}
		if _, ok := in.Fields["stage"]; ok {
			return
		}
		after := ch.Lead
		again, err := tandem.Intake(&after, in, lc, "web", "fuzz", now.Add(time.Hour))
		if err != nil || again.Status != tandem.StatusUnchanged {
			t.Fatalf("Intake(%q) sent twice: second = %+v, %v; want unchanged", in.Fields, again, err)
		}
	})
}

var fuzzSigned = func() tandem.Lifecycle {
	a, err := agreement.Parse("a.yaml", agreement.Default())
	if err != nil {
		panic(err)
	}
	return a.Lifecycle(1)
}()
