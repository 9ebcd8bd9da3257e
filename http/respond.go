package http

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
)

// One place writes a response's status and body. A handler writes into a
// [buffered] response; when it returns nil, [buffered.send] sends what it
// wrote, and when it returns an error, what it wrote is dropped and the
// error alone is the answer. So no answer can start as 200 and end as an
// error (a JSON encoding that fails half-way, a template that fails after
// its first bytes): the status always says what the body says.

// buffered is the http.ResponseWriter a handler writes to.
type buffered struct {
	w      http.ResponseWriter
	header http.Header
	status int
	body   bytes.Buffer
}

// newBuffered starts a response over w with a copy of the headers set on w
// so far (the API's or the pages' own), which the handler may change.
func newBuffered(w http.ResponseWriter) *buffered {
	return &buffered{w: w, header: w.Header().Clone()}
}

func (b *buffered) Header() http.Header { return b.header }

func (b *buffered) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *buffered) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// send writes the status, the headers and the body the handler wrote.
func (b *buffered) send() {
	h := b.w.Header()
	clear(h)
	maps.Copy(h, b.header)
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.w.WriteHeader(b.status)
	// A failed write means the client has gone: there is no one to tell.
	b.w.Write(b.body.Bytes())
}

// writeJSON answers v as JSON with status. v is encoded before anything is
// written, so that a value that cannot be encoded is an error the caller
// returns, not a body cut short after a 200.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// apiHeaders are the headers of every API response: never cached (it
// answers for one token), never sniffed as another type, and, for the one
// API response that is HTML (the scorecard), the pages' own policy.
func apiHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
}
