package http

import (
	_ "embed"
	"io"
	"net/http"
)

// openAPIYAML is the OpenAPI 3.1 description of the routes in
// [Server.routes], written by hand; TestOpenAPI keeps the two in step.
//
//go:embed openapi.yaml
var openAPIYAML string

// openAPI serves the API's description. It needs no token, so that a client
// can be generated, or a gateway configured, before anyone has one.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	// A failed write means the client has gone: there is no one to tell.
	io.WriteString(w, openAPIYAML)
	return nil
}
