package http

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestEveryRouteHasAScope checks that every API route that takes a token
// names its scope in routeScopes, and that the table names no route that
// is gone.
func TestEveryRouteHasAScope(t *testing.T) {
	patterns := map[string]bool{}
	for _, rt := range new(Server).routes() {
		patterns[rt.pattern] = true
		if rt.isPage() || rt.roles == nil {
			continue
		}
		if _, ok := routeScopes[rt.pattern]; !ok {
			t.Errorf("route %q has no scope in routeScopes (http/scopes.go)", rt.pattern)
		}
	}
	for p, sc := range routeScopes {
		if !patterns[p] {
			t.Errorf("routeScopes names %q, which is not a route", p)
		}
		if _, err := access.ParseScopes(string(sc)); err != nil || sc == "" {
			t.Errorf("routeScopes[%q] = %q: %v", p, sc, err)
		}
	}
}

// TestOpenAPIScopes checks that each operation of openapi.yaml names the
// scope the route table gives its route, as x-scope.
func TestOpenAPIScopes(t *testing.T) {
	doc := openAPIDoc(t)
	for _, rt := range new(Server).routes() {
		if rt.isPage() {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		op := lookup(doc, "paths", path, strings.ToLower(method))
		if op == nil {
			continue // TestOpenAPI reports it
		}
		got, _ := lookup(op, "x-scope").(string)
		want := string(routeScopes[rt.pattern])
		if got != want {
			t.Errorf("%s: x-scope = %q; want %q (routeScopes)", rt.pattern, got, want)
		}
	}
}

// TestScopesEnforced makes tokens with one scope each and calls a route of
// every scope with each: only the route's scope (or admin, or no scopes at
// all) lets a token of an allowed role in.
func TestScopesEnforced(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		ctx := context.Background()
		secrets := map[string]string{}
		for _, sc := range append([]access.TokenScope{""}, access.Scopes...) {
			spec := sqldb.TokenSpec{Name: "scope-" + string(sc), Role: tandem.RoleAdmin}
			if sc != "" {
				spec.Scopes = []access.TokenScope{sc}
			}
			_, secret, err := ts.db.CreateScopedToken(ctx, spec)
			if err != nil {
				t.Fatalf("CreateScopedToken(%s): %v", sc, err)
			}
			secrets[string(sc)] = secret
		}
		// One route of each scope, with a body it takes.
		calls := []struct {
			method, path, body string
			scope              access.TokenScope
		}{
			{"GET", "/api/v1/leads", "", access.ScopeLeadsRead},
			{"POST", "/api/v1/leads", `{"external_id":"s1","email":"s1@example.com"}`, access.ScopeLeadsWrite},
			{"GET", "/api/v1/sla", "", access.ScopeReportsRead},
			{"GET", "/api/v1/forms", "", access.ScopeHooksManage},
			{"GET", "/api/v1/audit", "", access.ScopeAdmin},
		}
		for _, c := range calls {
			for sc, secret := range secrets {
				r := ts.doSecret(c.method, c.path, secret, strings.NewReader(c.body))
				mayCall := sc == "" || sc == string(access.ScopeAdmin) || sc == string(c.scope)
				what := c.method + " " + c.path + " with a token of scope " + sc
				if mayCall && r.status == http.StatusForbidden {
					t.Errorf("%s = %v; want it let in", what, r)
				}
				if !mayCall {
					e := checkError(t, what, r, http.StatusForbidden, tandem.EFORBIDDEN)
					if !strings.Contains(e.Error.Message, string(c.scope)) {
						t.Errorf("%s: the error %q does not name the scope %s", what, e.Error.Message, c.scope)
					}
				}
			}
		}
		// The role still limits a scoped token.
		_, rep, err := ts.db.CreateScopedToken(ctx, sqldb.TokenSpec{Name: "rep-admin-scope", Role: tandem.RoleSalesRep, Scopes: []access.TokenScope{access.ScopeAdmin}})
		if err != nil {
			t.Fatalf("CreateScopedToken(rep): %v", err)
		}
		checkError(t, "GET /api/v1/audit with a sales rep's admin-scope token", ts.doSecret("GET", "/api/v1/audit", rep, nil), http.StatusForbidden, tandem.EFORBIDDEN)
		// An expired token is refused like an unknown one.
		_, short, err := ts.db.CreateScopedToken(ctx, sqldb.TokenSpec{Name: "short", Role: tandem.RoleAdmin, ExpiresAt: ts.clk.Now().Add(time.Hour)})
		if err != nil {
			t.Fatalf("CreateScopedToken(short): %v", err)
		}
		if r := ts.doSecret("GET", "/api/v1/leads", short, nil); r.status != http.StatusOK {
			t.Errorf("GET /api/v1/leads with a live token = %v; want 200", r)
		}
		ts.clk.Advance(time.Hour)
		checkError(t, "GET /api/v1/leads with an expired token", ts.doSecret("GET", "/api/v1/leads", short, nil), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
	})
}
