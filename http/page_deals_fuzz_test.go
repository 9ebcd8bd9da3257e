package http

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// FuzzBoardAndInboxQueries sends any query to the deals board's and the
// inbox's parsers, and to the board itself: each answers a filter or an
// EINVALID error naming a parameter, never panics, and the board answers
// any filter the parser gives, or EINVALID.
func FuzzBoardAndInboxQueries(f *testing.F) {
	for _, seed := range []string{
		"", "owner=1&team=West&product=2&account=Acme&closed=2026-11&cards=10", "account=7", "closed=2026-Q4",
		"closed=November", "cards=0", "cards=201", "owner=-1", "owner=x", "colour=red", "owner=1&owner=2", "moved=3",
		"before=10&unread=1&limit=20", "unread=maybe", "limit=501", "before=0", "read=all", "%zz", "account=%00",
		"closed=9999-99", "team=" + strings.Repeat("x", 300),
	} {
		f.Add(seed)
	}
	db, _ := openDB(f, sqldbtest.Backend{Name: "sqlite", DSN: filepath.Join(f.TempDir(), "fuzz.db")})
	signDefault(f, db)
	s := NewServer(db, nil)
	admin := tandem.Token{Role: tandem.RoleAdmin, Name: "fuzz"}
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseQuery(query); err != nil {
			return // net/http refuses it before a handler sees it
		}
		// Built by hand: httptest.NewRequest parses a request line, which a
		// query with a space breaks, though a URL may carry one escaped.
		r := (&http.Request{Method: "GET", URL: &url.URL{Path: "/deals", RawQuery: query}}).WithContext(context.Background())
		bf, _, err := s.boardFilter(r)
		if code := tandem.ErrorCode(err); err != nil && code != tandem.EINVALID {
			t.Fatalf("boardFilter(%q) = %v; want a filter or EINVALID", query, err)
		} else if err != nil && len(tandem.ErrorFields(err)) == 0 {
			t.Fatalf("boardFilter(%q) = %v; want the parameter named", query, err)
		}
		if err == nil {
			if _, err := db.DealBoard(context.Background(), admin, bf); err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("DealBoard(%+v) from %q = %v; want a board or EINVALID", bf, query, err)
			}
		}
		r = (&http.Request{Method: "GET", URL: &url.URL{Path: "/inbox", RawQuery: query}}).WithContext(context.Background())
		if _, err := inboxFilter(r); err != nil && (tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) == 0) {
			t.Fatalf("inboxFilter(%q) = %v; want a filter or EINVALID naming the parameter", query, err)
		}
	})
}
