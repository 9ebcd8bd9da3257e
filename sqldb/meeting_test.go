package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestActionItemsStore: an item for a user who does not exist is refused
// naming owner and nothing is stored; the store keeps an item's fields,
// filters by period, owner and state, and lets its owner and a manager
// (not another rep, nor marketing) close it.
func TestActionItemsStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, clk := open(t, b)
		c := tandemtest.People(t, db)
		ctx := sqldb.WithActor(context.Background(), "user:sam@example.com")
		due := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
		_, err := db.AddActionItem(ctx, meeting.Item{Period: "2026-10", What: "x", Owner: "ghost@example.com", DueOn: "2026-11-20", DueAt: due})
		if fe := tandem.ErrorFields(err); len(fe) != 1 || fe[0].Field != "owner" {
			t.Errorf("AddActionItem(ghost) = %v; want EINVALID naming owner", err)
		}
		if _, err := db.AddActionItem(ctx, meeting.Item{Period: "2026-10", What: "x", DueOn: "2026-11-20", DueAt: due}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("AddActionItem(no owner) = %v; want EINVALID", err)
		}
		if its, _ := db.ActionItems(ctx, sqldb.ActionItemFilter{}); len(its) != 0 {
			t.Fatalf("after refusals, %d items; want none", len(its))
		}
		add := func(period, owner, what string, dueAt time.Time) meeting.Item {
			t.Helper()
			it, err := db.AddActionItem(ctx, meeting.Item{Period: period, What: what, Owner: owner, DueOn: dueAt.Format(time.DateOnly), DueAt: dueAt,
				Topic: "kpi", AgendaText: "the unified KPI"})
			if err != nil {
				t.Fatalf("AddActionItem(%s) = %v", what, err)
			}
			return it
		}
		a := add("2026-10", c.Rex.Email, "a", due)
		bb := add("2026-10", c.Ria.Email, "b", due.Add(-24*time.Hour))
		add("2026-11", c.Rex.Email, "c", due)
		got, err := db.ActionItem(ctx, a.ID)
		if err != nil || got.What != "a" || got.OwnerID != c.Rex.ID || got.Owner != c.Rex.Email || !got.DueAt.Equal(due) || got.Topic != "kpi" ||
			got.AgendaText != "the unified KPI" || got.State != meeting.Open || got.CreatedBy != "user:sam@example.com" || !got.CreatedAt.Equal(epoch) {
			t.Errorf("ActionItem(%d) = %+v, %v; want it as recorded", a.ID, got, err)
		}
		oct, _ := db.ActionItems(ctx, sqldb.ActionItemFilter{Period: "2026-10"})
		if len(oct) != 2 || oct[0].ID != bb.ID || oct[1].ID != a.ID {
			t.Errorf("October's items = %+v; want b (due first) then a", oct)
		}
		rex, _ := db.ActionItems(ctx, sqldb.ActionItemFilter{OwnerID: c.Rex.ID, Open: true})
		if len(rex) != 2 {
			t.Errorf("Rex's open items = %d; want 2", len(rex))
		}
		for _, u := range []tandem.User{c.Ria, c.Mark} {
			if _, err := db.CloseActionItem(ctx, a.ID, u); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Errorf("%s closes Rex's item: %v; want EFORBIDDEN", u.Email, err)
			}
		}
		clk.Set(epoch.Add(time.Hour))
		if it, err := db.CloseActionItem(ctx, bb.ID, c.Manu); err != nil || it.State != meeting.Done || !it.DoneAt.Equal(epoch.Add(time.Hour)) {
			t.Errorf("Manu closes Ria's item = %+v, %v; want done", it, err)
		}
		if it, err := db.CloseActionItem(ctx, a.ID, c.Rex); err != nil || it.State != meeting.Done || it.DoneBy != "user:sam@example.com" {
			t.Errorf("Rex closes his item = %+v, %v; want done by the context's actor", it, err)
		}
		if open, _ := db.ActionItems(ctx, sqldb.ActionItemFilter{OwnerID: c.Rex.ID, Open: true}); len(open) != 1 || open[0].What != "c" {
			t.Errorf("Rex's open items after closing = %+v; want c", open)
		}
	})
}

// TestReviewResponsesStore: a response replaces the one before for the
// same campaign and period; an empty one is refused naming response.
func TestReviewResponsesStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := open(t, b)
		ctx := sqldb.WithActor(context.Background(), "user:mia@example.com")
		if _, err := db.RespondToReview(ctx, "2026-10", "spring", "  "); len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != "response" {
			t.Errorf("RespondToReview(empty) = %v; want EINVALID naming response", err)
		}
		if _, err := db.RespondToReview(ctx, "2026-10", "spring", strings.Repeat("é", meeting.MaxResponse+1)); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("RespondToReview(too long) = %v; want EINVALID", err)
		}
		for _, text := range []string{"first", "second"} {
			if _, err := db.RespondToReview(ctx, "2026-10", "spring", text); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.RespondToReview(ctx, "2026-10", "", "for the leads of no campaign"); err != nil {
			t.Fatal(err)
		}
		rs, err := db.ReviewResponses(ctx, "2026-10")
		if err != nil || len(rs) != 2 || rs["spring"].Response != "second" || rs["spring"].RespondedBy != "user:mia@example.com" || rs[""].Response == "" {
			t.Errorf("ReviewResponses = %+v, %v; want spring's second and the no-campaign one", rs, err)
		}
		if other, _ := db.ReviewResponses(ctx, "2026-11"); len(other) != 0 {
			t.Errorf("November's responses = %+v; want none", other)
		}
	})
}

// TestAgreementCommentsStore: heads comment on a proposal's clauses (a key
// of its file, or of the version before it); a rep may not; a version in
// force takes none; a proposal answers only an older one, once.
func TestAgreementCommentsStore(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := open(t, b)
		c := tandemtest.People(t, db)
		ctx := context.Background()
		c.Sign(t, db, string(agreement.Default()))
		// Version 2 drops the description: its key is still a clause, the
		// version before had it.
		var kept []string
		skip := false
		for _, line := range strings.Split(string(agreement.Default()), "\n") {
			switch {
			case strings.HasPrefix(line, "description:"):
				skip = true
				continue
			case skip && strings.HasPrefix(line, "  "):
				continue
			}
			skip = false
			kept = append(kept, line)
		}
		body := strings.Join(kept, "\n")
		v, _, err := db.ProposeAgreement(ctx, "v2.yaml", body, c.Admin.Email)
		if err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}
		if _, err := db.CommentOnAgreement(ctx, v.Version, "description", "why drop it?", c.Mia); err != nil {
			t.Errorf("comment on the removed description: %v", err)
		}
		if _, err := db.CommentOnAgreement(ctx, v.Version, "sales.first_touch_within", "10 minutes is tight", c.Sam); err != nil {
			t.Errorf("comment on sales.first_touch_within: %v", err)
		}
		for _, bad := range []struct {
			version      int
			clause, body string
			u            tandem.User
			code, field  string
		}{
			{v.Version, "sales.speed", "x", c.Sam, tandem.EINVALID, "clause"},
			{v.Version, "", "x", c.Sam, tandem.EINVALID, "clause"},
			{v.Version, "name", "", c.Sam, tandem.EINVALID, "body"},
			{v.Version, "name", "x", c.Rex, tandem.EFORBIDDEN, ""},
			{1, "name", "x", c.Sam, tandem.ECONFLICT, ""},
			{99, "name", "x", c.Sam, tandem.ENOTFOUND, ""},
		} {
			_, err := db.CommentOnAgreement(ctx, bad.version, bad.clause, bad.body, bad.u)
			fe := tandem.ErrorFields(err)
			if tandem.ErrorCode(err) != bad.code || (bad.field != "" && (len(fe) == 0 || fe[0].Field != bad.field)) {
				t.Errorf("CommentOnAgreement(%d, %q, %q, %s) = %v; want %s %s", bad.version, bad.clause, bad.body, bad.u.Email, err, bad.code, bad.field)
			}
		}
		cs, err := db.AgreementComments(ctx, v.Version)
		if err != nil || len(cs) != 2 || cs[0].Clause != "description" || cs[0].Author != c.Mia.Email || cs[1].Clause != "sales.first_touch_within" {
			t.Errorf("AgreementComments = %+v, %v; want Mia's on description, then Sam's", cs, err)
		}
		if err := db.AnswerProposal(ctx, v.Version, v.Version); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("a version answers itself: %v; want EINVALID", err)
		}
		if err := db.AnswerProposal(ctx, v.Version, 1); err != nil {
			t.Fatal(err)
		}
		if err := db.AnswerProposal(ctx, v.Version, 1); err != nil {
			t.Errorf("the same link again: %v; want nothing changed", err)
		}
		links, err := db.ProposalLinks(ctx)
		if err != nil || len(links) != 1 || links[v.Version] != 1 {
			t.Errorf("ProposalLinks = %v, %v; want %d answers 1", links, err, v.Version)
		}
	})
}
