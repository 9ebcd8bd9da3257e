package sqldb_test

import (
	"context"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// FuzzLeadSearch sends arbitrary searches to the store (SQLite's FTS5
// index, whose query language has its own syntax): each is refused with
// EINVALID naming q, or answered, and never fails otherwise; a lead whose
// name is the search (when it is a valid one) is found.
//
//	go test ./sqldb -run '^$' -fuzz FuzzLeadSearch -fuzztime 30s
func FuzzLeadSearch(f *testing.F) {
	for _, s := range []string{"muller", "ines mül", `"quoted"`, `a"b"c`, "NEAR(abc def)", "abc OR def", "abc*", "-abc", "^abc",
		"col:abc", "(abc", "abc)", "x\x00yz", "\xff\xfe\xfd", "abc\tdef\nghi", "%%_", `\\\`, "ﬁle", "İstanbul", "ab", ""} {
		f.Add(s)
	}
	ctx := context.Background()
	db, _ := openB(f, sqldbtest.Backend{Name: "sqlite", DSN: filepath.Join(f.TempDir(), "fuzz.db")})
	var n int
	f.Fuzz(func(t *testing.T, q string) {
		page, err := db.Leads(ctx, tandem.LeadFilter{Q: q, Limit: 5})
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != "q" {
				t.Fatalf("Leads(q=%q) = %v; want an answer or EINVALID naming q", q, err)
			}
			return
		}
		_ = page
		// A company named by the search is found by it.
		if !utf8.ValidString(q) || len(q) > 150 {
			return
		}
		n++
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"email": "f@x.example", "company": q}}},
			sqldb.IntakeOptions{DefaultSource: "fuzz"})
		if err != nil || rs[0].Err != nil {
			return // not a company name intake keeps (control characters, say)
		}
		page, err = db.Leads(ctx, tandem.LeadFilter{Q: q, Equal: map[string]string{"company": q}, Limit: 5})
		if err != nil || page.Total == 0 {
			t.Fatalf("Leads(q=%q) after adding a lead of that company = total %d, %v; want it found", q, page.Total, err)
		}
	})
}
