package tandem_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

func field(t *testing.T, name string) tandem.LeadField {
	t.Helper()
	f, ok := tandem.LookupLeadField(name)
	if !ok {
		t.Fatalf("LookupLeadField(%q) = false; want a field", name)
	}
	return f
}

func TestLookupLeadField(t *testing.T) {
	tests := []struct {
		name string
		kind tandem.FieldKind
		ok   bool
	}{
		{"email", tandem.KindText, true},
		{"stage", tandem.KindText, true},
		{"score", tandem.KindInt, true},
		{"owner_id", tandem.KindInt, true},
		{"created_at", tandem.KindTime, true},
		{"attributes.landing_page_id", tandem.KindText, true},
		{"attributes.a-b_9", tandem.KindText, true},
		{"attributes." + strings.Repeat("k", tandem.MaxAttributeKey), tandem.KindText, true},
		{"attributes." + strings.Repeat("k", tandem.MaxAttributeKey+1), 0, false},
		{"attributes.", 0, false},
		{"attributes.Landing", 0, false},
		{"attributes.with space", 0, false},
		{"attributes.é", 0, false},
		{"Email", 0, false},
		{"id", 0, false},         // not settable
		{"updated_at", 0, false}, // not settable
		{"colour", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		f, ok := tandem.LookupLeadField(tt.name)
		if ok != tt.ok || ok && (f.Kind != tt.kind || f.Name != tt.name) {
			t.Errorf("LookupLeadField(%q) = %q %v, %v; want %v, %v", tt.name, f.Name, f.Kind, ok, tt.kind, tt.ok)
		}
	}
}

func TestLeadFieldSetGet(t *testing.T) {
	tests := []struct {
		field, value string
		want         string // Get after Set; ignored when err is set
		err          string
	}{
		{"email", "ana@example.com", "ana@example.com", ""},
		{"email", "", "", ""},
		{"email", "ana", "", `"ana" is not an email address`},
		{"email", "@example.com", "", `"@example.com" is not an email address`},
		{"email", "ana@", "", `"ana@" is not an email address`},
		{"email", "ana smith@example.com", "", `"ana smith@example.com" is not an email address`},
		{"email", "<ana@example.com>", "", `"<ana@example.com>" is not an email address`},
		{"email", strings.Repeat("a", 250) + "@x.io", "", `"` + strings.Repeat("a", 250) + `@x.io" is not an email address`},
		{"company", "Loja Bela, Ltda", "Loja Bela, Ltda", ""},
		{"company", "  spaces kept  ", "  spaces kept  ", ""},
		{"company", strings.Repeat("é", tandem.MaxTextLen), strings.Repeat("é", tandem.MaxTextLen), ""}, // runes, not bytes
		{"company", strings.Repeat("x", tandem.MaxTextLen+1), "", "longer than 1000 characters"},
		{"company", "Acme\xff", "", "not valid UTF-8"},
		{"company", "Ac\x00me", "", "contains a NUL byte"},
		{"stage", "anything", "anything", ""}, // the agreement checks stages, not the field
		{"score", "75", "75", ""},
		{"score", "+5", "5", ""},
		{"score", "-3", "-3", ""},
		{"score", "80.0", "80", ""},
		{"score", "1e2", "100", ""},
		{"score", "", "0", ""},
		{"score", "1000000", "1000000", ""},
		{"score", "-1000000", "-1000000", ""},
		{"score", "1000001", "", "1000001 is out of range (±1000000)"},
		{"score", "-1000001", "", "-1000001 is out of range (±1000000)"},
		{"score", "80.5", "", `"80.5" is not a whole number`},
		{"score", "high", "", `"high" is not a whole number`},
		{"score", "NaN", "", `"NaN" is not a whole number`},
		{"score", "Inf", "", `"Inf" is not a whole number`},
		{"score", "1e300", "", `"1e300" is not a whole number`},
		{"owner_id", "42", "42", ""},
		{"owner_id", "007", "7", ""},
		{"owner_id", "", "", ""},
		{"owner_id", "0", "", `"0" is not a positive whole number`},
		{"owner_id", "-4", "", `"-4" is not a positive whole number`},
		{"owner_id", "4.5", "", `"4.5" is not a positive whole number`},
		{"created_at", "2017-06-14", "2017-06-14T00:00:00Z", ""},
		{"created_at", "2026-11-22T09:30:00+01:00", "2026-11-22T08:30:00Z", ""},
		{"created_at", "2026-11-22T09:30:00.1234567Z", "2026-11-22T09:30:00.123456Z", ""}, // microseconds, like the databases
		{"created_at", "", "", ""},
		{"created_at", "yesterday", "", `"yesterday" is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)`},
		{"created_at", "14/06/2017", "", `"14/06/2017" is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)`},
		// In UTC these fall outside the years a time can be written in, so
		// they could not be read back from the ledger.
		{"created_at", "0000-01-01T00:00:00+01:00", "", `"0000-01-01T00:00:00+01:00" is out of range (want a year between 1 and 9999)`},
		{"created_at", "9999-12-31T23:00:00-02:00", "", `"9999-12-31T23:00:00-02:00" is out of range (want a year between 1 and 9999)`},
		// The zero time is how a lead says "no time": accepting it would
		// clear created_at.
		{"created_at", "0001-01-01T00:00:00Z", "", `"0001-01-01T00:00:00Z" is out of range (want a year between 1 and 9999)`},
		{"attributes.tier", "gold", "gold", ""},
		{"attributes.tier", "", "", ""},
		{"attributes.tier", strings.Repeat("x", tandem.MaxTextLen+1), "", "longer than 1000 characters"},
		{"attributes.tier", "\xc3", "", "not valid UTF-8"},
		{"attributes.tier", "a\x00", "", "contains a NUL byte"},
	}
	for _, tt := range tests {
		f := field(t, tt.field)
		var l tandem.Lead
		err := f.Set(&l, tt.value)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("LeadField(%s).Set(%q) = %q; want error %q", tt.field, tt.value, got, tt.err)
			continue
		}
		if err != nil {
			if diff := cmp.Diff(tandem.Lead{}, l); diff != "" {
				t.Errorf("LeadField(%s).Set(%q) failed but changed the lead (-want +got):\n%s", tt.field, tt.value, diff)
			}
			continue
		}
		if got := f.Get(&l); got != tt.want {
			t.Errorf("LeadField(%s).Get after Set(%q) = %q; want %q", tt.field, tt.value, got, tt.want)
		}
		// What Get returns, Set reads back to the same value: events store
		// values as Get writes them and replay them with Set.
		var again tandem.Lead
		if err := f.Set(&again, f.Get(&l)); err != nil {
			t.Errorf("LeadField(%s).Set(Get()) = %v; want the value to read back", tt.field, err)
		} else if diff := cmp.Diff(l, again); diff != "" {
			t.Errorf("LeadField(%s): Set(Get()) differs (-first +again):\n%s", tt.field, diff)
		}
	}
}

func TestLeadFieldSetClears(t *testing.T) {
	l := tandem.Lead{Email: "a@x.io", Score: 7, OwnerID: 3, CreatedAt: time.Date(2017, 6, 14, 0, 0, 0, 0, time.UTC),
		Attributes: map[string]string{"tier": "gold", "size": "xl"}}
	for _, name := range []string{"email", "score", "owner_id", "created_at", "attributes.tier"} {
		if err := field(t, name).Set(&l, ""); err != nil {
			t.Fatalf("LeadField(%s).Set(\"\") = %v", name, err)
		}
	}
	want := tandem.Lead{Attributes: map[string]string{"size": "xl"}}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("after setting every field to \"\" (-want +got):\n%s", diff)
	}
}

func TestLeadFieldAttributeCap(t *testing.T) {
	var l tandem.Lead
	for i := range tandem.MaxAttributes {
		if err := field(t, attrName(i)).Set(&l, "v"); err != nil {
			t.Fatalf("Set(%s) = %v; want attribute %d of %d accepted", attrName(i), err, i+1, tandem.MaxAttributes)
		}
	}
	extra := attrName(tandem.MaxAttributes)
	if err := field(t, extra).Set(&l, "v"); err == nil || err.Error() != "a lead holds at most 100 attributes" {
		t.Errorf("Set(%s) on a lead with %d attributes = %v; want the cap", extra, tandem.MaxAttributes, err)
	}
	// A lead at the cap still changes the attributes it has.
	if err := field(t, attrName(0)).Set(&l, "w"); err != nil || l.Attributes["a000"] != "w" {
		t.Errorf("Set(%s) on a full lead = %v, value %q; want the change", attrName(0), err, l.Attributes["a000"])
	}
}

func attrName(i int) string { return fmt.Sprintf("%sa%03d", tandem.AttributePrefix, i) }

func TestFieldValues(t *testing.T) {
	l := tandem.Lead{Source: "olist", ExternalID: "x1", Email: "a@x.io", Score: 0, OwnerID: 0, Stage: "mql",
		CreatedAt: time.Date(2017, 6, 14, 0, 0, 0, 0, time.UTC), Attributes: map[string]string{"z": "1", "a": "2"}}
	want := []tandem.FieldChange{
		{Field: "source", To: "olist"}, {Field: "external_id", To: "x1"}, {Field: "email", To: "a@x.io"},
		{Field: "stage", To: "mql"}, {Field: "created_at", To: "2017-06-14T00:00:00Z"},
		{Field: "attributes.a", To: "2"}, {Field: "attributes.z", To: "1"},
	}
	if diff := cmp.Diff(want, l.FieldValues()); diff != "" {
		t.Errorf("FieldValues() (-want +got):\n%s", diff)
	}
}

func TestLeadFilterValidate(t *testing.T) {
	tests := []struct {
		f    tandem.LeadFilter
		want []tandem.FieldError // nil when valid
	}{
		{tandem.LeadFilter{}, nil},
		{tandem.LeadFilter{Equal: map[string]string{"origin": "social", "stage": "mql", "attributes.tier": "gold"}}, nil},
		{tandem.LeadFilter{Equal: map[string]string{"origin": ""}}, nil}, // leads with no origin
		{tandem.LeadFilter{Equal: map[string]string{"score": "60", "owner_id": "3", "created_at": "2017-06-14"}}, nil},
		{tandem.LeadFilter{Limit: 1000}, nil},
		{tandem.LeadFilter{Limit: 1001}, []tandem.FieldError{{Field: "limit", Message: "must be between 1 and 1000"}}},
		{tandem.LeadFilter{Limit: -1}, []tandem.FieldError{{Field: "limit", Message: "must be between 1 and 1000"}}},
		{tandem.LeadFilter{Equal: map[string]string{"score": "many", "colour": "x", "attributes.Bad": "1", "email": "nope"}, Limit: 5000},
			[]tandem.FieldError{
				{Field: "attributes.Bad", Message: "no such lead field"},
				{Field: "colour", Message: "no such lead field"},
				{Field: "email", Message: `"nope" is not an email address`},
				{Field: "limit", Message: "must be between 1 and 1000"},
				{Field: "score", Message: `"many" is not a whole number`},
			}},
		{tandem.LeadFilter{Equal: map[string]string{"company": "a\x00"}}, []tandem.FieldError{{Field: "company", Message: "contains a NUL byte"}}},
	}
	for _, tt := range tests {
		err := tt.f.Validate()
		if tt.want == nil {
			if err != nil {
				t.Errorf("Validate(%+v) = %v; want nil", tt.f, err)
			}
			continue
		}
		if code := tandem.ErrorCode(err); code != tandem.EINVALID {
			t.Errorf("Validate(%+v) code = %q; want %q", tt.f, code, tandem.EINVALID)
		}
		if diff := cmp.Diff(tt.want, tandem.ErrorFields(err)); diff != "" {
			t.Errorf("Validate(%+v) fields (-want +got):\n%s", tt.f, diff)
		}
	}
}

func TestParseRole(t *testing.T) {
	const all = "admin, marketing, marketing_head, sales_rep, sales_manager, sales_head, executive"
	tests := []struct {
		in   string
		want tandem.Role
		err  string
	}{
		{"admin", tandem.RoleAdmin, ""},
		{"marketing", tandem.RoleMarketing, ""},
		{"marketing_head", tandem.RoleMarketingHead, ""},
		{"sales_rep", tandem.RoleSalesRep, ""},
		{"sales_manager", tandem.RoleSalesManager, ""},
		{"sales_head", tandem.RoleSalesHead, ""},
		{"executive", tandem.RoleExecutive, ""},
		{"Admin", "", `role: "Admin" is not a role (want one of ` + all + `)`},
		{"boss", "", `role: "boss" is not a role (want one of ` + all + `)`},
		{"", "", `role: "" is not a role (want one of ` + all + `)`},
	}
	for _, tt := range tests {
		got, err := tandem.ParseRole(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if got != "" || tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorMessage(err) != tt.err {
			t.Errorf("ParseRole(%q) = %q, %q (%s); want %q (invalid)", tt.in, got, tandem.ErrorMessage(err), tandem.ErrorCode(err), tt.err)
		}
	}
}

func TestUserValidate(t *testing.T) {
	tests := []struct {
		u      tandem.User
		fields []string
	}{
		{tandem.User{Email: "ana@example.com", Role: tandem.RoleAdmin}, nil},
		{tandem.User{Email: "ana", Role: tandem.RoleAdmin}, []string{"email"}},
		{tandem.User{Email: "ana@example.com", Role: "boss"}, []string{"role"}},
		{tandem.User{Email: "", Role: "", Name: strings.Repeat("n", tandem.MaxTextLen+1)}, []string{"email", "role", "name"}},
		{tandem.User{Email: "ana@example.com", Role: tandem.RoleAdmin, Name: "Ana \xed\xa0\x80"}, []string{"name"}},
		{tandem.User{Email: "ana@example.com", Role: tandem.RoleAdmin, Team: "east\xff"}, []string{"team"}},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range tandem.ErrorFields(tt.u.Validate()) {
			got = append(got, f.Field)
		}
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("(%+v).Validate() fields (-want +got):\n%s", tt.u, diff)
		}
	}
}
