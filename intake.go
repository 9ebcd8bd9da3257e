package tandem

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Lifecycle is the stage part of the agreement in force: which stages exist,
// which moves between them are possible, and the entry rules that move a lead
// forward on their own. Package agreement compiles one per agreement version.
type Lifecycle interface {
	// Version is the agreement version the lifecycle comes from, 0 for the
	// built-in default used while no signed agreement is in force.
	Version() int
	// Initial is the stage of a new lead that names none.
	Initial() string
	// HasStage reports whether the agreement defines the stage.
	HasStage(stage string) bool
	// CanMove returns nil if a lead may move from one stage to the other by
	// hand, or an error that says why not.
	CanMove(from, to string) error
	// Advance returns the next stage whose entry rule the lead meets, with
	// the rule as written, or ok false when no rule moves the lead. An
	// error says the rule could not decide (it ran over its budget): the
	// lead's change is refused with it.
	Advance(l *Lead) (to, rule string, ok bool, err error)
}

// LeadInput is one lead as a source sends it: field values by name, as
// strings, exactly as [LeadField.Set] reads them. Fields left out, or empty,
// are left as they are on an existing lead.
type LeadInput struct {
	// ID names the existing lead the input changes (the web app's edit
	// form), instead of its (source, external_id); 0 for the key.
	ID     int64 `json:"-"`
	Fields map[string]string
	// Initial holds values for a lead the input creates, under its Fields:
	// an import's constants and defaults, which must never change a lead
	// that exists (re-importing a file of MQLs must not move a customer
	// back to mql).
	Initial map[string]string
	// Reason explains a stage the input sets on an existing lead.
	Reason string
}

// Intake outcomes, per input.
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
	StatusRejected  = "rejected"
)

// Change is what one use case does to one lead: the lead after, and the
// events that take it there from before.
type Change struct {
	Lead   Lead
	Events []Event
	Status string
}

// Key returns the input's identity for idempotent intake: its source
// (defaulting to an import's constant source, then to defaultSource) and
// external id. The source a new lead is created with must be the one it is
// found by when it is sent again, or the resend inserts it twice.
func (in *LeadInput) Key(defaultSource string) (source, externalID string) {
	source = in.Fields["source"]
	if source == "" {
		source = in.Initial["source"]
	}
	if source == "" {
		source = defaultSource
	}
	return source, in.Fields["external_id"]
}

// Intake decides what an input does to a lead: cur is the lead with the
// input's key, or nil if there is none. It validates every field, records
// the changes as events dated now (a new lead's creation is dated by its
// created_at, so imported history keeps its dates), and then applies the
// lifecycle's entry rules. It returns an EINVALID error naming each bad field.
func Intake(cur *Lead, in LeadInput, lc Lifecycle, defaultSource, actor string, now time.Time) (Change, error) {
	if cur == nil && len(in.Initial) > 0 {
		fields := make(map[string]string, len(in.Fields)+len(in.Initial))
		for k, v := range in.Initial {
			fields[k] = v
		}
		for k, v := range in.Fields {
			if v != "" || fields[k] == "" {
				fields[k] = v
			}
		}
		in.Fields = fields
	}
	var errs []FieldError
	var next Lead
	if cur != nil {
		next = cur.Clone()
	}
	var changes []FieldChange // of an existing lead
	var stage string
	set := func(f LeadField, value string) {
		if value == "" {
			return
		}
		if f.Name == "stage" {
			if !lc.HasStage(value) {
				errs = append(errs, FieldError{f.Name, fmt.Sprintf("no stage %q in the agreement", value)})
			}
			stage = value
			return
		}
		if cur == nil { // a new lead's created event lists its fields; no changes to track
			if err := f.Set(&next, value); err != nil {
				errs = append(errs, FieldError{f.Name, err.Error()})
			}
			return
		}
		old := f.Get(&next)
		if err := f.Set(&next, value); err != nil {
			errs = append(errs, FieldError{f.Name, err.Error()})
			return
		}
		if nv := f.Get(&next); nv != old {
			changes = append(changes, FieldChange{Field: f.Name, From: old, To: nv})
		}
	}
	// Fields in their fixed order, then attributes and unknown names by
	// name: the events list changes in a stable order.
	known := 0
	for _, f := range LeadFields {
		if v, ok := in.Fields[f.Name]; ok {
			known++
			set(f, v)
		}
	}
	if known < len(in.Fields) {
		var rest []string
		for name := range in.Fields {
			if _, ok := fieldRank[name]; !ok {
				rest = append(rest, name)
			}
		}
		slices.Sort(rest)
		for _, name := range rest {
			f, ok := LookupLeadField(name)
			if !ok {
				errs = append(errs, FieldError{name, "no such lead field"})
				continue
			}
			set(f, in.Fields[name])
		}
	}
	if cur == nil && next.Source == "" {
		next.Source = defaultSource
	}
	if cur != nil && next.Source != cur.Source || cur != nil && next.ExternalID != cur.ExternalID {
		errs = append(errs, FieldError{"external_id", "source and external_id identify a lead and cannot change"})
	}
	if next.CreatedAt.After(now.Add(24*time.Hour)) && (cur == nil || !next.CreatedAt.Equal(cur.CreatedAt)) {
		errs = append(errs, FieldError{"created_at", "is in the future"})
	}
	if cur != nil && stage != "" && stage != cur.Stage {
		if err := lc.CanMove(cur.Stage, stage); err != nil {
			errs = append(errs, FieldError{"stage", err.Error()})
		} else if err := CheckText(in.Reason); err != nil {
			errs = append(errs, FieldError{"reason", err.Error()})
		} else if in.Reason == "" {
			errs = append(errs, FieldError{"reason", fmt.Sprintf("moving lead %d from %s to %s by hand needs a reason", cur.ID, cur.Stage, stage)})
		}
	}
	// Checked last, so that it never hides a field that is wrong.
	if len(errs) == 0 && cur == nil && next.ExternalID == "" && next.Email == "" && next.Phone == "" &&
		next.Company == "" && next.FirstName == "" && next.LastName == "" {
		errs = append(errs, FieldError{"external_id", "a new lead needs something to know it by: external_id, email, phone, company or a name"})
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Change{}, Invalid(errs...)
	}

	ch := Change{Status: StatusUnchanged}
	if cur == nil {
		if next.CreatedAt.IsZero() {
			next.CreatedAt = now
		}
		if stage == "" {
			stage = lc.Initial()
		}
		next.Stage = stage
		ch.Status = StatusCreated
		var base Lead
		ch.add(&base, Event{Type: EventCreated, OccurredAt: next.CreatedAt, Actor: actor,
			AgreementVersion: lc.Version(), Changes: next.FieldValues()})
	} else {
		base := cur.Clone()
		ch.Lead = base
		if len(changes) > 0 {
			ch.Status = StatusUpdated
			ch.add(&base, Event{Type: EventUpdated, OccurredAt: now, Actor: actor,
				AgreementVersion: lc.Version(), Changes: changes})
		}
		if stage != "" && stage != cur.Stage {
			ch.Status = StatusUpdated
			ch.add(&base, Event{Type: EventStageChanged, OccurredAt: now, Actor: actor, Reason: in.Reason,
				AgreementVersion: lc.Version(), Changes: []FieldChange{{Field: "stage", From: cur.Stage, To: stage}}})
		}
	}
	if ch.Status != StatusUnchanged {
		if err := ch.advance(lc, ch.Events[len(ch.Events)-1].OccurredAt); err != nil {
			return Change{}, Invalid(FieldError{"stage", err.Error()})
		}
	}
	return ch, nil
}

// Move changes a lead's stage by hand. A manual move needs a reason and must
// be one the lifecycle allows; the error says why not.
func Move(cur Lead, to, reason string, lc Lifecycle, actor string, now time.Time) (Change, error) {
	switch {
	case reason == "":
		return Change{}, Invalid(FieldError{"reason", "a manual stage change needs a reason"})
	case CheckText(reason) != nil:
		return Change{}, Invalid(FieldError{"reason", CheckText(reason).Error()})
	case !lc.HasStage(to):
		return Change{}, Invalid(FieldError{"stage", fmt.Sprintf("no stage %q in the agreement", to)})
	case to == cur.Stage:
		return Change{Lead: cur, Status: StatusUnchanged}, nil
	}
	if err := lc.CanMove(cur.Stage, to); err != nil {
		return Change{}, Errorf(ECONFLICT, "lead %d cannot move from %s to %s: %v", cur.ID, cur.Stage, to, err)
	}
	ch := Change{Lead: cur.Clone(), Status: StatusUpdated}
	ch.add(&ch.Lead, Event{Type: EventStageChanged, OccurredAt: now, Actor: actor, Reason: reason,
		AgreementVersion: lc.Version(), Changes: []FieldChange{{Field: "stage", From: cur.Stage, To: to}}})
	return ch, nil
}

// CheckText says why s cannot be kept in the ledger as free text (a
// reason, a note), or returns nil: the same rules as a lead's text fields.
func CheckText(s string) error { return CheckTextLen(s, MaxTextLen) }

// CheckTextLen is [CheckText] with a bound of its own: at most max
// characters.
func CheckTextLen(s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("contains a NUL byte")
	case utf8.RuneCountInString(s) > max:
		return fmt.Errorf("longer than %d characters", max)
	}
	return nil
}

// add applies e to l and keeps it; the events must replay to the lead.
func (ch *Change) add(l *Lead, e Event) {
	e.LeadID = l.ID
	if err := l.Apply(&e); err != nil {
		// The events were built from validated values just above.
		panic("tandem: an intake event does not apply: " + err.Error())
	}
	ch.Lead = *l
	ch.Events = append(ch.Events, e)
}

// advance applies the lifecycle's entry rules until none fires. A rule that
// fires is dated with the change that made it true. A rule that cannot
// decide stops it with the lifecycle's error.
func (ch *Change) advance(lc Lifecycle, at time.Time) error {
	l := ch.Lead
	for range 32 { // more than any agreement has stages: a cycle cannot hang us
		to, rule, ok, err := lc.Advance(&l)
		if err != nil {
			return err
		}
		if !ok || to == l.Stage {
			return nil
		}
		ch.add(&l, Event{Type: EventStageChanged, OccurredAt: at, Actor: "rule", Rule: rule,
			AgreementVersion: lc.Version(), Changes: []FieldChange{{Field: "stage", From: l.Stage, To: to}}})
	}
	return nil
}

// fieldRank orders fields as LeadFields lists them; attributes come after.
var fieldRank = func() map[string]int {
	m := make(map[string]int, len(LeadFields))
	for i, f := range LeadFields {
		m[f.Name] = i
	}
	return m
}()

// SortChanges puts changes in the order of [LeadFields], attributes last
// by name, and returns them.
func SortChanges(cs []FieldChange) []FieldChange {
	rank := func(n string) int {
		if r, ok := fieldRank[n]; ok {
			return r
		}
		return len(LeadFields)
	}
	slices.SortStableFunc(cs, func(a, b FieldChange) int {
		if ra, rb := rank(a.Field), rank(b.Field); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Field, b.Field)
	})
	return cs
}
