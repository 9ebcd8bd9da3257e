package http

import "net/http"

// productsPage answers GET /products: the product catalogue, each product
// with its deals by outcome and its revenue (docs/web.md, "Accounts and
// products").
func (s *Server) productsPage(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.DB.Catalogue(r.Context())
	if err != nil {
		return err
	}
	p := newPage(r, "Products")
	p.Data = ps
	return s.render(w, http.StatusOK, "products", p)
}
