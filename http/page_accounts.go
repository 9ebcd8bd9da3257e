package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

// The accounts pages: /accounts lists every account with its deals and
// revenue; /accounts/{id} shows one with the leads and deals of it the
// viewer may read (docs/web.md, "Accounts and products").

// accountRow is one account of the list.
type accountRow struct {
	tandem.Account
	Group sqldb.DealGroup
}

// accountsPage answers GET /accounts.
func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	accounts, err := s.DB.Accounts(ctx)
	if err != nil {
		return err
	}
	groups, err := s.DB.DealsBy(ctx, sqldb.ByAccount)
	if err != nil {
		return err
	}
	byName := map[string]sqldb.DealGroup{}
	for _, g := range groups {
		byName[g.Key] = g
	}
	rows := make([]accountRow, len(accounts))
	for i, a := range accounts {
		rows[i] = accountRow{a, byName[a.Name]}
	}
	p := newPage(r, "Accounts")
	p.Data = rows
	return s.render(w, http.StatusOK, "accounts", p)
}

// accountPageView is one account's page.
type accountPageView struct {
	sqldb.AccountView
	Leads []accountLead
	Limit int
}

type accountLead struct {
	tandem.Lead
	Name string
}

// accountPage answers GET /accounts/{id}.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.DB.AccountFor(r.Context(), id, caller(r))
	if err != nil {
		return err
	}
	pv := accountPageView{AccountView: v, Limit: sqldb.AccountListLimit}
	for _, l := range v.Leads {
		pv.Leads = append(pv.Leads, accountLead{l, leadName(l.FirstName, l.LastName, l.Email, l.ID)})
	}
	p := newPage(r, v.Account.Name)
	p.Data = pv
	return s.render(w, http.StatusOK, "account", p)
}
