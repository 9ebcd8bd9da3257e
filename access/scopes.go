package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// TokenScope is what an API token may be used for, on top of what its role
// allows: a token may call a route only when its role is among the
// route's roles and it carries the route's scope (docs/integrations.md,
// "Token scopes"). The route table of package http names each API
// route's scope.
type TokenScope string

// The scopes.
const (
	ScopeLeadsRead   TokenScope = "leads:read"   // read leads, deals, accounts, products, campaigns, the agreement
	ScopeLeadsWrite  TokenScope = "leads:write"  // send and change leads, hand-offs, marketing touches, campaigns, the catalogue
	ScopeWorkWrite   TokenScope = "work:write"   // touch, accept, reject, disqualify, review, assign
	ScopeDealsWrite  TokenScope = "deals:write"  // move, win and lose deals
	ScopeReportsRead TokenScope = "reports:read" // reports: SLA, deals, campaigns, plan, pace, scorecard, alerts
	ScopeHooksManage TokenScope = "hooks:manage" // website forms and webhook sources
	ScopeAdmin       TokenScope = "admin"        // every scope
)

// Scopes lists every scope, in the order the settings page shows them.
var Scopes = []TokenScope{ScopeLeadsRead, ScopeLeadsWrite, ScopeWorkWrite, ScopeDealsWrite, ScopeReportsRead, ScopeHooksManage, ScopeAdmin}

// ParseScopes reads scopes written separated by spaces or commas, in any
// order, and returns them in the order of [Scopes] without repeats. An
// unknown scope is an EINVALID error naming the field "scopes".
func ParseScopes(s string) ([]TokenScope, error) {
	var out []TokenScope
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
		if !slices.Contains(Scopes, TokenScope(w)) {
			names := make([]string, len(Scopes))
			for i, sc := range Scopes {
				names[i] = string(sc)
			}
			return nil, tandem.Invalid(tandem.FieldError{Field: "scopes", Message: fmt.Sprintf("%q is not a scope (%s)", w, strings.Join(names, ", "))})
		}
		out = append(out, TokenScope(w))
	}
	slices.SortFunc(out, func(a, b TokenScope) int { return slices.Index(Scopes, a) - slices.Index(Scopes, b) })
	return slices.Compact(out), nil
}

// HasScope reports whether a token with the scopes may use a route that
// needs need: the admin scope holds every other, and a token without
// scopes (one made before scopes existed) holds them all. A route that
// needs no scope ("") is open to every token its role allows.
func HasScope(scopes []string, need TokenScope) bool {
	if need == "" || len(scopes) == 0 {
		return true
	}
	return slices.Contains(scopes, string(need)) || slices.Contains(scopes, string(ScopeAdmin))
}

// ParseTokenExpiry reads a token's expiry as people give it: a date
// (2027-01-31), on which the token stops working at the start of the day,
// UTC; "" for none. Anything else is EINVALID naming expires_at.
func ParseTokenExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, tandem.Invalid(tandem.FieldError{Field: "expires_at", Message: fmt.Sprintf("%q is not a date such as 2027-01-31", s)})
	}
	return t, nil
}
