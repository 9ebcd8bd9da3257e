package http

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// userToken makes an API token that acts for the user with email, and
// returns its secret.
func userToken(t *testing.T, db *sqldb.DB, email string) string {
	t.Helper()
	_, secret, err := db.CreateScopedToken(context.Background(), sqldb.TokenSpec{Name: "tok-" + email, Email: email})
	if err != nil {
		t.Fatalf("CreateScopedToken(%s): %v", email, err)
	}
	return secret
}

// TestMeetingAPI records an action item through the API, refuses bad ones
// naming the field with nothing recorded, reads the meeting back, lets the
// owner (not another rep) close it, and has the item in the owner's inbox.
func TestMeetingAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		period := ts.clk.Now().In(newYork).Format("2006-01")
		due := ts.clk.Now().AddDate(0, 0, 10).In(newYork).Format("2006-01-02")
		base := "/api/v1/meetings/" + period

		for _, c := range []struct{ body, field string }{
			{`{"what":"x","due":"` + due + `"}`, "owner"},
			{`{"what":"x","owner":"ghost@example.com","due":"` + due + `"}`, "owner"},
			{`{"what":"x","owner":"rex@example.com","due":"31/12/2026"}`, "due"},
			{`{"what":"","owner":"rex@example.com","due":"` + due + `"}`, "what"},
		} {
			e := checkError(t, "POST items "+c.body, ts.do("POST", base+"/items", tandem.RoleSalesHead, c.body), 422, tandem.EINVALID)
			if !slices.Contains(fieldNames(e.Error.Fields), c.field) {
				t.Errorf("POST items %s names %v; want %s", c.body, fieldNames(e.Error.Fields), c.field)
			}
		}
		checkError(t, "POST items as a rep", ts.do("POST", base+"/items", tandem.RoleSalesRep, `{"what":"x","owner":"rex@example.com","due":"`+due+`"}`), 403, tandem.EFORBIDDEN)
		checkError(t, "POST items with an unknown key", ts.do("POST", base+"/items", tandem.RoleSalesHead, `{"what":"x","owner":"rex@example.com","due":"`+due+`","who":1}`), 422, tandem.EINVALID)
		var m meetingJSON
		ts.call("GET", base, tandem.RoleExecutive, "", 200, &m)
		if len(m.Items) != 0 {
			t.Fatalf("after bad input the meeting has items %+v; want none", m.Items)
		}

		var it meeting.Item
		ts.call("POST", base+"/items", tandem.RoleSalesHead, `{"what":"call back the rejected leads","owner":"rex@example.com","due":"`+due+`"}`, 201, &it)
		if it.ID == 0 || it.Owner != "rex@example.com" || it.State != meeting.Open || it.DueOn != due || it.CreatedBy != "token:sales_head" {
			t.Fatalf("recorded %+v; want rex's open item due %s, by token:sales_head", it, due)
		}
		ts.call("GET", base, tandem.RoleExecutive, "", 200, &m)
		if len(m.Items) != 1 || m.Items[0].ID != it.ID || m.Period != period {
			t.Errorf("GET %s = %+v; want the one item", base, m)
		}
		rex, err := ts.db.UserByEmail(context.Background(), "rex@example.com")
		if err != nil {
			t.Fatal(err)
		}
		in, err := ts.db.Inbox(context.Background(), rex.ID, sqldb.InboxFilter{})
		if err != nil || len(in.Items) != 1 || in.Items[0].Type != outbox.ActionItemAdded || in.Items[0].ActionItem != it.ID ||
			!strings.Contains(in.Items[0].Subject, "call back the rejected leads") {
			t.Errorf("rex's inbox = %+v, %v; want the action item", in.Items, err)
		}
		if link, _ := inboxLink(in.Items[0]); link != "/meeting/"+period+"#items" {
			t.Errorf("the notification links to %q; want the meeting", link)
		}

		// Another user's token may not close it; the owner's may.
		done := fmt.Sprintf("/api/v1/meetings/items/%d/done", it.ID)
		ria := tandem.User{Email: "ria@example.com", Role: tandem.RoleSalesRep}
		if err := ts.db.CreateUser(context.Background(), &ria); err != nil {
			t.Fatal(err)
		}
		checkError(t, "ria closes rex's item", ts.doSecret("POST", done, userToken(t, ts.db, ria.Email), nil), 403, tandem.EFORBIDDEN)
		checkError(t, "close item 0", ts.do("POST", "/api/v1/meetings/items/0/done", tandem.RoleAdmin, ""), 404, tandem.ENOTFOUND)
		r := ts.doSecret("POST", done, userToken(t, ts.db, "rex@example.com"), nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"state":"done"`) || !strings.Contains(string(r.body), `"done_by":"user:rex@example.com"`) {
			t.Errorf("rex closes his item = %v; want it done by his token", r)
		}

		// A response to a campaign the review does not list.
		e := checkError(t, "respond", ts.do("POST", base+"/responses", tandem.RoleMarketing, `{"campaign":"spring","response":"we fix the form"}`), 422, tandem.EINVALID)
		if !slices.Contains(fieldNames(e.Error.Fields), "campaign") {
			t.Errorf("respond to an unlisted campaign names %v; want campaign", fieldNames(e.Error.Fields))
		}
		checkError(t, "respond as a rep", ts.do("POST", base+"/responses", tandem.RoleSalesRep, `{"campaign":"","response":"x"}`), 403, tandem.EFORBIDDEN)
		checkError(t, "a bad period", ts.do("GET", "/api/v1/meetings/2026-13", tandem.RoleAdmin, ""), 422, tandem.EINVALID)
	})
}

// TestAgreementCommentsAPI proposes a second version that answers the
// first, has the sales head comment on one of its clauses, refuses a
// clause that is no key of either file, a comment on the version in force
// and a comment by a token of no user, and reads the thread back.
func TestAgreementCommentsAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		body := strings.Replace(string(agreement.Default()), "name: Sales and marketing agreement", "name: Faster first touch", 1)
		var v tandem.AgreementVersion
		ts.call("POST", "/api/v1/agreements", tandem.RoleAdmin, body, 201, &v)
		if v.Version != 2 {
			t.Fatalf("proposed version %d; want 2", v.Version)
		}
		ts.call("POST", "/api/v1/agreements/2/answers", tandem.RoleAdmin, `{"answers":1}`, 200, nil)
		checkError(t, "answers itself", ts.do("POST", "/api/v1/agreements/2/answers", tandem.RoleAdmin, `{"answers":2}`), 422, tandem.EINVALID)

		sam := userToken(t, ts.db, "sam@example.com")
		path := "/api/v1/agreements/2/comments"
		r := ts.doSecret("POST", path, sam, strings.NewReader(`{"clause":"name","body":"a clearer name, yes"}`))
		if r.status != 201 {
			t.Fatalf("sam comments = %v; want 201", r)
		}
		e := checkError(t, "a clause that is no key", ts.doSecret("POST", path, sam, strings.NewReader(`{"clause":"sales.speed","body":"x"}`)), 422, tandem.EINVALID)
		if !slices.Contains(fieldNames(e.Error.Fields), "clause") {
			t.Errorf("no key: fields %v; want clause", fieldNames(e.Error.Fields))
		}
		checkError(t, "a comment on the version in force", ts.doSecret("POST", "/api/v1/agreements/1/comments", sam, strings.NewReader(`{"clause":"name","body":"x"}`)), 409, tandem.ECONFLICT)
		checkError(t, "a token of no user", ts.do("POST", path, tandem.RoleSalesHead, `{"clause":"name","body":"x"}`), 403, tandem.EFORBIDDEN)
		checkError(t, "a rep comments", ts.do("POST", path, tandem.RoleSalesRep, `{"clause":"name","body":"x"}`), 403, tandem.EFORBIDDEN)

		var got commentsJSON
		ts.call("GET", path, tandem.RoleSalesRep, "", 200, &got)
		if got.Answers != 1 || len(got.Comments) != 1 || got.Comments[0].Clause != "name" || got.Comments[0].Author != "sam@example.com" ||
			!slices.Contains(got.Clauses, "sales.first_touch_within") {
			t.Errorf("GET %s = %+v; want sam's one comment on name, version 2 answering 1, clauses with sales.first_touch_within", path, got)
		}
		var first commentsJSON
		ts.call("GET", "/api/v1/agreements/1/comments", tandem.RoleSalesRep, "", 200, &first)
		if !slices.Equal(first.AnsweredBy, []int{2}) {
			t.Errorf("version 1 answered by %v; want [2]", first.AnsweredBy)
		}
	})
}
