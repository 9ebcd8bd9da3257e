package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestInboxBreach: a lead handed off to Rex misses its first touch; Rex
// sees the unread count in the header, opens his inbox from it, reads the
// breach and follows it to the lead, which reads it.
func TestInboxBreach(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // Monday 10:00 in New York
		ctx := context.Background()
		c := tandemtest.People(t, e.DB, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
		c.Sign(t, e.DB, string(agreement.Default()))
		const pw = "rex's long password"
		if _, err := e.DB.SetPassword(ctx, c.Rex.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		rs, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "a", "email": "lena@example.com",
			"first_name": "Lena", "company": "Acme", "score": "70"}}}, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads = %v, %v", rs, err)
		}
		lead := rs[0].ID
		e.Clock.Set(time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC))
		if n, err := e.DB.FireDue(ctx, "test", 100, e.DB.FireSLA()); err != nil || n == 0 {
			t.Fatalf("FireDue = %d, %v; want the breach", n, err)
		}
		in, err := e.DB.Inbox(ctx, c.Rex.ID, sqldb.InboxFilter{})
		if err != nil || len(in.Items) == 0 {
			t.Fatalf("Rex's inbox = %v, %v; want the breach", in.Items, err)
		}
		n := len(in.Items)

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", c.Rex.Email, "#password", pw)
		if got := e.Text("[data-testid=unread]"); got != fmt.Sprint(n) {
			t.Errorf("the header's unread count = %q; want %d", got, n)
		}
		e.Submit("[data-testid=inbox-link]")
		if got := e.Path(); got != "/inbox" {
			t.Fatalf("the header's inbox link opened %s", got)
		}
		note := in.Items[0]
		if got := e.Text(fmt.Sprintf("[data-testid=note-%d]", note.ID)); !strings.Contains(got, "SLA breach on lead") || !strings.Contains(got, "new") {
			t.Errorf("the newest notification reads %q; want an unread SLA breach", got)
		}
		e.Screenshot("inbox")
		e.Submit(fmt.Sprintf("[data-testid=follow-%d]", note.ID))
		if got := e.Path(); got != fmt.Sprintf("/leads/%d", lead) {
			t.Errorf("following the breach opened %s; want /leads/%d", got, lead)
		}
		if got := e.Text("h1"); !strings.Contains(got, "Lena") {
			t.Errorf("the lead page's heading = %q; want Lena", got)
		}
		if unread, err := e.DB.UnreadCount(ctx, c.Rex.ID); err != nil || unread != n-1 {
			t.Errorf("after following it, UnreadCount = %d, %v; want %d", unread, err, n-1)
		}
	})
}
