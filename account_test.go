package tandem

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMergeAccount(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in    map[string]string
		want  Account
		field string // the one field refused, if any
	}{
		{map[string]string{"name": "  Acme   Corp ", "revenue": "1100.04", "employees": "2822", "year_established": "1996", "parent": "Big  Co"},
			Account{Name: "Acme Corp", RevenueCents: 110004, Employees: 2822, YearEstablished: 1996, Parent: "Big Co"}, ""},
		{map[string]string{"name": "Acme", "revenue": "lots"}, Account{}, "revenue"},
		{map[string]string{"name": "Acme", "revenue": "-1"}, Account{}, "revenue"},
		{map[string]string{"name": "Acme", "employees": "2,822"}, Account{}, "employees"},
		{map[string]string{"name": "Acme", "year_established": "2028"}, Account{}, "year_established"},
		{map[string]string{"name": strings.Repeat("a", 201)}, Account{}, "name"},
		{map[string]string{"name": "Acme", "parent": " ACME "}, Account{}, "parent"},
		{map[string]string{"sector": "retail"}, Account{}, "name"},
		{map[string]string{"name": "Acme", "sector": strings.Repeat("s", 201)}, Account{}, "sector"},
	} {
		got, changed, err := MergeAccount(nil, tt.in, now)
		if tt.field != "" {
			if fe := ErrorFields(err); len(fe) != 1 || fe[0].Field != tt.field {
				t.Errorf("MergeAccount(nil, %v) = %v; want one error, on %s", tt.in, err, tt.field)
			}
			continue
		}
		if err != nil || !changed || got != tt.want {
			t.Errorf("MergeAccount(nil, %v) = %+v, %t, %v; want %+v, true", tt.in, got, changed, err, tt.want)
		}
		// The same values again change nothing; the name stays as first given.
		again, changed, err := MergeAccount(&got, map[string]string{"name": "acme corp", "revenue": "1100.040"}, now)
		if err != nil || changed || again != got {
			t.Errorf("MergeAccount(%+v, same) = %+v, %t, %v; want unchanged", got, again, changed, err)
		}
	}
}

func TestMergeProduct(t *testing.T) {
	p, changed, err := MergeProduct(nil, map[string]string{"name": "GTX Pro", "series": "GTX", "list_price": "4821"})
	if err != nil || !changed || p != (Product{Name: "GTX Pro", Series: "GTX", ListPriceCents: 482100}) {
		t.Errorf("MergeProduct(GTX Pro) = %+v, %t, %v; want GTX Pro, GTX, 482100", p, changed, err)
	}
	for _, in := range []map[string]string{{"name": "X", "list_price": "cheap"}, {"series": "GTX"}, {"name": "X", "colour": "red"}} {
		if _, _, err := MergeProduct(nil, in); ErrorCode(err) != EINVALID {
			t.Errorf("MergeProduct(%v) = %v; want invalid", in, err)
		}
	}
	if NameKey("  GTX   pro ") != NameKey("gtx PRO") {
		t.Errorf("NameKey does not match %q and %q", "  GTX   pro ", "gtx PRO")
	}
}

// FuzzMergeAccount checks that any values give an account that passes its
// own rules, or an EINVALID error naming input fields only.
func FuzzMergeAccount(f *testing.F) {
	f.Add("Acme", "1100.04", "2822", "1996", "Parent", "tech")
	f.Add("", "x", "-1", "99999", "acme", "\x00")
	f.Fuzz(func(t *testing.T, name, revenue, employees, year, parent, sector string) {
		now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
		in := map[string]string{"name": name, "revenue": revenue, "employees": employees, "year_established": year, "parent": parent, "sector": sector}
		a, _, err := MergeAccount(nil, in, now)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("MergeAccount(%v) = %v; want EINVALID", in, err)
			}
			for _, fe := range ErrorFields(err) {
				if _, ok := in[fe.Field]; !ok {
					t.Fatalf("MergeAccount(%v) names field %q, not an input", in, fe.Field)
				}
			}
			return
		}
		if CheckName(a.Name) != nil || utf8.RuneCountInString(a.Name) > MaxNameLen || a.RevenueCents < 0 || a.Employees < 0 ||
			NameKey(a.Parent) == NameKey(a.Name) && a.Parent != "" {
			t.Fatalf("MergeAccount(%v) = %+v; want an account within its rules", in, a)
		}
		p, _, err := MergeProduct(nil, map[string]string{"name": name, "series": sector, "list_price": revenue})
		if err == nil && (CheckName(p.Name) != nil || p.ListPriceCents < 0) {
			t.Fatalf("MergeProduct = %+v; want a product within its rules", p)
		}
	})
}
