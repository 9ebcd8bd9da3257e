package http

import (
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

type accountList struct {
	Items []tandem.Account `json:"items"`
}

// listAccounts answers GET /api/v1/accounts: every account, by name.
func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	as, err := s.DB.Accounts(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, accountList{Items: as})
}

// getAccount answers GET /api/v1/accounts/{id}.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.DB.Account(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// postAccount answers POST /api/v1/accounts {"name", "domain", "sector",
// "employees", "revenue_cents", "location", "parent", "year_established"}:
// it adds the account named, 201, or changes the fields given of the one
// that has the name, 200.
func (s *Server) postAccount(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name            string `json:"name"`
		Domain          string `json:"domain"`
		Sector          string `json:"sector"`
		Employees       *int64 `json:"employees"`
		RevenueCents    *int64 `json:"revenue_cents"`
		Location        string `json:"location"`
		Parent          string `json:"parent"`
		YearEstablished *int   `json:"year_established"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	in := map[string]string{"name": req.Name, "domain": req.Domain, "sector": req.Sector, "location": req.Location, "parent": req.Parent}
	if req.Employees != nil {
		in["employees"] = strconv.FormatInt(*req.Employees, 10)
	}
	if req.RevenueCents != nil {
		if *req.RevenueCents < 0 {
			return tandem.Invalid(tandem.FieldError{Field: "revenue_cents", Message: "is negative: a revenue is zero or more"})
		}
		in["revenue"] = tandem.FormatAmount(*req.RevenueCents)
	}
	if req.YearEstablished != nil {
		in["year_established"] = strconv.Itoa(*req.YearEstablished)
	}
	a, status, err := s.DB.UpsertAccount(r.Context(), in)
	if fields := tandem.ErrorFields(err); len(fields) > 0 {
		for i := range fields {
			if fields[i].Field == "revenue" {
				fields[i].Field = "revenue_cents" // the body's name for it
			}
		}
		return tandem.Invalid(fields...)
	}
	if err != nil {
		return err
	}
	// Read back, with the parent's name and the times as stored.
	if a, err = s.DB.Account(r.Context(), a.ID); err != nil {
		return err
	}
	code := http.StatusOK
	if status == tandem.StatusCreated {
		code = http.StatusCreated
	}
	return writeJSON(w, code, a)
}
