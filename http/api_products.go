package http

import (
	"net/http"

	"github.com/tandemhq/tandem"
)

type productList struct {
	Items []tandem.Product `json:"items"`
}

// listProducts answers GET /api/v1/products: the catalogue, by name.
func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.DB.Products(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, productList{Items: ps})
}

// getProduct answers GET /api/v1/products/{id}.
func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.DB.Product(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// postProduct answers POST /api/v1/products {"name", "series",
// "list_price_cents"}: it adds the product named, 201, or changes the
// fields given of the one that has the name, 200.
func (s *Server) postProduct(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name           string `json:"name"`
		Series         string `json:"series"`
		ListPriceCents *int64 `json:"list_price_cents"`
	}
	if err := decodeStrict(r.Body, &req); err != nil {
		return err
	}
	in := map[string]string{"name": req.Name, "series": req.Series}
	if req.ListPriceCents != nil {
		if *req.ListPriceCents < 0 {
			return tandem.Invalid(tandem.FieldError{Field: "list_price_cents", Message: "is negative: a price is zero or more"})
		}
		in["list_price"] = tandem.FormatAmount(*req.ListPriceCents)
	}
	p, status, err := s.DB.UpsertProduct(r.Context(), in)
	if fields := tandem.ErrorFields(err); len(fields) > 0 {
		for i := range fields {
			if fields[i].Field == "list_price" {
				fields[i].Field = "list_price_cents" // the body's name for it
			}
		}
		return tandem.Invalid(fields...)
	}
	if err != nil {
		return err
	}
	if p, err = s.DB.Product(r.Context(), p.ID); err != nil {
		return err
	}
	code := http.StatusOK
	if status == tandem.StatusCreated {
		code = http.StatusCreated
	}
	return writeJSON(w, code, p)
}
