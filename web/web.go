// Package web holds the web app's HTML templates and static files (the
// style sheet and a vendored htmx), embedded in the binary so that no
// request leaves the machine and there is no build step. The handlers are
// in package http, in the same route table as the API.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// HTMXVersion is the version of htmx in static/htmx.min.js (npm package
// htmx.org, its dist/htmx.min.js; licence in static/htmx.LICENSE.txt).
const HTMXVersion = "2.0.4"

// Static returns the files served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// Templates are the parsed pages, each joined with the layout.
type Templates struct {
	pages map[string]*template.Template
	// versions maps a static file's name to a hash of its content, so that
	// its URL changes when it does and browsers may cache it for a year.
	versions map[string]string
}

// Parse parses every page under templates/ with the layout.
func Parse() (*Templates, error) {
	t := &Templates{pages: map[string]*template.Template{}, versions: map[string]string{}}
	err := fs.WalkDir(Static(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static(), name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		t.versions[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	funcs := template.FuncMap{
		"asset": t.Asset,
		// roleName turns sales_rep into "sales rep".
		"roleName": func(r any) string { return strings.ReplaceAll(fmt.Sprint(r), "_", " ") },
	}
	for name, f := range formatFuncs {
		funcs[name] = f
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue // the layout and the partials (_*.html) join every page
		}
		p, err := template.New(base).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html", name)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		t.pages[strings.TrimSuffix(base, ".html")] = p
	}
	return t, nil
}

// Asset returns the URL of a static file, versioned by its content.
func (t *Templates) Asset(name string) (string, error) {
	v, ok := t.versions[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + v, nil
}

// Render writes the page with the data and the status. The page is
// rendered in full before anything is written, so that a template error
// becomes an error rather than half a page.
func (t *Templates) Render(w http.ResponseWriter, status int, page string, data any) error {
	p, ok := t.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	var buf bytes.Buffer
	if err := p.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}
