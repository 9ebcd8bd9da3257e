package access

import (
	"slices"
	"strings"
	"testing"
)

func TestParseScopes(t *testing.T) {
	got, err := ParseScopes("admin, leads:read leads:read\tdeals:write")
	want := []TokenScope{ScopeLeadsRead, ScopeDealsWrite, ScopeAdmin}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseScopes = %v, %v; want %v", got, err, want)
	}
	if _, err := ParseScopes("leads:read leads:delete"); err == nil || !strings.Contains(err.Error(), "leads:delete") {
		t.Errorf("ParseScopes(an unknown scope) = %v; want an error naming it", err)
	}
	cases := []struct {
		scopes []string
		need   TokenScope
		ok     bool
	}{
		{nil, ScopeAdmin, true}, // a token made before scopes
		{[]string{"leads:read"}, ScopeLeadsRead, true},
		{[]string{"leads:read"}, ScopeLeadsWrite, false},
		{[]string{"admin"}, ScopeHooksManage, true},
		{[]string{"reports:read"}, "", true},
	}
	for _, c := range cases {
		if got := HasScope(c.scopes, c.need); got != c.ok {
			t.Errorf("HasScope(%v, %q) = %t; want %t", c.scopes, c.need, got, c.ok)
		}
	}
}

// FuzzParseScopes: whatever it reads, ParseScopes returns known scopes in
// order without repeats, or an error.
func FuzzParseScopes(f *testing.F) {
	f.Add("leads:read, admin")
	f.Add("work:write\nwork:write")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseScopes(s)
		if err != nil {
			return
		}
		for i, sc := range got {
			if !slices.Contains(Scopes, sc) {
				t.Errorf("ParseScopes(%q) gave %q, not a scope", s, sc)
			}
			if i > 0 && slices.Index(Scopes, got[i-1]) >= slices.Index(Scopes, sc) {
				t.Errorf("ParseScopes(%q) = %v: out of order or repeated", s, got)
			}
		}
	})
}
