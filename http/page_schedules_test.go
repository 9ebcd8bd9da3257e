package http

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSettingsSchedules: an admin adds a monthly scorecard schedule to two
// roles and two addresses on the settings page and sees it with its next
// send; a schedule without a recipient, of an unknown kind or to a bad
// address is refused by its field and adds nothing; removing it empties
// the list. Other roles get 403.
func TestSettingsSchedules(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		db, _ := openDB(t, b)
		users := pageUsers(t, db)
		signDefault(t, db)
		s := startServer(t, db, nil)
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "the settings page", admin.get("/settings"), 200, "Scheduled reports", "No scheduled reports.")

		want(t, "a schedule to nobody", admin.post("/settings/schedules", url.Values{"kind": {"scorecard"}}), 422,
			"a schedule needs at least one role or address")
		want(t, "an unknown kind", admin.post("/settings/schedules", url.Values{"kind": {"daily"}, "addresses": {"a@example.com"}}), 422,
			"&#34;daily&#34; is not a kind of schedule")
		want(t, "a bad address", admin.post("/settings/schedules", url.Values{"kind": {"pacing"}, "role": {"executive"},
			"addresses": {"ok@example.com, not-an-address"}}), 422, "not-an-address", `value="executive" checked`)
		if ss, err := db.Schedules(t.Context()); err != nil || len(ss) != 0 {
			t.Fatalf("after refused forms, Schedules = %v, %v; want none", ss, err)
		}

		r := admin.post("/settings/schedules", url.Values{"kind": {"scorecard"}, "role": {"executive", "sales_head"},
			"addresses": {"Board@Example.com\ncfo@example.com"}})
		want(t, "add a schedule", r, 303, "/settings?done=scheduled")
		page := admin.get(r.header.Get("Location"))
		want(t, "the schedule listed", page, 200, "the schedule is added", "Monthly scorecard", "executive, sales head; board@example.com, cfo@example.com", "not yet")
		ss, err := db.Schedules(t.Context())
		if err != nil || len(ss) != 1 || ss[0].Kind != "scorecard" || len(ss[0].Roles) != 2 || len(ss[0].Addresses) != 2 {
			t.Fatalf("Schedules = %+v, %v; want the one scorecard schedule to 2 roles and 2 addresses", ss, err)
		}
		if !strings.HasPrefix(ss[0].CreatedBy, "user:") && ss[0].CreatedBy != users[tandem.RoleAdmin].Email && !strings.Contains(ss[0].CreatedBy, users[tandem.RoleAdmin].Email) {
			t.Errorf("the schedule was made by %q; want the admin %s", ss[0].CreatedBy, users[tandem.RoleAdmin].Email)
		}

		rep := newWebClient(t, s.URL())
		want(t, "rep sign-in", rep.login(users[tandem.RoleSalesRep].Email, testPassword), 303, "/")
		want(t, "a rep adding a schedule", rep.post("/settings/schedules", url.Values{"kind": {"pacing"}, "addresses": {"x@example.com"}}), 403)

		want(t, "remove the schedule", admin.post("/settings/schedules/remove", url.Values{"id": {"1"}}), 303, "/settings?done=unscheduled")
		want(t, "the list after removal", admin.get("/settings"), 200, "No scheduled reports.")
		want(t, "remove again", admin.post("/settings/schedules/remove", url.Values{"id": {"1"}}), 404, "no schedule 1")
	})
}
