package http

import (
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// Token scopes (docs/integrations.md, "Token scopes"): every API route
// that takes a token names the scope a token needs for it, here, by the
// route's pattern in the route table. A token may call a route when its
// role is among the route's roles and it has the scope
// ([access.HasScope]). TestEveryRouteHasAScope fails for an API route
// missing from this table; openapi.yaml names the same scope on each
// operation (x-scope), which TestOpenAPIScopes checks.
var routeScopes = map[string]access.TokenScope{
	"GET /api/v1/leads":                                          access.ScopeLeadsRead,
	"POST /api/v1/leads":                                         access.ScopeLeadsWrite,
	"GET /api/v1/leads/{id}":                                     access.ScopeLeadsRead,
	"GET /api/v1/leads/{id}/events":                              access.ScopeLeadsRead,
	"POST /api/v1/leads/{id}/stage":                              access.ScopeLeadsWrite,
	"GET /api/v1/leads/{id}/handoffs":                            access.ScopeLeadsRead,
	"POST /api/v1/leads/{id}/touches":                            access.ScopeWorkWrite,
	"POST /api/v1/leads/{id}/accept":                             access.ScopeWorkWrite,
	"POST /api/v1/leads/{id}/reject":                             access.ScopeWorkWrite,
	"POST /api/v1/leads/{id}/disqualify":                         access.ScopeWorkWrite,
	"POST /api/v1/leads/{id}/reviews":                            access.ScopeWorkWrite,
	"POST /api/v1/leads/{id}/assign":                             access.ScopeWorkWrite,
	"POST /api/v1/handoffs":                                      access.ScopeLeadsWrite,
	"GET /api/v1/tasks":                                          access.ScopeLeadsRead,
	"GET /api/v1/inbox":                                          access.ScopeLeadsRead,
	"POST /api/v1/inbox/read":                                    access.ScopeLeadsRead,
	"POST /api/v1/inbox/{id}/read":                               access.ScopeLeadsRead,
	"GET /api/v1/webhooks":                                       access.ScopeHooksManage,
	"POST /api/v1/webhooks":                                      access.ScopeHooksManage,
	"GET /api/v1/webhooks/{id}":                                  access.ScopeHooksManage,
	"PATCH /api/v1/webhooks/{id}":                                access.ScopeHooksManage,
	"DELETE /api/v1/webhooks/{id}":                               access.ScopeHooksManage,
	"GET /api/v1/webhooks/{id}/deliveries":                       access.ScopeHooksManage,
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver": access.ScopeHooksManage,
	"POST /api/v1/webhooks/{id}/test":                            access.ScopeHooksManage,
	"GET /api/v1/sla":                                            access.ScopeReportsRead,
	"GET /api/v1/leads/{id}/cadence":                             access.ScopeLeadsRead,
	"GET /api/v1/deals":                                          access.ScopeLeadsRead,
	"GET /api/v1/deals/report":                                   access.ScopeReportsRead,
	"GET /api/v1/deals/{id}":                                     access.ScopeLeadsRead,
	"POST /api/v1/deals/{id}/won":                                access.ScopeDealsWrite,
	"POST /api/v1/deals/{id}/lost":                               access.ScopeDealsWrite,
	"POST /api/v1/deals/{id}/stage":                              access.ScopeDealsWrite,
	"POST /api/v1/leads/{id}/marketing-touches":                  access.ScopeLeadsWrite,
	"GET /api/v1/accounts":                                       access.ScopeLeadsRead,
	"POST /api/v1/accounts":                                      access.ScopeLeadsWrite,
	"GET /api/v1/accounts/{id}":                                  access.ScopeLeadsRead,
	"GET /api/v1/products":                                       access.ScopeLeadsRead,
	"POST /api/v1/products":                                      access.ScopeLeadsWrite,
	"GET /api/v1/products/{id}":                                  access.ScopeLeadsRead,
	"GET /api/v1/campaigns":                                      access.ScopeLeadsRead,
	"POST /api/v1/campaigns":                                     access.ScopeLeadsWrite,
	"PUT /api/v1/campaigns/{code}/spend/{month}":                 access.ScopeLeadsWrite,
	"GET /api/v1/campaigns/report":                               access.ScopeReportsRead,
	"GET /api/v1/agreement":                                      access.ScopeLeadsRead,
	"GET /api/v1/agreements":                                     access.ScopeLeadsRead,
	"GET /api/v1/agreements/{version}":                           access.ScopeLeadsRead,
	"POST /api/v1/agreements":                                    access.ScopeAdmin,
	"GET /api/v1/audit":                                          access.ScopeAdmin,
	"GET /api/v1/plan":                                           access.ScopeReportsRead,
	"GET /api/v1/pace":                                           access.ScopeReportsRead,
	"GET /api/v1/scorecard":                                      access.ScopeReportsRead,
	"GET /api/v1/alerts":                                         access.ScopeReportsRead,
	"POST /api/v1/alerts/check":                                  access.ScopeReportsRead,
	"GET /api/v1/forms":                                          access.ScopeHooksManage,
	"GET /api/v1/meetings/{period}":                              access.ScopeReportsRead,
	"POST /api/v1/meetings/{period}/items":                       access.ScopeWorkWrite,
	"POST /api/v1/meetings/items/{id}/done":                      access.ScopeWorkWrite,
	"POST /api/v1/meetings/{period}/responses":                   access.ScopeLeadsWrite,
	"GET /api/v1/agreements/{version}/comments":                  access.ScopeLeadsRead,
	"POST /api/v1/agreements/{version}/comments":                 access.ScopeAdmin,
	"POST /api/v1/agreements/{version}/answers":                  access.ScopeAdmin,
	"GET /api/v1/forms/{form}/submissions":                       access.ScopeHooksManage,
	"GET /api/v1/content":                                        access.ScopeLeadsRead,
	"POST /api/v1/content":                                       access.ScopeLeadsWrite,
	"GET /api/v1/content/effect":                                 access.ScopeReportsRead,
	"GET /api/v1/content/{code}":                                 access.ScopeLeadsRead,
	"POST /api/v1/content/{code}/status":                         access.ScopeLeadsWrite,
	"POST /api/v1/content/{code}/ratings":                        access.ScopeWorkWrite,
}

// checkScope refuses, as EFORBIDDEN naming the scope, a token without the
// scope of the route. Pages (a session, not a token) have no scopes.
func checkScope(tok tandem.Token, pattern string) error {
	_, path, _ := strings.Cut(pattern, " ")
	if isPagePath(path) {
		return nil
	}
	need, ok := routeScopes[pattern]
	if !ok {
		// A route missing from the table needs the admin scope until it
		// is given one: the safe side (TestEveryRouteHasAScope).
		need = access.ScopeAdmin
	}
	if !access.HasScope(tok.Scopes, need) {
		return tandem.Errorf(tandem.EFORBIDDEN, "the token %s lacks the scope %s, which %s needs (it has: %s)", tok.Name, need, pattern, strings.Join(tok.Scopes, ", "))
	}
	return nil
}
