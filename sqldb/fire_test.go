package sqldb_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestEscalationToNobodySaysSo: when nobody holds the role an escalation
// step tells (the manager changed role after signing), the chat message says
// so in a sentence, not "tells the sales_manager: .nobody holds this role".
func TestEscalationToNobodySaysSo(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		exec, none, sam := tandem.RoleExecutive, "", w.sam.Email
		for _, rep := range []tandem.User{w.rex, w.ria} {
			if _, err := w.db.UpdateUser(ctx, rep.Email, tandem.UserUpdate{Manager: &sam}); err != nil {
				t.Fatalf("UpdateUser(%s, manager sam) = %v", rep.Email, err)
			}
		}
		if _, err := w.db.UpdateUser(ctx, w.manu.Email, tandem.UserUpdate{Role: &exec, Manager: &none}); err != nil {
			t.Fatalf("UpdateUser(manu, role executive) = %v", err)
		}
		w.clk.Set(ny(23, 10, 0))
		l := w.mql(t, "nobody")
		for _, at := range []int{11, 41} { // the rep is told at 10:10, the manager at 10:40
			w.clk.Set(ny(23, 10, at))
			w.fire(t)
		}
		chats, err := w.db.Notifications(ctx, sqldb.NotificationFilter{Channel: "chat", LeadID: l.ID, Limit: 100})
		if err != nil {
			t.Fatalf("Notifications(chat) = %v", err)
		}
		const want = "Escalation step 2 of 3 tells the sales_manager: nobody holds this role."
		found := 0
		for _, n := range chats {
			if strings.Contains(n.Body, "step 2 of 3") {
				found++
				if !strings.HasSuffix(n.Body, "\n"+want) {
					t.Errorf("chat body of step 2:\n%s\nwant it to end with the line %q", n.Body, want)
				}
			}
		}
		if found == 0 {
			t.Errorf("no chat message for escalation step 2 among %d; want one per breached clock", len(chats))
		}
		if ns, _ := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: w.manu.ID}); len(ns) != 0 {
			t.Errorf("manu, no longer a manager, got %d notifications; want 0", len(ns))
		}
	})
}

// TestEscalationSubjectKeepsWholeCharacters: a subject longer than 200
// bytes is cut to 200 at most, never inside a UTF-8 character. The first
// step's template is 150 two-byte characters, after a one-byte pad or none,
// so that one of the two cuts falls inside a character.
func TestEscalationSubjectKeepsWholeCharacters(t *testing.T) {
	for _, pad := range []string{"", "a"} {
		sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
			t.Parallel()
			ctx := context.Background()
			db, clk := open(t, b)
			clk.Set(ny(23, 9, 0))
			template := pad + strings.Repeat("é", 150)
			body := strings.Replace(string(agreement.Default()), "template: first-call", "template: "+template, 1)
			signDefault(t, db, body)
			w := &slaWorld{db: db, clk: clk}
			clk.Set(ny(23, 10, 0))
			l := w.mql(t, "long"+pad)
			clk.Set(ny(23, 10, 11))
			w.fire(t)
			ns, err := db.Notifications(ctx, sqldb.NotificationFilter{LeadID: l.ID, Limit: 100})
			if err != nil {
				t.Fatalf("Notifications(lead %d) = %v", l.ID, err)
			}
			long := 0
			for _, n := range ns {
				if !strings.Contains(n.Subject, "cadence step 1") {
					continue
				}
				long++
				if len(n.Subject) > 200 || !utf8.ValidString(n.Subject) {
					t.Errorf("%s subject is %d bytes, valid UTF-8 %v: %q; want at most 200 bytes of whole characters",
						n.Channel, len(n.Subject), utf8.ValidString(n.Subject), n.Subject)
				}
				if !strings.HasPrefix(n.Subject, "SLA breach on lead ") || !strings.HasSuffix(n.Subject, "éé") {
					t.Errorf("%s subject %q; want the breach subject cut inside the template", n.Channel, n.Subject)
				}
			}
			if long == 0 {
				t.Errorf("no notification about cadence step 1 among %d; want the rep's and the chat's", len(ns))
			}
		})
	}
}
