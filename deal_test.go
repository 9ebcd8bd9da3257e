package tandem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

var dealNow = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""},
		{"0.0", 0, ""},
		{"30000.0", 3000000, ""},
		{"1234.56", 123456, ""},
		{"1234.5", 123450, ""},
		{" 12 ", 1200, ""},
		{"12.", 1200, ""},
		{".5", 50, ""},
		{"+7", 700, ""},
		{"-7.25", -725, ""},
		{"007.10", 710, ""},
		{"1.500", 150, ""},
		{"10000000000000", tandem.MaxAmountCents, ""},
		{"10000000000000.01", 0, "over the largest amount"},
		{"99999999999999999999", 0, "over the largest amount"},
		{"1.005", 0, "more than two decimal places"},
		{"", 0, "no amount"},
		{".", 0, "not an amount"},
		{"-", 0, "not an amount"},
		{"1,234.56", 0, "without thousands separators"},
		{"$12", 0, "not an amount"},
		{"1e5", 0, "not an amount"},
		{"1.2.3", 0, "not an amount"},
		{"١٢", 0, "not an amount"}, // Arabic-Indic digits are not ASCII digits
	}
	for _, tt := range tests {
		got, err := tandem.ParseAmount(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseAmount(%q) = %d, %v; want an error containing %q", tt.in, got, err, tt.err)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 123456: "1234.56", -725: "-7.25", tandem.MaxAmountCents: "10000000000000.00"} {
		if got := tandem.FormatAmount(cents); got != want {
			t.Errorf("FormatAmount(%d) = %q; want %q", cents, got, want)
		}
		if back, err := tandem.ParseAmount(want); err != nil || back != cents {
			t.Errorf("ParseAmount(FormatAmount(%d)) = %d, %v; want %d", cents, back, err, cents)
		}
	}
}

// FuzzParseAmount checks that whatever ParseAmount accepts is in range and
// reads back the same through FormatAmount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.0", "1234.56", "-1", ".5", "1.500", "1e5", "99999999999999.99", "1,0", " 7 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := tandem.ParseAmount(s)
		if err != nil {
			if v != 0 {
				t.Fatalf("ParseAmount(%q) = %d and %v", s, v, err)
			}
			return
		}
		if v > tandem.MaxAmountCents || v < -tandem.MaxAmountCents {
			t.Fatalf("ParseAmount(%q) = %d: out of range", s, v)
		}
		back, err := tandem.ParseAmount(tandem.FormatAmount(v))
		if err != nil || back != v {
			t.Fatalf("ParseAmount(FormatAmount(ParseAmount(%q) = %d)) = %d, %v", s, v, back, err)
		}
	})
}

func day(d int) time.Time { return time.Date(2018, 3, d, 0, 0, 0, 0, time.UTC) }

func TestDealValidate(t *testing.T) {
	ok := tandem.Deal{LeadID: 1, Stage: tandem.DealOpen, CreatedAt: day(1), EngagedAt: day(1)}
	with := func(f func(d *tandem.Deal)) tandem.Deal {
		d := ok.Clone()
		f(&d)
		return d
	}
	tests := []struct {
		name string
		deal tandem.Deal
		want []tandem.FieldError
	}{
		{"open", ok, nil},
		{"won", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt, d.AmountCents = tandem.DealWon, day(9), 5000 }), nil},
		{"lost", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt, d.LostReason = tandem.DealLost, day(9), "no_budget" }), nil},
		{"closed before opened and engaged is allowed", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt = tandem.DealWon, day(1).Add(-time.Hour) }), nil},
		{"negative amount", with(func(d *tandem.Deal) { d.AmountCents = -1 }),
			[]tandem.FieldError{{Field: "amount_cents", Message: "-1 is negative: an amount is zero or more"}}},
		{"won without a date", with(func(d *tandem.Deal) { d.Stage = tandem.DealWon }),
			[]tandem.FieldError{{Field: "closed_at", Message: "a won deal needs the date it was won"}}},
		{"lost without a reason or a date", with(func(d *tandem.Deal) { d.Stage = tandem.DealLost }),
			[]tandem.FieldError{{Field: "closed_at", Message: "a lost deal needs the date it was lost"},
				{Field: "lost_reason", Message: "a lost deal needs a reason code (like price, no_budget or competitor)"}}},
		{"a reason that is not a code", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt, d.LostReason = tandem.DealLost, day(9), "Too expensive" }),
			[]tandem.FieldError{{Field: "lost_reason", Message: `"Too expensive" is not a reason code: use lower-case letters, digits and _ (like no_budget), at most 64`}}},
		{"open with a close date", with(func(d *tandem.Deal) { d.ClosedAt = day(9) }),
			[]tandem.FieldError{{Field: "closed_at", Message: "an open deal has no close date: win or lose it to close it"}}},
		{"won with a lost reason", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt, d.LostReason = tandem.DealWon, day(9), "price" }),
			[]tandem.FieldError{{Field: "lost_reason", Message: "only a lost deal has a lost reason"}}},
		{"unknown stage", with(func(d *tandem.Deal) { d.Stage = "pending" }),
			[]tandem.FieldError{{Field: "stage", Message: `"pending" is not a deal stage (want one of open, won, lost)`}}},
		{"won in the future", with(func(d *tandem.Deal) { d.Stage, d.ClosedAt = tandem.DealWon, dealNow.Add(48*time.Hour) }),
			[]tandem.FieldError{{Field: "closed_at", Message: "2026-11-04T09:00:00Z is in the future"}}},
		{"no opening", with(func(d *tandem.Deal) { d.CreatedAt = time.Time{} }),
			[]tandem.FieldError{{Field: "created_at", Message: "is required: when the deal was opened"}}},
		{"external id without source", with(func(d *tandem.Deal) { d.ExternalID = "x" }),
			[]tandem.FieldError{{Field: "source", Message: "a deal with an external_id needs the source it comes from"}}},
		{"bad attribute", with(func(d *tandem.Deal) { d.Attributes = map[string]string{"Lead Type": "x"} }),
			[]tandem.FieldError{{Field: "attributes.Lead Type", Message: "not a valid attribute name: lower-case letters, digits, _ and -, at most 64"}}},
	}
	for _, tt := range tests {
		err := tt.deal.Validate(dealNow)
		if diff := cmp.Diff(tt.want, tandem.ErrorFields(err)); diff != "" {
			t.Errorf("%s: Validate() = %v; field errors (-want +got):\n%s", tt.name, err, diff)
		}
		if err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("%s: Validate() code = %q; want invalid", tt.name, tandem.ErrorCode(err))
		}
	}
}

func TestClosedBeforeEngaged(t *testing.T) {
	// The Olist deal won on 2018-03-06 whose lead first made contact on
	// 2018-03-08.
	d := tandem.Deal{Stage: tandem.DealWon, EngagedAt: day(8), CreatedAt: day(8), ClosedAt: day(6).Add(11 * time.Hour)}
	if !d.ClosedBeforeEngaged() {
		t.Errorf("%+v.ClosedBeforeEngaged() = false; want true", d)
	}
	d.ClosedAt = day(8)
	if d.ClosedBeforeEngaged() {
		t.Errorf("a deal closed at its first contact: ClosedBeforeEngaged() = true; want false")
	}
	if (&tandem.Deal{EngagedAt: day(8)}).ClosedBeforeEngaged() {
		t.Errorf("an open deal: ClosedBeforeEngaged() = true; want false")
	}
}

func dealIn(kv ...string) tandem.DealInput {
	in := tandem.DealInput{Fields: map[string]string{}, Initial: map[string]string{}}
	for i := 0; i < len(kv); i += 2 {
		if name, ok := strings.CutPrefix(kv[i], "initial:"); ok {
			in.Initial[name] = kv[i+1]
		} else {
			in.Fields[kv[i]] = kv[i+1]
		}
	}
	return in
}

func TestMergeDeal(t *testing.T) {
	lead := &tandem.Lead{ID: 7, OwnerID: 3, CreatedAt: day(8)}
	// A new deal: the lead's owner and first contact unless the input
	// says otherwise; opened when engaged.
	got, changes, err := tandem.MergeDeal(nil, dealIn("lead_external_id", "m1", "closed_at", "2018-03-06T11:41:36Z", "amount", "0.0",
		"account", "s1", "attributes.lead_type", "online_medium", "initial:stage", "won"), lead, 0, dealNow)
	if err != nil {
		t.Fatalf("MergeDeal: %v", err)
	}
	want := tandem.Deal{LeadID: 7, OwnerID: 3, Stage: tandem.DealWon, CreatedAt: day(8), EngagedAt: day(8),
		ClosedAt: time.Date(2018, 3, 6, 11, 41, 36, 0, time.UTC), Account: "s1", Attributes: map[string]string{"lead_type": "online_medium"}}
	if diff := cmp.Diff(want, got); diff != "" || changes != nil {
		t.Errorf("MergeDeal(new) (-want +got):\n%s\nchanges %v; want none for a new deal", diff, changes)
	}
	if !got.ClosedBeforeEngaged() {
		t.Errorf("the deal won before its first contact: ClosedBeforeEngaged() = false")
	}

	// Again: nothing changes.
	cur := got
	cur.ID = 12
	again, changes, err := tandem.MergeDeal(&cur, dealIn("closed_at", "2018-03-06T11:41:36Z", "amount", "0", "initial:stage", "won"), lead, 0, dealNow)
	if err != nil || changes != nil || !cmp.Equal(again, cur) {
		t.Errorf("MergeDeal(same values) = %+v, %v, %v; want the deal unchanged", again, changes, err)
	}

	// An amount correction is a change.
	_, changes, err = tandem.MergeDeal(&cur, dealIn("amount", "12.5"), lead, 0, dealNow)
	if diff := cmp.Diff([]tandem.FieldChange{{Field: "amount", From: "0.00", To: "12.50"}}, changes); err != nil || diff != "" {
		t.Errorf("MergeDeal(amount 12.5) = %v; changes (-want +got):\n%s", err, diff)
	}

	// A closed deal does not reopen or change outcome; a constant "open"
	// is no request to reopen.
	if _, _, err := tandem.MergeDeal(&cur, dealIn("stage", "lost", "lost_reason", "price"), lead, 0, dealNow); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("MergeDeal(won deal, stage lost) = %v; want a conflict", err)
	}
	if _, _, err := tandem.MergeDeal(&cur, dealIn("stage", "open"), lead, 0, dealNow); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("MergeDeal(won deal, stage open) = %v; want a conflict", err)
	}
	if _, changes, err := tandem.MergeDeal(&cur, dealIn("initial:stage", "open"), lead, 0, dealNow); err != nil || changes != nil {
		t.Errorf("MergeDeal(won deal, initial stage open) = %v, %v; want no change", changes, err)
	}

	// An open deal closes on an initial stage, with a change.
	open := tandem.Deal{ID: 13, LeadID: 7, Stage: tandem.DealOpen, CreatedAt: day(8), EngagedAt: day(8)}
	closed, changes, err := tandem.MergeDeal(&open, dealIn("closed_at", "2018-03-20", "initial:stage", "won", "initial:amount", "99"), lead, 9, dealNow)
	wantChanges := []tandem.FieldChange{{Field: "owner", From: "0", To: "9"}, {Field: "closed_at", To: "2018-03-20T00:00:00Z"}, {Field: "stage", From: "open", To: "won"}}
	if diff := cmp.Diff(wantChanges, changes); err != nil || diff != "" || closed.AmountCents != 0 || closed.OwnerID != 9 {
		t.Errorf("MergeDeal(open deal, won) = %+v, %v; changes (-want +got):\n%s\nwant the initial amount left out and owner 9", closed, err, diff)
	}

	// Bad values name their fields, the amount by the input's name.
	_, _, err = tandem.MergeDeal(nil, dealIn("amount", "-3", "closed_at", "yesterday", "stage", "lost", "colour", "red"), lead, 0, dealNow)
	wantErrs := []tandem.FieldError{
		{Field: "amount", Message: `"-3" is negative: an amount is zero or more`},
		{Field: "closed_at", Message: `"yesterday" is not a time (want RFC 3339, like 2026-11-22T09:30:00Z, or a date, like 2026-11-22)`},
		{Field: "colour", Message: "no such deal field"},
	}
	if diff := cmp.Diff(wantErrs, tandem.ErrorFields(err)); diff != "" {
		t.Errorf("MergeDeal(bad values) = %v; field errors (-want +got):\n%s", err, diff)
	}
	_, _, err = tandem.MergeDeal(nil, dealIn("stage", "lost", "closed_at", "2018-03-20"), lead, 0, dealNow)
	if diff := cmp.Diff([]tandem.FieldError{{Field: "lost_reason", Message: "a lost deal needs a reason code (like price, no_budget or competitor)"}},
		tandem.ErrorFields(err)); diff != "" {
		t.Errorf("MergeDeal(lost without a reason) = %v; field errors (-want +got):\n%s", err, diff)
	}
}

func TestDealFields(t *testing.T) {
	for _, tt := range []struct {
		name string
		kind tandem.FieldKind
		ok   bool
	}{
		{"lead_external_id", tandem.KindText, true},
		{"amount", tandem.KindText, true},
		{"closed_at", tandem.KindTime, true},
		{"engaged_at", tandem.KindTime, true},
		{"attributes.business_segment", tandem.KindText, true},
		{"attributes.Bad", 0, false},
		{"amount_cents", 0, false},
		{"id", 0, false},
	} {
		kind, ok := tandem.LookupDealField(tt.name)
		if ok != tt.ok || ok && kind != tt.kind {
			t.Errorf("LookupDealField(%q) = %v, %v; want %v, %v", tt.name, kind, ok, tt.kind, tt.ok)
		}
	}
	in := dealIn("lead_external_id", "m1", "initial:source", "olist")
	if s, e := in.Key("import"); s != "olist" || e != "m1" {
		t.Errorf("Key() = %q, %q; want olist, m1 (the lead's external id)", s, e)
	}
	if s, e := in.LeadKey("import"); s != "olist" || e != "m1" {
		t.Errorf("LeadKey() = %q, %q; want olist, m1", s, e)
	}
	in = dealIn("external_id", "d-9", "lead_source", "hubspot", "lead_external_id", "51", "source", "pipedrive")
	if s, e := in.Key("import"); s != "pipedrive" || e != "d-9" {
		t.Errorf("Key() = %q, %q; want pipedrive, d-9", s, e)
	}
	if s, e := in.LeadKey("import"); s != "hubspot" || e != "51" {
		t.Errorf("LeadKey() = %q, %q; want hubspot, 51", s, e)
	}
}

// FuzzMergeDeal feeds any values to a new deal and to a won one: whatever
// MergeDeal accepts is a valid deal, and what it refuses is refused with a
// code, never a panic.
func FuzzMergeDeal(f *testing.F) {
	f.Add("won", "1234.5", "2018-03-06T11:41:36Z", "", "x")
	f.Add("lost", "0", "2018-03-06", "price", "")
	f.Add("open", "-1", "", "Too expensive", "\x00")
	f.Add("", "1e9", "2999-01-01", "", "")
	lead := &tandem.Lead{ID: 1, OwnerID: 2, CreatedAt: day(8)}
	won := tandem.Deal{ID: 5, LeadID: 1, Stage: tandem.DealWon, CreatedAt: day(8), EngagedAt: day(8), ClosedAt: day(9)}
	f.Fuzz(func(t *testing.T, stage, amount, closed, reason, account string) {
		in := dealIn("stage", stage, "amount", amount, "closed_at", closed, "lost_reason", reason, "account", account, "attributes.note", account)
		for _, cur := range []*tandem.Deal{nil, &won} {
			d, _, err := tandem.MergeDeal(cur, in, lead, 0, dealNow)
			if err != nil {
				if code := tandem.ErrorCode(err); code != tandem.EINVALID && code != tandem.ECONFLICT {
					t.Fatalf("MergeDeal(%v) = %v (code %s)", in, err, code)
				}
				continue
			}
			if err := d.Validate(dealNow); err != nil {
				t.Fatalf("MergeDeal(%v) = %+v, which does not validate: %v", in, d, err)
			}
		}
	})
}
