package http

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"go.yaml.in/yaml/v3"
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

// openAPIJSONDoc is openapi.yaml as JSON, converted once.
var openAPIJSONDoc = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal([]byte(openAPIYAML), &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.Marshal(jsonValue(doc))
})

// jsonValue turns what YAML decoded into what JSON can encode: a mapping
// whose keys are not all strings (a status code written 200 rather than
// "200") becomes an object with the keys written as text.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValue(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonValue(e)
		}
		return v
	}
	return v
}

// openAPIJSON serves the description as JSON, for the documentation page
// and for tools that read only JSON. Like the YAML, it needs no token.
func (s *Server) openAPIJSON(w http.ResponseWriter, r *http.Request) error {
	doc, err := openAPIJSONDoc()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(doc)
	return nil
}

// apiDocsPage is the documentation page: Swagger UI, vendored under
// web/static/swagger and started by web/static/apidocs.js, reading
// /api/v1/openapi.json from this server.
const apiDocsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/apidocs.js"></script>
</body>
</html>
`

// apiDocs serves the documentation page. It needs no token: what it shows
// is the public description; trying an operation takes a token.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	io.WriteString(w, apiDocsPage)
	return nil
}
