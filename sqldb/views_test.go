package sqldb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestLeadViews: a view is saved per user and replaced by name; a shared
// one is listed for everyone after their own; only its user or an admin
// deletes it.
func TestLeadViews(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		cast := tandemtest.People(t, db, tandemtest.Admin, tandemtest.Mark, tandemtest.Mia)
		mark, mia, admin := tandemtest.Token(cast.Mark), tandemtest.Token(cast.Mia), tandemtest.Token(cast.Admin)
		save := func(tok tandem.Token, name, query string, shared bool) tandem.LeadView {
			t.Helper()
			v, err := db.SaveLeadView(ctx, tandem.LeadView{Name: name, Query: query, Shared: shared}, tok)
			if err != nil {
				t.Fatalf("SaveLeadView(%s, %q): %v", tok.UserEmail, name, err)
			}
			return v
		}
		names := func(tok tandem.Token) []string {
			t.Helper()
			vs, err := db.LeadViews(ctx, tok)
			if err != nil {
				t.Fatalf("LeadViews(%s): %v", tok.UserEmail, err)
			}
			var out []string
			for _, v := range vs {
				out = append(out, v.UserEmail+"/"+v.Name+"?"+v.Query)
			}
			return out
		}
		save(mark, "MQLs", "stage=mql", false)
		save(mark, "Social", "origin=social", true)
		hot := save(mia, "Hot", "score_min=80", false)
		save(mark, "MQLs", "stage=mql&sort=-score", false) // replaced by name
		if got, want := names(mark), []string{"mark@example.com/MQLs?stage=mql&sort=-score", "mark@example.com/Social?origin=social"}; !slices.Equal(got, want) {
			t.Errorf("LeadViews(mark) = %v; want %v", got, want)
		}
		if got, want := names(mia), []string{"mia@example.com/Hot?score_min=80", "mark@example.com/Social?origin=social"}; !slices.Equal(got, want) {
			t.Errorf("LeadViews(mia) = %v; want %v", got, want)
		}
		if err := db.DeleteLeadView(ctx, hot.ID, mark); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("DeleteLeadView(mia's, as mark) = %v; want EFORBIDDEN", err)
		}
		if err := db.DeleteLeadView(ctx, hot.ID, admin); err != nil {
			t.Errorf("DeleteLeadView(mia's, as admin) = %v; want nil", err)
		}
		if err := db.DeleteLeadView(ctx, hot.ID, mia); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("DeleteLeadView(deleted) = %v; want ENOTFOUND", err)
		}
		for _, v := range []tandem.LeadView{{Name: " "}, {Name: string(make([]rune, 81))}, {Name: "x", Query: "\xff"}} {
			if _, err := db.SaveLeadView(ctx, v, mark); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("SaveLeadView(%q, %q) = %v; want EINVALID", v.Name, v.Query, err)
			}
		}
	})
}

// TestEditLeadByIDAndNote: an input naming a lead by id changes it through
// intake (recorded as updated, under the lead rule) but never its key; a
// note goes to the ledger as a noted event.
func TestEditLeadByIDAndNote(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		cast := tandemtest.People(t, db, tandemtest.Mark, tandemtest.Manu, tandemtest.Rex, tandemtest.Ria)
		mark, rex := tandemtest.Token(cast.Mark), tandemtest.Token(cast.Rex)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("email", "ann@x.example", "first_name", "Ann")}, sqldb.IntakeOptions{Actor: mark.Actor(), As: &mark})
		if err != nil || rs[0].Status != tandem.StatusCreated {
			t.Fatalf("IntakeLeads = %v, %v; want created", statuses(rs), err)
		}
		id := rs[0].ID
		edit := func(tok tandem.Token, kv ...string) sqldb.IntakeResult {
			t.Helper()
			in := input(kv...)
			in.ID = id
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{DefaultSource: "web", Actor: tok.Actor(), As: &tok})
			if err != nil {
				t.Fatalf("IntakeLeads(edit %v): %v", kv, err)
			}
			return rs[0]
		}
		if r := edit(mark, "company", "Acme", "first_name", "Anne"); r.Status != tandem.StatusUpdated || r.ID != id {
			t.Errorf("edit by id = %+v; want updated lead %d", r, id)
		}
		if r := edit(mark, "external_id", "new-key"); r.Status != tandem.StatusRejected || tandem.ErrorCode(r.Err) != tandem.EINVALID {
			t.Errorf("edit of the external id = %+v; want rejected, EINVALID", r)
		}
		// The search index follows the edit.
		if page, err := db.Leads(ctx, tandem.LeadFilter{Q: "anne acme"}); err != nil || page.Total != 1 {
			t.Errorf("Leads(q=anne acme) after the edit = total %d, %v; want 1", page.Total, err)
		}
		in := input("company", "Other")
		in.ID = id + 100
		if rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{As: &mark}); err != nil || tandem.ErrorCode(rs[0].Err) != tandem.ENOTFOUND {
			t.Errorf("edit of no lead = %v, %v; want rejected, ENOTFOUND", statuses(rs), err)
		}
		if _, err := db.AddNote(ctx, id, "  met at the fair  ", mark); err != nil {
			t.Fatalf("AddNote: %v", err)
		}
		if _, err := db.AddNote(ctx, id, " ", mark); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("AddNote(blank) = %v; want EINVALID", err)
		}
		// A rep reads their own leads and unassigned ones: this one is Ria's.
		owned := input("owner_id", fmt.Sprint(cast.Ria.ID))
		owned.ID = id
		if rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{owned}, sqldb.IntakeOptions{Actor: "test"}); err != nil || rs[0].Status != tandem.StatusUpdated {
			t.Fatalf("IntakeLeads(owner Ria) = %v, %v; want updated", statuses(rs), err)
		}
		if _, err := db.AddNote(ctx, id, "mine?", rex); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("AddNote(as a rep who may not read it) = %v; want EFORBIDDEN", err)
		}
		evs, err := db.LeadEvents(ctx, id)
		if err != nil {
			t.Fatalf("LeadEvents: %v", err)
		}
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if want := []string{tandem.EventCreated, tandem.EventUpdated, tandem.EventNoted, tandem.EventUpdated}; !slices.Equal(types, want) {
			t.Fatalf("ledger = %v; want %v", types, want)
		}
		if n := evs[2]; n.Detail["note"] != "met at the fair" || n.Actor != mark.Actor() {
			t.Errorf("noted event = %+v; want note %q by %s", n, "met at the fair", mark.Actor())
		}
		if _, differ, err := db.VerifyLedger(ctx, func(id int64, diff string) { t.Errorf("lead %d replays differently: %s", id, diff) }); err != nil || differ != 0 {
			t.Errorf("VerifyLedger after a note = %d differ, %v; want 0, nil", differ, err)
		}
	})
}
