package http

import (
	"net/http"
	"net/url"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
)

// The accounts pages: /accounts lists every account with its deals and
// revenue; /accounts/{id} shows one with the leads and deals of it the
// viewer may read (docs/web.md, "Accounts and products").

// accountsPerPage is how many accounts /accounts lists at once.
const accountsPerPage = 100

// accountsView is the accounts page's data.
type accountsView struct {
	Rows []sqldb.AccountRow
	Next string // the query of the next page; "" at the end
}

// accountsPage answers GET /accounts?after=NAME: the accounts by name, a
// hundred at a time, with their figures.
func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) error {
	var after string
	err := eachParam(r, func(name, v string, bad func(string)) {
		if name != "after" {
			bad("not a parameter of the accounts page (after)")
		}
		after = v
	})
	if err != nil {
		return err
	}
	rows, next, err := s.DB.AccountList(r.Context(), after, accountsPerPage)
	if err != nil {
		return err
	}
	v := accountsView{Rows: rows}
	if next != "" {
		v.Next = url.Values{"after": {next}}.Encode()
	}
	p := newPage(r, "Accounts")
	p.Data = v
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
