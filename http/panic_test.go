package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestPanicAnswersJSON checks that a handler that panics still answers the
// client with the JSON internal error, and not a dropped connection.
func TestPanicAnswersJSON(t *testing.T) {
	s := &Server{Logger: NewServer(nil, nil).Logger}
	h := s.wrap(route{pattern: "GET /api/v1/boom", handler: func(http.ResponseWriter, *http.Request) error { panic("boom") }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/boom", nil))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Error.Code != "internal" || body.Error.Message != "internal error" {
		t.Errorf("GET /api/v1/boom = %d %s (%v); want 500 with the JSON internal error", rec.Code, rec.Body, err)
	}
}
