package sqldb_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// searchPeople are the leads of the search tests, by external id.
var searchPeople = [][]string{
	{"external_id", "p1", "first_name", "Ines", "last_name", "Müller", "email", "ines@acme.example", "company", "Acmé GmbH", "phone", "+49 (30) 123-4567"},
	{"external_id", "p2", "first_name", "Bob", "last_name", "Muller", "email", "bob@zeta.example", "company", "Zeta", "score", "70"},
	{"external_id", "p3", "first_name", "Chloé", "last_name", "Durand", "email", "chloe@acme.example", "company", "ACME Corp", "score", "10"},
	{"external_id", "ZX-9001", "first_name", "Dan", "last_name", "Smith", "email", "dan@50%off.example", "company", "Half_Price", "score", "40"},
}

// searchIDs runs a search and returns the external ids found, sorted.
func searchIDs(t *testing.T, db *sqldb.DB, q string) ([]string, error) {
	t.Helper()
	page, err := db.Leads(context.Background(), tandem.LeadFilter{Q: q})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range page.Leads {
		ids = append(ids, l.ExternalID)
	}
	if page.Total != len(ids) {
		t.Errorf("Leads(q=%q) total = %d; want %d (the leads listed)", q, page.Total, len(ids))
	}
	slices.Sort(ids)
	return ids, nil
}

// TestLeadSearch checks that a search finds a lead by part of its name,
// email, company, phone or external id, ignoring case and accents, on both
// databases; that every word must match; that LIKE's wildcards are plain
// characters; and that the index follows a lead's changes.
func TestLeadSearch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		var batch []tandem.LeadInput
		for _, p := range searchPeople {
			batch = append(batch, input(p...))
		}
		if rs, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		} else if got := statuses(rs); slices.ContainsFunc(got, func(s string) bool { return s != tandem.StatusCreated }) {
			t.Fatalf("IntakeLeads statuses = %v; want all created", got)
		}
		tests := []struct {
			q    string
			want []string
		}{
			{"muller", []string{"p1", "p2"}},            // accent ignored
			{"MÜLL", []string{"p1", "p2"}},              // case and accent
			{"ines mül", []string{"p1"}},                // across first and last name
			{"acme", []string{"p1", "p3"}},              // company and email
			{"acme corp", []string{"p3"}},               // every word
			{"chloe", []string{"p3"}},                   // é found by e
			{"durand chloé", []string{"p3"}},            // words in any order
			{"1234567", []string{"p1"}},                 // phone as digits
			{"(30) 123", []string{"p1"}},                // phone as written
			{"zx-90", []string{"ZX-9001"}},              // external id, prefix
			{"50%off", []string{"ZX-9001"}},             // % is a character
			{"f_pr", []string{"ZX-9001"}},               // _ is a character
			{"lf%", nil},                                // ... and not a wildcard
			{"nobody", nil},                             // no match
			{"", []string{"p1", "p2", "p3", "ZX-9001"}}, // no search: all
		}
		for _, tt := range tests {
			got, err := searchIDs(t, db, tt.q)
			if err != nil {
				t.Errorf("Leads(q=%q): %v", tt.q, err)
				continue
			}
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("Leads(q=%q) = %v; want %v", tt.q, got, want)
			}
		}
		// A change of name is found at once; the old name no longer is.
		if rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "p2", "last_name", "Okafor")}, sqldb.IntakeOptions{}); err != nil || rs[0].Status != tandem.StatusUpdated {
			t.Fatalf("IntakeLeads(rename p2) = %v, %v; want updated", statuses(rs), err)
		}
		for q, want := range map[string][]string{"okafor": {"p2"}, "muller": {"p1"}} {
			if got, err := searchIDs(t, db, q); err != nil || !slices.Equal(got, want) {
				t.Errorf("after the rename, Leads(q=%q) = %v, %v; want %v", q, got, err, want)
			}
		}
		// Bad searches name q and say why.
		for q, want := range map[string]string{
			"ab":                      `q: "ab" is too short: every word of a search needs at least 3 characters`,
			"acme x":                  `q: "x" is too short: every word of a search needs at least 3 characters`,
			strings.Repeat("abc ", 9): "q: has 9 words; a search has at most 8",
			strings.Repeat("a", 201):  "q: is 201 characters long; a search is at most 200",
			"ab\xff":                  "q: is not valid UTF-8 text",
		} {
			if _, err := db.Leads(ctx, tandem.LeadFilter{Q: q}); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorMessage(err) != want {
				t.Errorf("Leads(q=%q) error = %v (%s); want EINVALID %q", q, tandem.ErrorMessage(err), tandem.ErrorCode(err), want)
			}
		}
	})
}

// TestLeadsSortAndTeam walks a sorted list page by page, both ways, and
// checks it against the same leads sorted here; and filters by team and by
// the date of the last stage change.
func TestLeadsSortAndTeam(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		var batch []tandem.LeadInput
		for i := range 23 {
			batch = append(batch, input("external_id", fmt.Sprint("s", i), "score", fmt.Sprint((i*7)%5*10),
				"company", fmt.Sprint("Co ", string(rune('a'+i%4))), "last_name", fmt.Sprint("N", i%6)))
		}
		if _, err := db.IntakeLeads(ctx, batch, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		all, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1000})
		if err != nil {
			t.Fatalf("Leads: %v", err)
		}
		for _, sort := range []string{"score", "-score", "company", "-company", "last_name", "-id", "created_at", "-stage_changed_at"} {
			field, desc, _ := tandem.SortField(sort)
			want := slices.Clone(all.Leads)
			slices.SortStableFunc(want, leadOrder(field, desc))
			var got []int64
			f := tandem.LeadFilter{Sort: sort, Limit: 4}
			for range 10 {
				page, err := db.Leads(ctx, f)
				if err != nil {
					t.Fatalf("Leads(sort=%s): %v", sort, err)
				}
				for _, l := range page.Leads {
					got = append(got, l.ID)
				}
				if page.Next == 0 {
					break
				}
				f.After, f.AfterValue = page.Next, page.NextValue
			}
			var wantIDs []int64
			for _, l := range want {
				wantIDs = append(wantIDs, l.ID)
			}
			if !slices.Equal(got, wantIDs) {
				t.Errorf("Leads(sort=%s) by pages of 4 = %v; want %v", sort, got, wantIDs)
			}
		}
		for _, tc := range []struct {
			upTo, total int
			more        bool
		}{{5, 5, true}, {22, 22, true}, {23, 23, false}, {100, 23, false}} {
			page, err := db.Leads(ctx, tandem.LeadFilter{CountUpTo: tc.upTo, Limit: 2})
			if err != nil || page.Total != tc.total || page.More != tc.more || len(page.Leads) != 2 {
				t.Errorf("Leads(CountUpTo %d) = total %d, more %v, %d leads, %v; want %d, %v, 2 leads", tc.upTo, page.Total, page.More, len(page.Leads), err, tc.total, tc.more)
			}
		}
		if _, err := db.Leads(ctx, tandem.LeadFilter{Sort: "colour"}); tandem.ErrorCode(err) != tandem.EINVALID ||
			!strings.HasPrefix(tandem.ErrorMessage(err), `sort: "colour" is not a field lists sort by`) {
			t.Errorf("Leads(sort=colour) error = %v; want EINVALID naming sort", err)
		}

		// Team: the leads owned by someone in the team.
		u := &tandem.User{Email: "east@x.example", Role: tandem.RoleSalesRep, Team: "east"}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		clk.Advance(48 * 3600e9)
		in := input("external_id", "s1", "owner_id", fmt.Sprint(u.ID), "stage", "mql")
		in.Reason = "test"
		if rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{}); err != nil || rs[0].Status != tandem.StatusUpdated {
			t.Fatalf("IntakeLeads(owner) = %v, %v; want updated", statuses(rs), err)
		}
		page, err := db.Leads(ctx, tandem.LeadFilter{Team: "east"})
		if err != nil || page.Total != 1 || page.Leads[0].ExternalID != "s1" {
			t.Errorf("Leads(team=east) = %+v, %v; want lead s1 only", page, err)
		}
		page, err = db.Leads(ctx, tandem.LeadFilter{StageChangedFrom: clk.Now().Add(-3600e9)})
		if err != nil || page.Total != 1 || page.Leads[0].ExternalID != "s1" {
			t.Errorf("Leads(stage changed in the last hour) = total %d, %v; want lead s1 only", page.Total, err)
		}
	})
}

// TestLeadsSortedFilterPages walks filtered lists sorted by score (which
// a campaign's index holds), created_at and stage_changed_at, page by
// page, with counts that stop early, stop late and are exact, on pages
// smaller than the matches and on one page that holds them all (whose
// leads are the count), and checks every page and count against the same
// leads filtered and sorted here.
func TestLeadsSortedFilterPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		for batch := range 3 {
			var in []tandem.LeadInput
			for i := batch * 20; i < batch*20+20; i++ {
				in = append(in, input("external_id", fmt.Sprint("w", i), "score", fmt.Sprint((i*7)%10*10),
					"campaign", fmt.Sprint("c", i%3), "origin", []string{"social", "email"}[i%2]))
			}
			if _, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{}); err != nil {
				t.Fatalf("IntakeLeads: %v", err)
			}
			clk.Advance(3600e9)
		}
		all, err := db.Leads(ctx, tandem.LeadFilter{Limit: 1000})
		if err != nil || len(all.Leads) != 60 {
			t.Fatalf("Leads = %d leads, %v; want 60", len(all.Leads), err)
		}
		fifty := 50
		filters := []struct {
			name string
			f    tandem.LeadFilter
			keep func(l tandem.Lead) bool
		}{
			{"campaign=c1", tandem.LeadFilter{Equal: map[string]string{"campaign": "c1"}},
				func(l tandem.Lead) bool { return l.Campaign == "c1" }},
			{"campaign in c0,c2", tandem.LeadFilter{In: map[string][]string{"campaign": {"c0", "c2"}}},
				func(l tandem.Lead) bool { return l.Campaign == "c0" || l.Campaign == "c2" }},
			{"origin=email&score_min=50", tandem.LeadFilter{Equal: map[string]string{"origin": "email"}, ScoreMin: &fifty},
				func(l tandem.Lead) bool { return l.Origin == "email" && l.Score >= 50 }},
		}
		for _, fl := range filters {
			var matches []tandem.Lead
			for _, l := range all.Leads {
				if fl.keep(l) {
					matches = append(matches, l)
				}
			}
			for _, sort := range []string{"score", "-score", "created_at", "-created_at", "-stage_changed_at"} {
				field, desc, _ := tandem.SortField(sort)
				want := slices.Clone(matches)
				slices.SortStableFunc(want, leadOrder(field, desc))
				var wantIDs []int64
				for _, l := range want {
					wantIDs = append(wantIDs, l.ID)
				}
				for _, c := range []struct{ limit, upTo int }{{3, 3}, {3, 16}, {3, 0}, {50, 3}, {50, 16}, {50, 0}} {
					limit, upTo := c.limit, c.upTo
					wantTotal, wantMore := len(want), false
					if upTo > 0 && len(want) > upTo {
						wantTotal, wantMore = upTo, true
					}
					f := fl.f
					f.Sort, f.Limit, f.CountUpTo = sort, limit, upTo
					var got []int64
					for range 30 {
						page, err := db.Leads(ctx, f)
						if err != nil {
							t.Fatalf("Leads(%s, sort=%s, count up to %d): %v", fl.name, sort, upTo, err)
						}
						if page.Total != wantTotal || page.More != wantMore {
							t.Errorf("Leads(%s, sort=%s, limit %d, count up to %d) total = %d, more %v; want %d, %v",
								fl.name, sort, limit, upTo, page.Total, page.More, wantTotal, wantMore)
						}
						for _, l := range page.Leads {
							got = append(got, l.ID)
						}
						if page.Next == 0 {
							break
						}
						f.After, f.AfterValue = page.Next, page.NextValue
					}
					if !slices.Equal(got, wantIDs) {
						t.Errorf("Leads(%s, sort=%s, count up to %d) by pages of %d = %v; want %v", fl.name, sort, upTo, limit, got, wantIDs)
					}
				}
			}
		}
	})
}

// leadOrder is the leads list's order by a sort field, written plainly for
// the tests: the field's value, then the id, reversed when desc.
func leadOrder(field string, desc bool) func(a, b tandem.Lead) int {
	return func(a, b tandem.Lead) int {
		var c int
		switch field {
		case "score":
			c = cmp.Compare(a.Score, b.Score)
		case "company":
			c = strings.Compare(a.Company, b.Company)
		case "last_name":
			c = strings.Compare(a.LastName, b.LastName)
		case "created_at":
			c = a.CreatedAt.Compare(b.CreatedAt)
		case "stage_changed_at":
			c = a.StageChangedAt.Compare(b.StageChangedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	}
}
