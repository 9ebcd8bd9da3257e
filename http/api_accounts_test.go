package http

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestAccountsAndProducts adds, changes and reads accounts and products
// through the API, and sends each route bad input and the wrong role.
func TestAccountsAndProducts(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var a tandem.Account
		ts.call("POST", "/api/v1/accounts", tandem.RoleSalesHead,
			`{"name":"Bluth  Company","sector":"technology","employees":3027,"revenue_cents":124232,"parent":"Acme Corporation","year_established":1993}`, 201, &a)
		if a.ID == 0 || a.Name != "Bluth Company" || a.Parent != "Acme Corporation" || a.ParentID == 0 || a.RevenueCents != 124232 || a.Employees != 3027 {
			t.Errorf("POST /api/v1/accounts = %+v; want Bluth Company, its parent added by name", a)
		}
		var again tandem.Account
		ts.call("POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"bluth company","location":"United States"}`, 200, &again)
		if again.ID != a.ID || again.Location != "United States" || again.Sector != "technology" {
			t.Errorf("POST /api/v1/accounts (by name, other case) = %+v; want account %d with its location set and its sector kept", again, a.ID)
		}
		var list struct{ Items []tandem.Account }
		ts.call("GET", "/api/v1/accounts", tandem.RoleSalesRep, "", 200, &list)
		var names []string
		for _, x := range list.Items {
			names = append(names, x.Name)
		}
		if diff := cmp.Diff([]string{"Acme Corporation", "Bluth Company"}, names); diff != "" {
			t.Errorf("GET /api/v1/accounts names (-want +got):\n%s", diff)
		}
		var one tandem.Account
		ts.call("GET", fmt.Sprintf("/api/v1/accounts/%d", a.ParentID), tandem.RoleExecutive, "", 200, &one)
		if one.Name != "Acme Corporation" {
			t.Errorf("GET /api/v1/accounts/%d = %+v; want Acme Corporation", a.ParentID, one)
		}

		var p tandem.Product
		ts.call("POST", "/api/v1/products", tandem.RoleMarketingHead, `{"name":"GTX Pro","series":"GTX","list_price_cents":482100}`, 201, &p)
		ts.call("POST", "/api/v1/products", tandem.RoleAdmin, `{"name":"GTX Pro","list_price_cents":482100}`, 200, &p)
		var plist struct{ Items []tandem.Product }
		ts.call("GET", "/api/v1/products", tandem.RoleSalesRep, "", 200, &plist)
		if len(plist.Items) != 1 || plist.Items[0].Series != "GTX" || plist.Items[0].ListPriceCents != 482100 {
			t.Errorf("GET /api/v1/products = %+v; want GTX Pro, series GTX, 4821.00", plist)
		}
		ts.call("GET", fmt.Sprintf("/api/v1/products/%d", p.ID), tandem.RoleSalesRep, "", 200, &p)

		long := strings.Repeat("x", 201)
		for _, tt := range []struct {
			method, path string
			role         tandem.Role
			body         string
			status       int
			code         string
			fields       []string
		}{
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"` + long + `"}`, 422, tandem.EINVALID, []string{"name"}},
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"X","revenue_cents":-5}`, 422, tandem.EINVALID, []string{"revenue_cents"}},
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"X","year_established":12}`, 422, tandem.EINVALID, []string{"year_established"}},
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"sector":"retail"}`, 422, tandem.EINVALID, []string{"name"}},
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"Acme Corporation","parent":"Bluth Company"}`, 422, tandem.EINVALID, []string{"parent"}},
			{"POST", "/api/v1/accounts", tandem.RoleAdmin, `{"name":"X","revenue":"12"}`, 422, tandem.EINVALID, []string{"revenue"}},
			{"POST", "/api/v1/accounts", tandem.RoleSalesRep, `{"name":"X"}`, 403, tandem.EFORBIDDEN, nil},
			{"POST", "/api/v1/products", tandem.RoleAdmin, `{"name":"Y","list_price_cents":-1}`, 422, tandem.EINVALID, []string{"list_price_cents"}},
			{"POST", "/api/v1/products", tandem.RoleMarketing, `{"name":"Y"}`, 403, tandem.EFORBIDDEN, nil},
			{"POST", "/api/v1/products", tandem.RoleAdmin, `{"name":`, 400, tandem.EMALFORMED, nil},
			{"GET", "/api/v1/accounts/99999", tandem.RoleAdmin, "", 404, tandem.ENOTFOUND, nil},
			{"GET", "/api/v1/products/x", tandem.RoleAdmin, "", 404, tandem.ENOTFOUND, nil},
		} {
			what := string(tt.role) + " " + tt.method + " " + tt.path + " " + tt.body
			e := checkError(t, what, ts.do(tt.method, tt.path, tt.role, tt.body), tt.status, tt.code)
			if tt.fields != nil {
				if diff := cmp.Diff(tt.fields, fieldNames(e.Error.Fields)); diff != "" {
					t.Errorf("%s: fields (-want +got):\n%s", what, diff)
				}
			}
		}
	})
}
