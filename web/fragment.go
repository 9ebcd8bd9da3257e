package web

import (
	"bytes"
	"fmt"
	"net/http"
)

// RenderFragment writes one named template of a page, without the layout:
// the part of a page that htmx swaps in after a form is posted.
func (t *Templates) RenderFragment(w http.ResponseWriter, status int, page, name string, data any) error {
	p, ok := t.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	var buf bytes.Buffer
	if err := p.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("web: render %s %s: %w", page, name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}
