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

// Stages of the default lifecycle. The agreement in force defines the real
// list; these names are the ones the seeds and the default agreement use.
const (
	StageLead         = "lead"
	StageMQL          = "mql"
	StageSAL          = "sal"
	StageSQL          = "sql"
	StageOpportunity  = "opportunity"
	StageCustomer     = "customer"
	StageRecycled     = "recycled"
	StageDisqualified = "disqualified"
)

// Lead is a person or company that may buy, as it stands now. It is a
// projection of the lead's events: [Replay] of its ledger gives exactly this.
type Lead struct {
	ID int64 `json:"id"`

	// Source names the system the lead came from ("api", "hubspot",
	// "olist", a form). (Source, ExternalID) identifies a lead for
	// idempotent intake.
	Source     string `json:"source"`
	ExternalID string `json:"external_id,omitempty"`

	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Company   string `json:"company,omitempty"`
	Title     string `json:"title,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Country   string `json:"country,omitempty"`
	Segment   string `json:"segment,omitempty"`
	Territory string `json:"territory,omitempty"`

	// Origin is the marketing channel (organic_search, paid_search, social,
	// email, referral, ...).
	Origin      string `json:"origin,omitempty"`
	Campaign    string `json:"campaign,omitempty"`
	LandingPage string `json:"landing_page,omitempty"`
	UTMSource   string `json:"utm_source,omitempty"`
	UTMMedium   string `json:"utm_medium,omitempty"`
	UTMCampaign string `json:"utm_campaign,omitempty"`
	UTMTerm     string `json:"utm_term,omitempty"`
	UTMContent  string `json:"utm_content,omitempty"`

	OwnerID int64  `json:"owner_id,omitempty"`
	Score   int    `json:"score"`
	Stage   string `json:"stage"`

	// Attributes holds any other field a source brings, by name.
	Attributes map[string]string `json:"attributes,omitempty"`

	// CreatedAt is when the lead came into being, in its source's history
	// (an imported lead first contacted in 2017 was created in 2017).
	CreatedAt time.Time `json:"created_at"`
	// UpdatedAt is the latest occurrence time among the lead's events.
	UpdatedAt time.Time `json:"updated_at"`
	// StageChangedAt is when the lead entered its current stage.
	StageChangedAt time.Time `json:"stage_changed_at"`
	// Version counts the lead's events.
	Version int `json:"version"`
}

// FieldKind is the type of a lead field's value.
type FieldKind int

// Field kinds. Every value travels as a string in events and inputs; the kind
// says how it is parsed and compared.
const (
	KindText FieldKind = iota
	KindInt
	KindTime
)

func (k FieldKind) String() string {
	switch k {
	case KindInt:
		return "integer"
	case KindTime:
		return "time"
	}
	return "text"
}

// LeadField describes one settable field of a lead: its name (the same in
// JSON, CSV mappings, filters, events and SQL columns) and how to read and
// write it as a string.
type LeadField struct {
	Name string
	Kind FieldKind
	ptrS func(*Lead) *string
	ptrI func(*Lead) *int64
	ptrN func(*Lead) *int
	ptrT func(*Lead) *time.Time
}

// Limits on lead values.
const (
	MaxTextLen      = 1000
	MaxKeyBytes     = 255 // source, external_id and origin, which indexes hold
	MaxAttributes   = 100
	MaxAttributeKey = 64
	maxScore        = 1_000_000
)

// AttributePrefix starts the name of a custom attribute field, as in
// "attributes.landing_page_id".
const AttributePrefix = "attributes."

func text(name string, p func(*Lead) *string) LeadField {
	return LeadField{Name: name, Kind: KindText, ptrS: p}
}

// LeadFields lists every settable lead field in a stable order.
var LeadFields = []LeadField{
	text("source", func(l *Lead) *string { return &l.Source }),
	text("external_id", func(l *Lead) *string { return &l.ExternalID }),
	text("email", func(l *Lead) *string { return &l.Email }),
	text("first_name", func(l *Lead) *string { return &l.FirstName }),
	text("last_name", func(l *Lead) *string { return &l.LastName }),
	text("company", func(l *Lead) *string { return &l.Company }),
	text("title", func(l *Lead) *string { return &l.Title }),
	text("phone", func(l *Lead) *string { return &l.Phone }),
	text("country", func(l *Lead) *string { return &l.Country }),
	text("segment", func(l *Lead) *string { return &l.Segment }),
	text("territory", func(l *Lead) *string { return &l.Territory }),
	text("origin", func(l *Lead) *string { return &l.Origin }),
	text("campaign", func(l *Lead) *string { return &l.Campaign }),
	text("landing_page", func(l *Lead) *string { return &l.LandingPage }),
	text("utm_source", func(l *Lead) *string { return &l.UTMSource }),
	text("utm_medium", func(l *Lead) *string { return &l.UTMMedium }),
	text("utm_campaign", func(l *Lead) *string { return &l.UTMCampaign }),
	text("utm_term", func(l *Lead) *string { return &l.UTMTerm }),
	text("utm_content", func(l *Lead) *string { return &l.UTMContent }),
	{Name: "owner_id", Kind: KindInt, ptrI: func(l *Lead) *int64 { return &l.OwnerID }},
	{Name: "score", Kind: KindInt, ptrN: func(l *Lead) *int { return &l.Score }},
	text("stage", func(l *Lead) *string { return &l.Stage }),
	{Name: "created_at", Kind: KindTime, ptrT: func(l *Lead) *time.Time { return &l.CreatedAt }},
}

var leadFieldsByName = func() map[string]*LeadField {
	m := make(map[string]*LeadField, len(LeadFields))
	for i := range LeadFields {
		m[LeadFields[i].Name] = &LeadFields[i]
	}
	return m
}()

// LookupLeadField returns the field called name, which may also be an
// attribute ("attributes.KEY"). It reports false for an unknown name.
func LookupLeadField(name string) (LeadField, bool) {
	if f, ok := leadFieldsByName[name]; ok {
		return *f, true
	}
	if key, ok := strings.CutPrefix(name, AttributePrefix); ok && validAttributeKey(key) {
		return LeadField{Name: name, Kind: KindText}, true
	}
	return LeadField{}, false
}

// LeadFieldNames returns the names of the lead's fields, for error messages.
func LeadFieldNames() []string {
	names := make([]string, len(LeadFields))
	for i, f := range LeadFields {
		names[i] = f.Name
	}
	return names
}

func validAttributeKey(key string) bool {
	if key == "" || len(key) > MaxAttributeKey {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// FormatTime is the one string form of a time in events and inputs.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

// Get returns the field's value on l as a string ("" when unset).
func (f LeadField) Get(l *Lead) string {
	switch {
	case f.ptrS != nil:
		return *f.ptrS(l)
	case f.ptrI != nil:
		if v := *f.ptrI(l); v != 0 {
			return strconv.FormatInt(v, 10)
		}
		return ""
	case f.ptrN != nil:
		return strconv.Itoa(*f.ptrN(l))
	case f.ptrT != nil:
		return FormatTime(*f.ptrT(l))
	}
	key := strings.TrimPrefix(f.Name, AttributePrefix)
	return l.Attributes[key]
}

// Set parses value and stores it on l, or says why the value is wrong. An
// empty value clears the field.
func (f LeadField) Set(l *Lead, value string) error {
	if !utf8.ValidString(value) {
		return fmt.Errorf("not valid UTF-8")
	}
	if strings.IndexByte(value, 0) >= 0 {
		return fmt.Errorf("contains a NUL byte")
	}
	switch {
	case f.ptrS != nil:
		if utf8.RuneCountInString(value) > MaxTextLen {
			return fmt.Errorf("longer than %d characters", MaxTextLen)
		}
		if (f.Name == "source" || f.Name == "external_id" || f.Name == "origin") && len(value) > MaxKeyBytes {
			return fmt.Errorf("longer than %d bytes", MaxKeyBytes)
		}
		if f.Name == "email" && value != "" && !plausibleEmail(value) {
			return fmt.Errorf("%q is not an email address", value)
		}
		*f.ptrS(l) = value
	case f.ptrI != nil:
		if value == "" {
			*f.ptrI(l) = 0
			return nil
		}
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("%q is not a positive whole number", value)
		}
		*f.ptrI(l) = v
	case f.ptrN != nil:
		if value == "" {
			*f.ptrN(l) = 0
			return nil
		}
		v, err := strconv.Atoi(value)
		if err != nil {
			fv, ferr := strconv.ParseFloat(value, 64)
			if ferr != nil || fv != float64(int(fv)) {
				return fmt.Errorf("%q is not a whole number", value)
			}
			v = int(fv)
		}
		if v < -maxScore || v > maxScore {
			return fmt.Errorf("%d is out of range (±%d)", v, maxScore)
		}
		*f.ptrN(l) = v
	case f.ptrT != nil:
		if value == "" {
			*f.ptrT(l) = time.Time{}
			return nil
		}
		t, err := ParseTime(value)
		if err != nil {
			return err
		}
		*f.ptrT(l) = t
	default:
		key := strings.TrimPrefix(f.Name, AttributePrefix)
		if utf8.RuneCountInString(value) > MaxTextLen {
			return fmt.Errorf("longer than %d characters", MaxTextLen)
		}
		if value == "" {
			delete(l.Attributes, key)
			return nil
		}
		if l.Attributes == nil {
			l.Attributes = map[string]string{}
		}
		if _, ok := l.Attributes[key]; !ok && len(l.Attributes) >= MaxAttributes {
			return fmt.Errorf("a lead holds at most %d attributes", MaxAttributes)
		}
		l.Attributes[key] = value
	}
	return nil
}

// ParseTime reads a time written as RFC 3339 (with or without fractional
// seconds) or as a plain date (YYYY-MM-DD, taken as midnight UTC). It reads
// the values the ledger and the store write; a date or time that a person or
// a file wrote is read first by calendar.ParseTime, in the agreement's time
// zone (the store does it for every lead and deal input), so that a date
// stays on its day.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			// Both databases keep microseconds; so does the ledger.
			t = t.UTC().Truncate(time.Microsecond)
			// An offset can push a time out of the years RFC 3339 writes,
			// and the zero time means "no time": neither could be read
			// back from the ledger as the same value.
			if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("%q is out of range (want a year between 1 and 9999)", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)", s)
}

func plausibleEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>,;")
}

// ValidKey reports whether source and externalID are values the lead's
// identity fields can hold, so that a store may look them up.
func ValidKey(source, externalID string) bool {
	var l Lead
	return leadFieldsByName["source"].Set(&l, source) == nil && leadFieldsByName["external_id"].Set(&l, externalID) == nil
}

// Clone returns a copy of l that shares nothing with it.
func (l Lead) Clone() Lead {
	l.Attributes = maps.Clone(l.Attributes)
	return l
}

// FieldValues returns every non-empty field of l by name, attributes
// included, in a stable order.
func (l *Lead) FieldValues() []FieldChange {
	out := make([]FieldChange, 0, len(LeadFields)+len(l.Attributes))
	for _, f := range LeadFields {
		if v := f.Get(l); v != "" && !(f.Name == "score" && v == "0") {
			out = append(out, FieldChange{Field: f.Name, To: v})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(l.Attributes)) {
		out = append(out, FieldChange{Field: AttributePrefix + k, To: l.Attributes[k]})
	}
	return out
}

// LeadFilter selects leads for a list. Equal holds field = value conditions
// (any field of [LeadFields] or an attribute), In field-is-one-of-these
// conditions (several stages, several owners: at most [MaxFilterValues]
// values a field); the others are ranges.
type LeadFilter struct {
	Equal       map[string]string
	In          map[string][]string
	CreatedFrom time.Time // inclusive; zero means no bound
	CreatedTo   time.Time // exclusive; zero means no bound
	// StageChangedFrom and StageChangedTo bound when the lead last
	// changed stage, like CreatedFrom and CreatedTo.
	StageChangedFrom time.Time
	StageChangedTo   time.Time
	ScoreMin         *int
	ScoreMax         *int
	// Team keeps the leads whose owner is in the team.
	Team string
	// Q is a search: every word of it (see [SearchTerms]) must be found,
	// ignoring case and accents, in the lead's name, email, company, phone
	// or external id.
	Q string
	// Sort is the field the list is in order of (one of [SortFields]),
	// with a "-" before it for descending order; "" is by id. Leads with
	// the same value are in id order (descending with "-").
	Sort string
	// After is the cursor: only leads after the lead with this ID in the
	// list's order. AfterValue is that lead's value of the Sort field, as
	// [LeadField.Get] writes it (unused when sorting by id).
	After      int64
	AfterValue string
	// Limit caps the number of leads returned; 0 means the default (100).
	Limit int
	// CountUpTo stops the count at this many matches (the page's count,
	// which a million matches must not slow): 0 counts them all.
	CountUpTo int
}

// SortFields are the fields a list of leads may be sorted by.
var SortFields = []string{"id", "first_name", "last_name", "email", "company", "stage", "score", "owner_id",
	"source", "campaign", "country", "segment", "created_at", "updated_at", "stage_changed_at"}

// SortField returns the field and direction of a Sort value ("-score" is
// score, descending), or false for a field lists cannot be sorted by.
func SortField(sort string) (field string, desc, ok bool) {
	if sort == "" {
		return "id", false, true
	}
	field, desc = strings.CutPrefix(sort, "-")
	return field, desc, slices.Contains(SortFields, field)
}

// SortKind is the kind of a sort field's values.
func SortKind(field string) FieldKind {
	switch field {
	case "id", "owner_id", "score":
		return KindInt
	case "created_at", "updated_at", "stage_changed_at":
		return KindTime
	}
	return KindText
}

// SortValue returns the lead's value of a sort field, as a cursor keeps it.
func SortValue(l *Lead, field string) string {
	switch field {
	case "id":
		return strconv.FormatInt(l.ID, 10)
	case "updated_at":
		return FormatTime(l.UpdatedAt)
	case "stage_changed_at":
		return FormatTime(l.StageChangedAt)
	}
	f, _ := LookupLeadField(field)
	return f.Get(l)
}

// ParseSortValue reads a cursor's value of a sort field: an int64 for
// whole numbers, a time.Time for times, the string otherwise.
func ParseSortValue(field, v string) (any, error) {
	switch SortKind(field) {
	case KindInt:
		if v == "" {
			return int64(0), nil
		}
		return strconv.ParseInt(v, 10, 64)
	case KindTime:
		return ParseTime(v)
	}
	if !utf8.ValidString(v) {
		return nil, fmt.Errorf("not valid UTF-8 text")
	}
	return v, nil
}

// Search limits: a search is at most MaxSearchRunes characters and
// MaxSearchTerms words, and every word at least MinSearchRunes characters
// (the search indexes find runs of three characters).
const (
	MaxSearchRunes = 200
	MaxSearchTerms = 8
	MinSearchRunes = 3
)

// SearchTerms splits a search into its words (separated by spaces), each
// of which a lead must contain. It returns an EINVALID error naming q for
// text that is not UTF-8, too long, of too many words, or with a word
// shorter than [MinSearchRunes].
func SearchTerms(q string) ([]string, error) {
	bad := func(format string, a ...any) ([]string, error) {
		return nil, Invalid(FieldError{"q", fmt.Sprintf(format, a...)})
	}
	if !utf8.ValidString(q) {
		return bad("is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(q); n > MaxSearchRunes {
		return bad("is %d characters long; a search is at most %d", n, MaxSearchRunes)
	}
	terms := strings.Fields(q)
	if len(terms) > MaxSearchTerms {
		return bad("has %d words; a search has at most %d", len(terms), MaxSearchTerms)
	}
	for _, t := range terms {
		if strings.ContainsRune(t, 0) {
			return bad("holds a NUL character")
		}
		if n := utf8.RuneCountInString(t); n < MinSearchRunes {
			return bad("%q is too short: every word of a search needs at least %d characters", t, MinSearchRunes)
		}
	}
	return terms, nil
}

// MaxFilterValues bounds the values of one field in a filter's In (and in
// the deals board's filters).
const MaxFilterValues = 50

// Validate checks the filter's field names and values.
func (f *LeadFilter) Validate() error {
	var errs []FieldError
	check := func(name, v string) bool {
		if name == "owner_id" && v == "0" {
			return true // no owner: the unassigned leads
		}
		lf, ok := LookupLeadField(name)
		if !ok {
			errs = append(errs, FieldError{name, "no such lead field"})
			return false
		}
		var scratch Lead
		if err := lf.Set(&scratch, v); err != nil {
			errs = append(errs, FieldError{name, err.Error()})
			return false
		}
		return true
	}
	for name, v := range f.Equal {
		check(name, v)
	}
	for name, vs := range f.In {
		switch {
		case len(vs) == 0:
			errs = append(errs, FieldError{name, "has no value: a filter of several values needs one or more"})
		case len(vs) > MaxFilterValues:
			errs = append(errs, FieldError{name, fmt.Sprintf("has %d values; a filter takes at most %d", len(vs), MaxFilterValues)})
		default:
			for _, v := range vs {
				if !check(name, v) {
					break
				}
			}
		}
	}
	if f.Limit < 0 || f.Limit > 1000 {
		errs = append(errs, FieldError{"limit", "must be between 1 and 1000"})
	}
	if _, err := SearchTerms(f.Q); err != nil {
		errs = append(errs, ErrorFields(err)...)
	}
	field, _, ok := SortField(f.Sort)
	if !ok {
		errs = append(errs, FieldError{"sort", fmt.Sprintf("%q is not a field lists sort by (%s, with - before it for descending)", f.Sort, strings.Join(SortFields, ", "))})
	} else if f.After != 0 && field != "id" {
		if _, err := ParseSortValue(field, f.AfterValue); err != nil {
			errs = append(errs, FieldError{"cursor", "does not fit the sort: " + err.Error()})
		}
	}
	if !utf8.ValidString(f.Team) {
		errs = append(errs, FieldError{"team", "is not valid UTF-8 text"})
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		return Invalid(errs...)
	}
	return nil
}

// LeadPage is one page of a lead list.
type LeadPage struct {
	Leads []Lead
	// Total counts all leads that match the filter, on every page; when
	// More is true, more than Total match (the filter's CountUpTo).
	Total int
	More  bool
	// Next is the cursor for the next page, 0 on the last page, and
	// NextValue the last lead's value of the Sort field.
	Next      int64
	NextValue string
}

// LeadView is a saved view of the leads list: a name and the list's query
// string (its filters, search and sort), kept for its user and, when
// shared, listed for everyone.
type LeadView struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	UserEmail string    `json:"user_email,omitempty"` // whose it is, as read
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	Shared    bool      `json:"shared"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits of a saved view.
const (
	MaxViewName  = 80   // characters
	MaxViewQuery = 4000 // bytes
)

// Validate checks a view's name and query: EINVALID naming each bad one.
func (v *LeadView) Validate() error {
	var errs []FieldError
	switch n := utf8.RuneCountInString(v.Name); {
	case !utf8.ValidString(v.Name):
		errs = append(errs, FieldError{"name", "is not valid UTF-8 text"})
	case strings.TrimSpace(v.Name) == "":
		errs = append(errs, FieldError{"name", "name the view"})
	case n > MaxViewName:
		errs = append(errs, FieldError{"name", fmt.Sprintf("is %d characters long; a view's name is at most %d", n, MaxViewName)})
	}
	if !utf8.ValidString(v.Query) || len(v.Query) > MaxViewQuery {
		errs = append(errs, FieldError{"query", fmt.Sprintf("must be UTF-8 text of at most %d bytes", MaxViewQuery)})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}
