package tandem

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Deal stages. A deal is opened when its lead reaches the opportunity stage
// (or when an import brings it) and is closed once, won or lost: a closed
// deal never reopens.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)

// DealStages lists the deal stages in order.
var DealStages = []string{DealOpen, DealWon, DealLost}

// Event types of deals, recorded in the ledger of the deal's lead. They change
// no lead field; Detail holds the deal's id under "deal" and what changed.
const (
	EventDealOpened  = "deal_opened"  // Detail: deal, and source and external_id for an imported deal
	EventDealWon     = "deal_won"     // Detail: deal, amount_cents, closed_at
	EventDealLost    = "deal_lost"    // Detail: deal, reason, closed_at
	EventDealUpdated = "deal_updated" // Detail: deal, and the new value of each field an import changed
	// EventDealStageChanged moves an open deal from one open stage of the
	// agreement's pipeline to another. Detail: deal, from, to.
	EventDealStageChanged = "deal_stage_changed"
)

// LostReasonUnspecified is the reason of a lost deal whose source gives
// none (an import's lost row without a reason): reports show it as such.
const LostReasonUnspecified = "unspecified"

// MaxAmountCents bounds an amount: ten trillion in the installation's
// currency, far above any deal, and far below the int64 limit, so that
// sums over millions of deals cannot overflow.
const MaxAmountCents = 1_000_000_000_000_000

// Deal is an opportunity and its outcome, linked to its lead.
//
// Amounts are whole numbers of the currency's minor unit (cents for USD,
// EUR or BRL). Tandem keeps no currency: an installation counts in one
// currency, the one its agreement's goal is written in (docs/deals.md).
type Deal struct {
	ID     int64 `json:"id"`
	LeadID int64 `json:"lead_id"`
	// Source and ExternalID identify a deal that came from another system
	// (an import), so that importing it again changes nothing; both are
	// empty for a deal Tandem opened.
	Source     string `json:"source,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	// OwnerID is the user who owns the deal: the lead's owner when it was
	// opened, unless an import names one. 0 for none.
	OwnerID int64  `json:"owner_id,omitempty"`
	Stage   string `json:"stage"`
	// PipelineStage is the open stage of the agreement's pipeline the deal
	// is in (qualification, proposal...); for a closed deal, the last one
	// it was in, or "" when it was never in one (a deal imported closed).
	PipelineStage string `json:"pipeline_stage,omitempty"`
	// StageChangedAt is when the deal entered its pipeline stage, or
	// closed: its time in stage counts from there.
	StageChangedAt time.Time `json:"stage_changed_at,omitzero"`
	// AmountCents is the deal's value in minor units of the
	// installation's currency.
	AmountCents int64 `json:"amount_cents"`
	// CreatedAt is when the deal was opened.
	CreatedAt time.Time `json:"created_at"`
	// EngagedAt is the first contact with the lead: the lead's creation
	// (for Olist, its first_contact_date) unless an import gives it.
	EngagedAt time.Time `json:"engaged_at"`
	// ClosedAt is when the deal was won or lost; zero while it is open.
	// It may come before EngagedAt or CreatedAt in imported data: see
	// [Deal.ClosedBeforeEngaged].
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// LostReason is a code saying why a lost deal was lost (price,
	// no_budget, competitor...).
	LostReason string `json:"lost_reason,omitempty"`
	Account    string `json:"account,omitempty"`
	Product    string `json:"product,omitempty"`
	// Attributes holds any other value a source brings, by name (Olist's
	// business_segment and lead_type, say).
	Attributes map[string]string `json:"attributes,omitempty"`
	// UpdatedAt is when Tandem last changed the deal.
	UpdatedAt time.Time `json:"updated_at"`
}

// Closed reports whether the deal is won or lost.
func (d *Deal) Closed() bool { return d.Stage == DealWon || d.Stage == DealLost }

// ClosedBeforeEngaged reports whether the deal closed before the first
// contact with its lead: impossible in the world, but present in real
// exports (one Olist deal was won two days before its first contact).
// Tandem keeps such a deal as the source wrote it; a report that measures
// cycle lengths can leave it out, or count it as zero days.
func (d *Deal) ClosedBeforeEngaged() bool {
	return !d.ClosedAt.IsZero() && !d.EngagedAt.IsZero() && d.ClosedAt.Before(d.EngagedAt)
}

// Clone returns a copy of d that shares nothing with it.
func (d Deal) Clone() Deal {
	d.Attributes = maps.Clone(d.Attributes)
	return d
}

// Validate returns an EINVALID error naming each field of the deal that
// breaks a rule: an unknown stage, a negative amount, a won or lost deal
// without its date, a lost deal without a reason code, an open deal with a
// close date, a date in the future. A deal closed before it was opened or
// engaged is valid (see [Deal.ClosedBeforeEngaged]).
func (d *Deal) Validate(now time.Time) error {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	switch d.Stage {
	case DealOpen:
		if !d.ClosedAt.IsZero() {
			bad("closed_at", "an open deal has no close date: win or lose it to close it")
		}
	case DealWon:
		if d.ClosedAt.IsZero() {
			bad("closed_at", "a won deal needs the date it was won")
		}
	case DealLost:
		if d.ClosedAt.IsZero() {
			bad("closed_at", "a lost deal needs the date it was lost")
		}
		if d.LostReason == "" {
			bad("lost_reason", "a lost deal needs a reason code (like price, no_budget or competitor)")
		}
	default:
		bad("stage", "%q is not a deal stage (want one of %s)", d.Stage, strings.Join(DealStages, ", "))
	}
	if d.LostReason != "" {
		if d.Stage != DealLost {
			bad("lost_reason", "only a lost deal has a lost reason")
		} else if !isIdent(d.LostReason) {
			bad("lost_reason", "%q is not a reason code: use lower-case letters, digits and _ (like no_budget), at most 64", d.LostReason)
		}
	}
	switch {
	case d.AmountCents < 0:
		bad("amount_cents", "%d is negative: an amount is zero or more", d.AmountCents)
	case d.AmountCents > MaxAmountCents:
		bad("amount_cents", "%d is over the largest amount, %d", d.AmountCents, int64(MaxAmountCents))
	}
	if d.CreatedAt.IsZero() {
		bad("created_at", "is required: when the deal was opened")
	}
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"created_at", d.CreatedAt}, {"engaged_at", d.EngagedAt}, {"closed_at", d.ClosedAt}} {
		if t.at.After(now.Add(24 * time.Hour)) {
			bad(t.field, "%s is in the future", FormatTime(t.at))
		}
	}
	for _, f := range []struct {
		field, value string
		key          bool
	}{{"source", d.Source, true}, {"external_id", d.ExternalID, true}, {"account", d.Account, false}, {"product", d.Product, false}} {
		if err := CheckText(f.value); err != nil {
			bad(f.field, "%v", err)
		} else if f.key && len(f.value) > MaxKeyBytes {
			bad(f.field, "longer than %d bytes", MaxKeyBytes)
		}
	}
	if d.ExternalID != "" && d.Source == "" {
		bad("source", "a deal with an external_id needs the source it comes from")
	}
	if len(d.Attributes) > MaxAttributes {
		bad("attributes", "a deal holds at most %d attributes", MaxAttributes)
	}
	for _, k := range slices.Sorted(maps.Keys(d.Attributes)) {
		if !validAttributeKey(k) {
			bad(AttributePrefix+k, "not a valid attribute name: lower-case letters, digits, _ and -, at most %d", MaxAttributeKey)
		} else if err := CheckText(d.Attributes[k]); err != nil {
			bad(AttributePrefix+k, "%v", err)
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Invalid(errs...)
	}
	return nil
}

// ParseAmount reads an amount written in the currency's major unit, as CSV
// exports write it ("1234.56", "0.0", "30000"), and returns it in minor
// units (123456). It takes an optional sign, digits, and an optional
// decimal point with digits after it; digits past the second decimal place
// must be zeros. Thousands separators, currency symbols and exponents are
// refused rather than guessed at: "1,234" means 1.234 in half the world.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("no amount")
	}
	orig := s
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && (!dot || frac == "") {
		return 0, amountError(orig)
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, amountError(orig)
			}
		}
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, fmt.Errorf("%q has more than two decimal places: amounts are kept in cents", orig)
		}
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	whole = strings.TrimLeft(whole, "0")
	// MaxAmountCents has 16 digits; anything longer is out of range, and
	// keeping to 17 digits keeps the sum below from overflowing.
	if len(whole) > 15 {
		return 0, fmt.Errorf("%q is over the largest amount, %s", orig, FormatAmount(MaxAmountCents))
	}
	var units int64
	if whole != "" {
		units, _ = strconv.ParseInt(whole, 10, 64)
	}
	cents, _ := strconv.ParseInt(frac, 10, 64)
	v := units*100 + cents
	if v > MaxAmountCents {
		return 0, fmt.Errorf("%q is over the largest amount, %s", orig, FormatAmount(MaxAmountCents))
	}
	if neg {
		v = -v
	}
	return v, nil
}

func amountError(s string) error {
	return fmt.Errorf("%q is not an amount: write digits with an optional decimal point, like 1234.56, without thousands separators or a currency symbol", s)
}

// FormatAmount writes an amount of minor units in major units with two
// decimals: 123456 is "1234.56". ParseAmount reads it back.
func FormatAmount(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Deal input fields: the names an import mapping (kind deals) fills. The
// lead is named by its key, (lead_source, lead_external_id), since an
// export knows the lead by its id in the source, not by Tandem's; the owner
// by email.
const (
	DealFieldLeadSource     = "lead_source"
	DealFieldLeadExternalID = "lead_external_id"
	DealFieldOwner          = "owner"
	DealFieldAmount         = "amount"
)

// dealFields lists the settable deal fields, in a stable order, with their
// kinds.
var dealFields = []struct {
	name string
	kind FieldKind
}{
	{"source", KindText},
	{"external_id", KindText},
	{DealFieldLeadSource, KindText},
	{DealFieldLeadExternalID, KindText},
	{"stage", KindText},
	{DealFieldAmount, KindText},
	{"created_at", KindTime},
	{"engaged_at", KindTime},
	{"closed_at", KindTime},
	{DealFieldOwner, KindText},
	{"account", KindText},
	{"product", KindText},
	{"lost_reason", KindText},
}

// DealFieldNames returns the names of the deal input fields, for error
// messages.
func DealFieldNames() []string {
	names := make([]string, len(dealFields))
	for i, f := range dealFields {
		names[i] = f.name
	}
	return names
}

// LookupDealField reports whether name is a deal input field, which may be
// an attribute ("attributes.KEY"), and its kind.
func LookupDealField(name string) (FieldKind, bool) {
	for _, f := range dealFields {
		if f.name == name {
			return f.kind, true
		}
	}
	if key, ok := strings.CutPrefix(name, AttributePrefix); ok && validAttributeKey(key) {
		return KindText, true
	}
	return 0, false
}

// DealInput is one deal as a source sends it (a row of an import): values
// by field name (see [LookupDealField]), as strings. An empty or missing
// value leaves the deal's field as it is.
type DealInput struct {
	Fields map[string]string
	// Initial holds values for a deal the input creates: an import's
	// constants and defaults. On an existing deal they change nothing,
	// except that an initial stage closes an open deal (a file of won deals
	// whose stage is a constant wins the deals Tandem opened).
	Initial map[string]string
}

// value returns the input's value for a field: its own, or else its
// initial one when fresh or initial allows.
func (in *DealInput) value(name string, initial bool) string {
	if v := in.Fields[name]; v != "" {
		return v
	}
	if initial {
		return in.Initial[name]
	}
	return ""
}

// Key returns the deal's identity for idempotent import: its source
// (defaulting to defaultSource) and external id (defaulting to its lead's
// external id, so that a file with one deal per lead and no deal ids
// imports again without duplicates).
func (in *DealInput) Key(defaultSource string) (source, externalID string) {
	source = in.value("source", true)
	if source == "" {
		source = defaultSource
	}
	externalID = in.value("external_id", true)
	if externalID == "" {
		externalID = in.value(DealFieldLeadExternalID, true)
	}
	return source, externalID
}

// LeadKey returns the key of the deal's lead: lead_source (defaulting to
// the deal's source) and lead_external_id (defaulting to the deal's own
// external_id, so that an opportunities file without leads names a lead
// per opportunity: the import creates it).
func (in *DealInput) LeadKey(defaultSource string) (source, externalID string) {
	source = in.value(DealFieldLeadSource, true)
	if source == "" {
		source, _ = in.Key(defaultSource)
	}
	externalID = in.value(DealFieldLeadExternalID, true)
	if externalID == "" {
		externalID = in.value("external_id", true)
	}
	return source, externalID
}

// Owner returns the email of the owner the input names, or "".
func (in *DealInput) Owner() string { return in.value(DealFieldOwner, true) }

// MergeDeal applies an input to a deal and returns the deal after, with the
// fields that changed. cur is the stored deal the input names, or nil for a
// new one, which is the lead's: a new deal is owned by ownerID, or else by
// the lead's owner, engaged when the lead was created unless the input says
// otherwise, and opened when it was engaged. ownerID is the user the input
// names as owner, 0 for none. The key fields (source, external_id) are the
// store's to set.
//
// A closed deal never reopens and never changes outcome: an input that asks
// for that is an ECONFLICT error. Every other mistake is an EINVALID error
// naming the input's fields.
func MergeDeal(cur *Deal, in DealInput, lead *Lead, ownerID int64, now time.Time) (Deal, []FieldChange, error) {
	fresh := cur == nil
	var next Deal
	if fresh {
		next = Deal{LeadID: lead.ID, OwnerID: lead.OwnerID, Stage: DealOpen}
	} else {
		next = cur.Clone()
	}
	var errs []FieldError
	var changes []FieldChange
	set := func(name, value string, apply func(string) error, get func() string) {
		if value == "" {
			return
		}
		old := get()
		if err := apply(value); err != nil {
			errs = append(errs, FieldError{name, err.Error()})
			return
		}
		if nv := get(); nv != old && !fresh {
			changes = append(changes, FieldChange{Field: name, From: old, To: nv})
		}
	}
	text := func(name string, p *string) {
		set(name, in.value(name, fresh), func(v string) error {
			if err := CheckText(v); err != nil {
				return err
			}
			*p = v
			return nil
		}, func() string { return *p })
	}
	timeField := func(name string, p *time.Time) {
		set(name, in.value(name, fresh), func(v string) error {
			t, err := ParseTime(v)
			if err != nil {
				return err
			}
			*p = t
			return nil
		}, func() string { return FormatTime(*p) })
	}
	if ownerID != 0 {
		set(DealFieldOwner, strconv.FormatInt(ownerID, 10), func(v string) error {
			next.OwnerID = ownerID
			return nil
		}, func() string { return strconv.FormatInt(next.OwnerID, 10) })
	}
	set(DealFieldAmount, in.value(DealFieldAmount, fresh), func(v string) error {
		c, err := ParseAmount(v)
		if err != nil {
			return err
		}
		if c < 0 {
			return fmt.Errorf("%q is negative: an amount is zero or more", v)
		}
		next.AmountCents = c
		return nil
	}, func() string { return FormatAmount(next.AmountCents) })
	timeField("created_at", &next.CreatedAt)
	timeField("engaged_at", &next.EngagedAt)
	timeField("closed_at", &next.ClosedAt)
	text("account", &next.Account)
	text("product", &next.Product)
	text("lost_reason", &next.LostReason)
	var attrs []string
	for _, m := range []map[string]string{in.Fields, in.Initial} {
		for name := range m {
			if strings.HasPrefix(name, AttributePrefix) {
				attrs = append(attrs, name)
			} else if _, ok := LookupDealField(name); !ok {
				errs = append(errs, FieldError{name, "no such deal field"})
			}
		}
	}
	slices.Sort(attrs)
	for _, name := range slices.Compact(attrs) {
		key := strings.TrimPrefix(name, AttributePrefix)
		set(name, in.value(name, fresh), func(v string) error {
			if !validAttributeKey(key) {
				return fmt.Errorf("not a valid attribute name: lower-case letters, digits, _ and -, at most %d", MaxAttributeKey)
			}
			if utf8.RuneCountInString(v) > MaxTextLen {
				return fmt.Errorf("longer than %d characters", MaxTextLen)
			}
			if next.Attributes == nil {
				next.Attributes = map[string]string{}
			}
			next.Attributes[key] = v
			return nil
		}, func() string { return next.Attributes[key] })
	}

	// The stage last: a close may need the values set above.
	if st := in.Fields["stage"]; st != "" || in.Initial["stage"] != "" {
		fromFields := st != ""
		if !fromFields {
			st = in.Initial["stage"]
		}
		switch {
		case !slices.Contains(DealStages, st):
			errs = append(errs, FieldError{"stage", fmt.Sprintf("%q is not a deal stage (want one of %s)", st, strings.Join(DealStages, ", "))})
		case st == next.Stage:
		case fresh || next.Stage == DealOpen:
			if !fresh {
				changes = append(changes, FieldChange{Field: "stage", From: next.Stage, To: st})
			}
			next.Stage = st
		case !fromFields && st == DealOpen:
			// A constant or default "open" never reopens a closed deal.
		default:
			return Deal{}, nil, Errorf(ECONFLICT, "deal %d is %s already (closed %s): a closed deal does not reopen or change outcome",
				cur.ID, cur.Stage, FormatTime(cur.ClosedAt))
		}
	}
	if fresh {
		if next.EngagedAt.IsZero() {
			next.EngagedAt = lead.CreatedAt
		}
		if next.CreatedAt.IsZero() {
			next.CreatedAt = next.EngagedAt
		}
	}
	if len(errs) == 0 {
		if err := next.Validate(now); err != nil {
			for _, fe := range ErrorFields(err) {
				if fe.Field == "amount_cents" {
					fe.Field = DealFieldAmount // the input's name for it
				}
				errs = append(errs, fe)
			}
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Deal{}, nil, Invalid(errs...)
	}
	return next, changes, nil
}

// DealStageEntry is when a deal entered one stage of the pipeline (or won,
// or lost): its time in the stage runs from EnteredAt to its entry into the
// next.
type DealStageEntry struct {
	Stage     string    `json:"stage"`
	EnteredAt time.Time `json:"entered_at"`
}

// DealFilter selects deals for a list. Zero values select everything.
type DealFilter struct {
	// Stage is open (any open stage), an open stage of the agreement's
	// pipeline, won or lost.
	Stage  string
	LeadID int64
	// ClosedFrom (inclusive) and ClosedTo (exclusive) bound the close
	// date; either one leaves open deals out.
	ClosedFrom time.Time
	ClosedTo   time.Time
	// After is the cursor: only deals with an ID greater than After.
	After int64
	// Limit caps the number of deals returned; 0 means the default (100).
	Limit int
}

// Validate checks the filter's values.
func (f *DealFilter) Validate() error {
	var errs []FieldError
	if f.Stage != "" && !slices.Contains(DealStages, f.Stage) && !isIdent(f.Stage) {
		errs = append(errs, FieldError{"stage", fmt.Sprintf("%q is not a deal stage (want open, won, lost or an open stage of the agreement's pipeline)", f.Stage)})
	}
	if f.LeadID < 0 {
		errs = append(errs, FieldError{"lead_id", "must be a lead id"})
	}
	if !f.ClosedFrom.IsZero() && !f.ClosedTo.IsZero() && !f.ClosedFrom.Before(f.ClosedTo) {
		errs = append(errs, FieldError{"closed_to", "must come after closed_from"})
	}
	if f.Limit < 0 || f.Limit > 1000 {
		errs = append(errs, FieldError{"limit", "must be between 1 and 1000"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// DealPage is one page of a deal list.
type DealPage struct {
	Deals []Deal
	// Total counts all deals that match the filter, on every page.
	Total int
	// Next is the cursor for the next page, 0 on the last page.
	Next int64
}
