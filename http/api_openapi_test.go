package http

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"go.yaml.in/yaml/v3"
)

// openAPIDoc parses the embedded description into plain maps and lists.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(openAPIYAML), &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// lookup walks doc by keys through nested maps, and returns nil if any is
// missing.
func lookup(doc any, keys ...string) any {
	for _, k := range keys {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		doc = m[k]
	}
	return doc
}

// resolveRef returns the node a local reference ("#/components/...") points
// at, or an error saying why it does not resolve.
func resolveRef(doc map[string]any, ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a reference within the document")
	}
	var node any = doc
	for _, tok := range strings.Split(pointer, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			node = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("no item %q", tok)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("%q is inside a value that is neither a map nor a list", tok)
		}
	}
	return node, nil
}

// deref follows node's $ref, if it has one.
func deref(t *testing.T, doc map[string]any, node any) any {
	t.Helper()
	ref, ok := lookup(node, "$ref").(string)
	if !ok {
		return node
	}
	v, err := resolveRef(doc, ref)
	if err != nil {
		t.Fatalf("$ref %q: %v", ref, err)
	}
	return v
}

// stringList reads a YAML list of strings.
func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, item := range list {
		if out[i], ok = item.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

func roleNames(roles []tandem.Role) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return names
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPI checks openapi.yaml against the code, both ways: every route
// of the table is described and nothing else is, each with the route's
// roles; every $ref resolves; and the lead fields, error codes and roles
// are those of the code. So nobody adds a route, a field or a code without
// describing it.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q; want 3.1.x", v)
	}

	// The bearer scheme applies everywhere unless an operation says not.
	if diff := cmp.Diff([]any{map[string]any{"bearerToken": []any{}}}, doc["security"]); diff != "" {
		t.Errorf("top-level security (-want +got):\n%s", diff)
	}
	scheme := lookup(doc, "components", "securitySchemes", "bearerToken")
	if lookup(scheme, "type") != "http" || lookup(scheme, "scheme") != "bearer" {
		t.Errorf("securitySchemes.bearerToken = %v; want type http, scheme bearer", scheme)
	}

	// The operations, by "METHOD /path" as the route table writes them.
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatalf("paths = %T; want a map", doc["paths"])
	}
	ops := map[string]map[string]any{}
	pathLevelParams := map[string][]any{}
	for path, item := range paths {
		item, ok := item.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] = %T; want a map", path, item)
			continue
		}
		pathLevelParams[path], _ = item["parameters"].([]any)
		for _, m := range openAPIMethods {
			if op, ok := item[m]; ok {
				op, ok := op.(map[string]any)
				if !ok {
					t.Errorf("paths[%q].%s is not a map", path, m)
					continue
				}
				ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	// The web app's pages are not the API's: openapi.yaml describes the rest.
	var routes []route
	var inTable []string
	for _, rt := range new(Server).routes() {
		if !rt.isPage() {
			routes = append(routes, rt)
			inTable = append(inTable, rt.pattern)
		}
	}
	if diff := cmp.Diff(sorted(inTable), sorted(slices.Collect(maps.Keys(ops)))); diff != "" {
		t.Errorf("operations in openapi.yaml against the route table (-routes +described):\n%s", diff)
	}

	for _, rt := range routes {
		op, ok := ops[rt.pattern]
		if !ok {
			continue // reported above
		}
		_, path, _ := strings.Cut(rt.pattern, " ")

		roles, ok := stringList(op["x-roles"])
		if !ok {
			t.Errorf("%s: x-roles = %v; want a list of roles", rt.pattern, op["x-roles"])
		} else if diff := cmp.Diff(sorted(roleNames(rt.roles)), sorted(roles)); diff != "" {
			t.Errorf("%s: x-roles against the route's roles (-route +x-roles):\n%s", rt.pattern, diff)
		}

		// A public route says so; the others keep the bearer scheme.
		security, overrides := op["security"]
		switch {
		case rt.roles == nil && !(overrides && cmp.Equal(security, []any{})):
			t.Errorf("%s is public: security = %v; want []", rt.pattern, security)
		case rt.roles != nil && overrides:
			t.Errorf("%s needs a token: security = %v; want it left out, so the bearer scheme applies", rt.pattern, security)
		}

		responses, ok := op["responses"].(map[string]any)
		if !ok {
			t.Errorf("%s: responses = %T; want a map", rt.pattern, op["responses"])
			continue
		}
		for status := range responses {
			if n, err := strconv.Atoi(status); err != nil || n < 100 || n > 599 {
				t.Errorf("%s: response %q is not an HTTP status", rt.pattern, status)
			}
		}
		// Who may call it decides two of the answers.
		_, has401 := responses["401"]
		_, has403 := responses["403"]
		if want := rt.roles != nil || signedRoutes[rt.pattern]; has401 != want {
			t.Errorf("%s: describes a 401 = %t; want %t", rt.pattern, has401, want)
		}
		// A route that reads one lead, or one deal (through its lead),
		// answers 403 for one the caller may not read (package access),
		// whatever their role.
		readsOneLead := strings.HasPrefix(rt.pattern, "GET /api/v1/leads/{id}") || rt.pattern == "GET /api/v1/deals/{id}"
		if want := rt.roles != nil && (len(rt.roles) < len(tandem.Roles) || readsOneLead); has403 != want {
			t.Errorf("%s: describes a 403 = %t; want %t (roles %v)", rt.pattern, has403, want, rt.roles)
		}

		// The path's wildcards are its path parameters.
		var wildcards, declared []string
		for _, seg := range strings.Split(path, "/") {
			if name, ok := strings.CutPrefix(seg, "{"); ok {
				wildcards = append(wildcards, strings.TrimSuffix(name, "}"))
			}
		}
		params, _ := op["parameters"].([]any)
		for _, p := range append(pathLevelParams[path], params...) {
			p := deref(t, doc, p)
			if lookup(p, "in") == "path" {
				name, _ := lookup(p, "name").(string)
				declared = append(declared, name)
				if lookup(p, "required") != true {
					t.Errorf("%s: path parameter %q is not required", rt.pattern, name)
				}
			}
		}
		if diff := cmp.Diff(sorted(wildcards), sorted(declared)); diff != "" {
			t.Errorf("%s: path parameters (-wildcards +declared):\n%s", rt.pattern, diff)
		}
	}

	// Every $ref resolves within the document.
	var walk func(where string, node any)
	walk = func(where string, node any) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["$ref"]; ok {
				s, _ := ref.(string)
				if _, err := resolveRef(doc, s); err != nil {
					t.Errorf("%s: $ref %v does not resolve: %v", where, ref, err)
				}
			}
			for k, v := range n {
				walk(where+"/"+k, v)
			}
		case []any:
			for i, v := range n {
				walk(fmt.Sprintf("%s/%d", where, i), v)
			}
		}
	}
	walk("#", doc)

	// Every lead field is in the lead's schemas and filters the list.
	fields := tandem.LeadFieldNames()
	for _, schema := range []string{"Lead", "LeadInput"} {
		props, _ := lookup(doc, "components", "schemas", schema, "properties").(map[string]any)
		for _, f := range fields {
			if _, ok := props[f]; !ok {
				t.Errorf("components.schemas.%s has no property %q, a lead field", schema, f)
			}
		}
	}
	var query []string
	listParams, _ := lookup(ops["GET /api/v1/leads"], "parameters").([]any)
	for _, p := range listParams {
		if p := deref(t, doc, p); lookup(p, "in") == "query" {
			name, _ := lookup(p, "name").(string)
			query = append(query, name)
		}
	}
	wantQuery := slices.Concat(fields, leadListParams)
	if diff := cmp.Diff(sorted(wantQuery), sorted(query)); diff != "" {
		t.Errorf("GET /api/v1/leads: query parameters (-lead fields and list parameters +described):\n%s", diff)
	}

	// The error codes are those the server answers with.
	codes, _ := stringList(lookup(doc, "components", "schemas", "ErrorDetail", "properties", "code", "enum"))
	wantCodes := append(slices.Collect(maps.Keys(statusOf)), "method_not_allowed")
	if diff := cmp.Diff(sorted(wantCodes), sorted(codes)); diff != "" {
		t.Errorf("the error code enum (-server +described):\n%s", diff)
	}
	roles, _ := stringList(lookup(doc, "components", "schemas", "Role", "enum"))
	if diff := cmp.Diff(roleNames(tandem.Roles), roles); diff != "" {
		t.Errorf("the Role enum (-tandem.Roles +described):\n%s", diff)
	}
}

// TestOpenAPIServed fetches the description, without a token, as a client
// would.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	file, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		r := ts.do("GET", "/api/v1/openapi.yaml", "", "")
		if r.status != 200 {
			t.Fatalf("GET /api/v1/openapi.yaml = %v; want 200", r)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/yaml" {
			t.Errorf("GET /api/v1/openapi.yaml: Content-Type = %q; want application/yaml", ct)
		}
		if string(r.body) != string(file) {
			t.Errorf("GET /api/v1/openapi.yaml served %d bytes; want openapi.yaml, %d bytes", len(r.body), len(file))
		}

		// The JSON is the same document: decoded here from the file with
		// the YAML library and written as JSON, it must equal what is served.
		var fromYAML any
		if err := yaml.Unmarshal(file, &fromYAML); err != nil {
			t.Fatalf("openapi.yaml: %v", err)
		}
		asJSON, err := json.Marshal(fromYAML)
		if err != nil {
			t.Fatalf("openapi.yaml as JSON: %v", err)
		}
		var want, got any
		if err := json.Unmarshal(asJSON, &want); err != nil {
			t.Fatalf("openapi.yaml as JSON: %v", err)
		}
		j := ts.do("GET", "/api/v1/openapi.json", "", "")
		if j.status != 200 {
			t.Fatalf("GET /api/v1/openapi.json = %v; want 200", j)
		}
		if ct := j.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET /api/v1/openapi.json: Content-Type = %q; want application/json", ct)
		}
		if err := json.Unmarshal(j.body, &got); err != nil {
			t.Fatalf("GET /api/v1/openapi.json: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GET /api/v1/openapi.json differs from openapi.yaml (-yaml +json):\n%s", diff)
		}
		page := ts.do("GET", "/api/docs", "", "")
		if page.status != 200 || !strings.Contains(string(page.body), "/static/swagger/swagger-ui-bundle.js") {
			t.Errorf("GET /api/docs = %v; want 200 and the Swagger UI page", page)
		}
	})
}
