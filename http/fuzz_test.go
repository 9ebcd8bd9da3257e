package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// FuzzPostLeads sends arbitrary bodies to POST /api/v1/leads. Whatever the
// body, the server must not panic or fail with a 5xx, and must answer JSON:
// a batch's results, a single lead's result, or an error with a code that
// matches the status.
//
//	go test ./http -run '^$' -fuzz FuzzPostLeads -fuzztime 60s
func FuzzPostLeads(f *testing.F) {
	for _, seed := range []string{
		`{"external_id": "a1", "email": "ana@example.com", "score": 70, "attributes": {"landing_page_id": "lp-1"}}`,
		`[{"external_id": "a1", "company": "Acme"}, {"external_id": "a2", "stage": "mql", "created_at": "2026-01-02"}]`,
		`[{"email": "nope", "score": "high", "colour": "blue", "company": {"x": 1}}, 1, null, "s", []]`,
		`{"external_id": "a3", "stage": "customer", "reason": "won"}`,
		`{"external_id": "a3", "stage": "mql"}`,
		`{"attributes": {"k": "v"}, "attributes.k": "w"}`,
		`{"owner_id": 99999999999999999999, "score": 1e400, "created_at": "0001-01-01"}`,
		`{"external_id": "a\u0000b", "email": "\ud800@x"}`,
		`[]`, ``, ` `, `{`, `[{`, `"x"`, `42`, `null`, `{}`, `{} {}`, `[{}]`, `[[[[[[]]]]]]`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	db, _ := openDB(f, sqldbtest.Backend{Name: "sqlite", DSN: filepath.Join(f.TempDir(), "fuzz.db")})
	signDefault(f, db)
	secret := createTokens(f, db)[tandem.RoleMarketing]
	h := NewServer(db, nil).Handler()

	f.Fuzz(func(t *testing.T, body []byte, dryRun bool) {
		target := "/api/v1/leads"
		if dryRun {
			target += "?dry_run=true"
		}
		req := httptest.NewRequest("POST", target, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		what := func() string {
			return "POST " + target + " " + strings.ToValidUTF8(string(body[:min(len(body), 200)]), "?")
		}
		if rec.Code >= 500 {
			t.Fatalf("%s = %d %s; want no 5xx", what(), rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s: Content-Type %q; want JSON", what(), ct)
		}
		var got struct {
			Results []struct {
				Status string `json:"status"`
			} `json:"results"`
			Status string `json:"status"`
			Error  *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: the response is not JSON: %v", what(), err)
		}
		switch {
		case got.Error != nil:
			if got.Error.Code == "" || got.Error.Message == "" || statusOf[got.Error.Code] != rec.Code {
				t.Fatalf("%s = %d with error %+v; want a code that maps to the status, and a message", what(), rec.Code, got.Error)
			}
		case got.Results != nil:
			if rec.Code != http.StatusOK {
				t.Fatalf("%s = %d with results; want 200", what(), rec.Code)
			}
			for i, r := range got.Results {
				if r.Status == "" {
					t.Fatalf("%s: result %d has no status", what(), i)
				}
			}
		case got.Status != "":
			// A single lead that was stored (or would be, in a dry run).
			if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
				t.Fatalf("%s = %d with status %q; want 200 or 201", what(), rec.Code, got.Status)
			}
		default:
			t.Fatalf("%s = %d %s; want results, a status or an error", what(), rec.Code, rec.Body)
		}
	})
}
