package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestMeetingActionItemsCarry records October's meeting's action items on
// 2 November, refuses bad ones without recording anything, closes some,
// and reads November's scorecard twice: each time it opens with
// October's items and their state at its as-of time, which the test works
// out from its own table of due dates and closing times. Each item
// reaches its owner's inbox.
func TestMeetingActionItemsCarry(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		w := newWorld(t, be, time.Date(2026, 10, 5, 10, 0, 0, 0, newYork))
		w.october(t)
		w.clk.Set(time.Date(2026, 11, 2, 8, 0, 0, 0, newYork))
		ctx := sqldb.WithActor(context.Background(), "user:mia@example.com")
		oct, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-10") // freezes October
		if err != nil || len(oct.Agenda) == 0 {
			t.Fatalf("Scorecard(2026-10) = %d agenda items, %v; want an agenda", len(oct.Agenda), err)
		}
		topic := oct.Agenda[0].Topic

		// Bad items: each names its field, and nothing is recorded.
		for _, c := range []struct {
			n     meeting.New
			field string
		}{
			{meeting.New{What: "call back", Due: "2026-11-10"}, "owner"},
			{meeting.New{What: "call back", Owner: "nobody@example.com", Due: "2026-11-10"}, "owner"},
			{meeting.New{What: "call back", Owner: "rex@example.com", Due: "2026-13-01"}, "due"},
			{meeting.New{What: "call back", Owner: "rex@example.com", Due: "10/11/2026"}, "due"},
			{meeting.New{What: "call back", Owner: "rex@example.com"}, "due"},
			{meeting.New{What: "call back", Owner: "rex@example.com", Due: "2026-09-30"}, "due"},
			{meeting.New{What: " ", Owner: "rex@example.com", Due: "2026-11-10"}, "what"},
			{meeting.New{What: "call back", Owner: "rex@example.com", Due: "2026-11-10", Topic: "no_such_line"}, "agenda_topic"},
		} {
			_, err := report.RecordActionItem(ctx, w.db, w.clk.Now(), "2026-10", c.n)
			if tandem.ErrorCode(err) != tandem.EINVALID || !names(err, c.field) {
				t.Errorf("RecordActionItem(%+v) = %v; want EINVALID naming %s", c.n, err, c.field)
			}
		}
		if _, err := report.RecordActionItem(ctx, w.db, w.clk.Now(), "2026-14", meeting.New{What: "x", Owner: "rex@example.com", Due: "2026-11-10"}); !names(err, "period") {
			t.Errorf("RecordActionItem(period 2026-14) = %v; want EINVALID naming period", err)
		}
		if its, err := w.db.ActionItems(ctx, sqldb.ActionItemFilter{}); err != nil || len(its) != 0 {
			t.Fatalf("ActionItems after bad input = %d, %v; want none", len(its), err)
		}

		// The items, and when each is closed (zero: never).
		type row struct {
			n        meeting.New
			closeAt  time.Time
			closer   tandem.User
			dueEnd   time.Time // the first instant after the due day in New York
			id       int64
			ownerID  int64
			recorded bool
		}
		rows := []*row{
			{n: meeting.New{What: "fix the lead form's country field", Owner: "rex@example.com", Due: "2026-11-10", Topic: topic},
				closeAt: time.Date(2026, 11, 5, 9, 0, 0, 0, newYork), closer: w.rex},
			{n: meeting.New{What: "coach the team on first touch", Owner: "manu@example.com", Due: "2026-11-03"}},
			{n: meeting.New{What: "new spring nurture", Owner: "mia@example.com", Due: "2026-12-15"}},
			{n: meeting.New{What: "call the rejected leads again", Owner: "rex@example.com", Due: "2026-11-04"},
				closeAt: time.Date(2026, 11, 25, 9, 0, 0, 0, newYork), closer: w.manu},
		}
		for _, r := range rows {
			d, _ := time.ParseInLocation(time.DateOnly, r.n.Due, newYork)
			r.dueEnd = d.AddDate(0, 0, 1)
			it, err := report.RecordActionItem(ctx, w.db, w.clk.Now(), "2026-10", r.n)
			if err != nil {
				t.Fatalf("RecordActionItem(%+v) = %v", r.n, err)
			}
			r.id, r.ownerID = it.ID, it.OwnerID
			if it.State != meeting.Open || it.Owner != r.n.Owner || it.DueOn != r.n.Due || !it.DueAt.Equal(r.dueEnd) || it.CreatedBy != "user:mia@example.com" {
				t.Errorf("recorded %+v; want open, owner %s, due %s (ends %v), by mia", it, r.n.Owner, r.n.Due, r.dueEnd)
			}
			if r.n.Topic != "" && (it.Topic != topic || it.AgendaText != oct.Agenda[0].Text) {
				t.Errorf("item answers %q %q; want the agenda's first line %q %q", it.Topic, it.AgendaText, topic, oct.Agenda[0].Text)
			}
		}
		// Each reaches its owner's inbox.
		for _, u := range []tandem.User{w.rex, w.manu, w.mia} {
			want := map[int64]bool{}
			for _, r := range rows {
				if r.ownerID == u.ID {
					want[r.id] = true
				}
			}
			in, err := w.db.Inbox(ctx, u.ID, sqldb.InboxFilter{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, n := range in.Items {
				if n.Type != outbox.ActionItemAdded {
					continue
				}
				if n.MeetingPeriod != "2026-10" {
					t.Errorf("%s's notification %+v names meeting %q; want 2026-10", u.Email, n, n.MeetingPeriod)
				}
				got[n.ActionItem] = true
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s's inbox tells of items %v; want %v", u.Email, got, want)
			}
		}
		// An owner closes their own, not another's.
		if _, err := w.db.CloseActionItem(ctx, rows[1].id, w.rex); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
			t.Errorf("rex closes manu's item: %v; want EFORBIDDEN", err)
		}
		if _, err := w.db.CloseActionItem(ctx, 99999, w.sam); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("close item 99999: %v; want ENOTFOUND", err)
		}

		// November's scorecard at two times.
		closed := map[int64]bool{}
		for _, at := range []time.Time{time.Date(2026, 11, 20, 12, 0, 0, 0, newYork), time.Date(2026, 11, 26, 12, 0, 0, 0, newYork)} {
			for _, r := range rows {
				if !r.closeAt.IsZero() && !r.closeAt.After(at) && !closed[r.id] {
					w.clk.Set(r.closeAt)
					it, err := w.db.CloseActionItem(sqldb.WithActor(ctx, "user:"+r.closer.Email), r.id, r.closer)
					if err != nil || it.State != meeting.Done || !it.DoneAt.Equal(r.closeAt) {
						t.Fatalf("CloseActionItem(%d) = %+v, %v; want done at %v", r.id, it, err, r.closeAt)
					}
					closed[r.id] = true
				}
			}
			w.clk.Set(at)
			done, overdue := 0, 0
			for _, r := range rows {
				isDone := !r.closeAt.IsZero() && !r.closeAt.After(at)
				if isDone {
					done++
				}
				if !isDone && !at.Before(r.dueEnd) {
					overdue++
				}
			}
			wantText := fmt.Sprintf("%d of %d done", done, len(rows))
			if overdue > 0 {
				wantText += fmt.Sprintf("; %d overdue", overdue)
			}
			nov, err := report.Refresh(ctx, w.db, at, "2026-11")
			if err != nil {
				t.Fatalf("Refresh(2026-11) = %v", err)
			}
			c := nov.ActionItems
			if c == nil || c.Period != "2026-10" || c.Total != len(rows) || c.Done != done || c.Overdue != overdue || c.Text != wantText {
				t.Fatalf("November's scorecard at %v carries %+v; want October's %d items, %d done, %d overdue, %q", at, c, len(rows), done, overdue, wantText)
			}
			var html, csv bytes.Buffer
			if err := nov.WriteHTML(&html); err != nil {
				t.Fatal(err)
			}
			if err := nov.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(html.String(), wantText) || !strings.Contains(csv.String(), "action_items,both,2026-10,done,,"+fmt.Sprint(done)) {
				t.Errorf("the HTML or CSV of November's scorecard does not say %q with %d done", wantText, done)
			}
			b, _ := json.Marshal(nov)
			if !strings.Contains(string(b), `"action_items":{"period":"2026-10"`) {
				t.Errorf("November's JSON lacks action_items: %.300s", b)
			}
		}
		// The events: four created, two done.
		for typ, want := range map[string]int{outbox.ActionItemAdded: 4, outbox.ActionItemDone: 2} {
			evs, err := w.db.OutboxEvents(ctx, sqldb.OutboxFilter{Type: typ})
			if err != nil || len(evs) != want {
				t.Errorf("outbox %s = %d, %v; want %d", typ, len(evs), err, want)
			}
		}
		// The lead review: October's rejected lead is of campaign spring.
		if _, err := report.RespondToReview(ctx, w.db, w.clk.Now(), "2026-10", "summer", "x"); !names(err, "campaign") {
			t.Errorf("RespondToReview(summer) = %v; want EINVALID naming campaign", err)
		}
		if _, err := report.RespondToReview(ctx, w.db, w.clk.Now(), "2026-10", "spring", "we drop the no-budget segment"); err != nil {
			t.Fatalf("RespondToReview(spring) = %v", err)
		}
		m, err := report.ReadMeeting(ctx, w.db, w.clk.Now(), "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Items) != len(rows) || len(m.Campaigns) != 1 || m.Campaigns[0] != "spring" || m.Responses["spring"].Response != "we drop the no-budget segment" ||
			len(m.Review) != 1 || m.Review[0].Leads[0].Rejected == nil || m.Review[0].Leads[0].Rejected.Code != "no_budget" {
			t.Errorf("ReadMeeting(2026-10) = items %d, campaigns %v, responses %+v, review %+v; want the 4 items and spring's rejected lead with the response",
				len(m.Items), m.Campaigns, m.Responses, m.Review)
		}
		// Closing again changes nothing.
		w.clk.Set(time.Date(2026, 11, 27, 9, 0, 0, 0, newYork))
		if it, err := w.db.CloseActionItem(ctx, rows[0].id, w.sam); err != nil || !it.DoneAt.Equal(rows[0].closeAt) {
			t.Errorf("closing item %d again = %+v, %v; want it done at %v still", rows[0].id, it, err, rows[0].closeAt)
		}
	})
}

// names reports whether err is an EINVALID error naming field.
func names(err error, field string) bool {
	var e *tandem.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
