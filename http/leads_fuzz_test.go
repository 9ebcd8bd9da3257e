package http

import (
	"net/url"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// FuzzLeadsQuery reads arbitrary query strings as the /leads page and GET
// /api/v1/leads do: the filter is read or refused with EINVALID naming
// each bad parameter, never a panic; a cursor the server gives out reads
// back as it was written.
//
//	go test ./http -run '^$' -fuzz FuzzLeadsQuery -fuzztime 30s
func FuzzLeadsQuery(f *testing.F) {
	for _, s := range []string{"q=mull&stage=mql", "q=ab", "sort=-score&cursor=bGVhZDozOjQw", "field=company&value=Acme",
		"created_from=2026-01-01&created_to=tomorrow", "owner_id=&team=east", "cursor=&cursor=x", "%zz", "q=%00abc",
		"sort=-", "limit=0", "attributes.tier=gold", "score_min=1e9"} {
		f.Add(s, int64(3), "40")
	}
	ny, _ := time.LoadLocation("America/New_York")
	f.Fuzz(func(t *testing.T, raw string, id int64, value string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if _, err := parseLeadFilter(leadsQuery(q), ny); err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("parseLeadFilter(%q) = %v; want nil or EINVALID", raw, err)
		}
		if id <= 0 {
			return
		}
		gotID, gotValue, ok := decodeLeadCursor(encodeLeadCursor(id, value))
		if !ok || gotID != id || gotValue != value {
			t.Fatalf("decodeLeadCursor(encodeLeadCursor(%d, %q)) = %d, %q, %v; want them back", id, value, gotID, gotValue, ok)
		}
	})
}
