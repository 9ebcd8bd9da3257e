package sqldb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSetWiseFiringMatchesOneByOne: two identical worlds of hand-offs,
// some of whose clocks were met, fire the same clocks and then their
// escalations, one set-wise (FireSLA's batches) and one a timer at a time
// under savepoints (as before batches); a fire that fails after its work
// fails in both. The ledger, the outbox, the notifications, the webhook
// deliveries, the timers, the tasks and the leads come out the same.
func TestSetWiseFiringMatchesOneByOne(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		const n = 40 // 120 clocks: a first batch of 50, then one of up to 500
		type world struct {
			w    *slaWorld
			fire func(ctx context.Context, tx *sqldb.Tx, tm sqldb.Timer) error
		}
		var failLead int64
		failing := func(fire func(ctx context.Context, tx *sqldb.Tx, tm sqldb.Timer) error) func(ctx context.Context, tx *sqldb.Tx, tm sqldb.Timer) error {
			return func(ctx context.Context, tx *sqldb.Tx, tm sqldb.Timer) error {
				if err := fire(ctx, tx, tm); err != nil {
					return err
				}
				if tm.LeadID == failLead {
					return errors.New("the process died before commit")
				}
				return nil
			}
		}
		var ws []world
		for _, oneByOne := range []bool{false, true} {
			w := newSLAWorld(t, sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)})
			fire := failing(w.db.FireSLA())
			if oneByOne {
				fire = sqldb.FireOneByOneForTest(fire)
			}
			w.clk.Set(ny(23, 10, 0))
			// A subscription to every event: each batch publishes
			// several times and reads the subscriptions once.
			if _, err := w.db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://hooks.example.com/in"), EventTypes: typesp("*")}, 0); err != nil {
				t.Fatalf("CreateWebhook: %v", err)
			}
			var leads []tandem.Lead
			for i := range n {
				leads = append(leads, w.mql(t, fmt.Sprintf("s%02d", i)))
			}
			owner := func(l tandem.Lead) tandem.Token {
				if l.OwnerID == w.rex.ID {
					return tokenOf(w.rex)
				}
				return tokenOf(w.ria)
			}
			// Some clocks are met: a first touch, then an acceptance or
			// a rejection that ends the hand-off.
			for i, l := range leads {
				if i%4 == 0 {
					continue
				}
				if _, err := w.db.LogTouch(ctx, l.ID, tandem.Touch{Channel: "call", Outcome: "connected"}, owner(l)); err != nil {
					t.Fatalf("LogTouch(%d) = %v", l.ID, err)
				}
				d := sqldb.Decision{Decision: tandem.DecisionAccepted}
				switch i % 4 {
				case 1:
					continue
				case 3:
					d = sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "not_a_fit"}
				}
				if _, err := w.db.Decide(ctx, l.ID, d, owner(l)); err != nil {
					t.Fatalf("Decide(%d) = %v", l.ID, err)
				}
			}
			failLead = leads[8].ID
			ws = append(ws, world{w, fire})
		}
		// The clocks fall due, then the escalations' steps, then the
		// failed timers' retries (which no longer fail).
		for _, at := range []time.Time{ny(23, 11, 0), ny(23, 13, 30), ny(24, 12, 0)} {
			for _, w := range ws {
				w.w.clk.Set(at)
				if _, err := w.w.db.FireDue(ctx, "test", 10000, w.fire); err != nil {
					t.Fatalf("FireDue at %v = %v", at, err)
				}
			}
			failLead = 0
		}
		queries := []string{
			`SELECT lead_id, type, occurred_at, recorded_at, actor, reason, agreement_version, data FROM events`,
			`SELECT type, version, lead_id, data, occurred_at, created_at FROM outbox_events`,
			`SELECT user_id, lead_id, channel, address, subject, body, state, next_at, created_at, sent_at FROM notifications`,
			`SELECT kind, lead_id, due_at, state, payload, attempts, last_error, claimed_by, created_at, fired_at FROM timers`,
			`SELECT id, state, breached FROM tasks`,
			`SELECT subscription_id, type, state, attempts, next_at, created_at FROM webhook_deliveries`,
			`SELECT id, version, stage, updated_at FROM leads`,
		}
		var fired int
		for _, q := range queries {
			var got [2][]string
			for i, w := range ws {
				rows, err := w.w.db.QueryRowsForTest(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				slices.Sort(rows) // the order of ids within a batch may differ
				got[i] = rows
			}
			if diff := cmp.Diff(got[1], got[0]); diff != "" {
				t.Errorf("%s: set-wise firing differs from one by one (-one by one +set-wise):\n%s", q, diff)
			}
			if q == queries[0] {
				for _, r := range got[0] {
					if fieldOf(r, 1) == tandem.EventBreached {
						fired++
					}
				}
			}
		}
		// Each unmet clock breached once: 10 leads untouched (first touch,
		// accept, step), 10 touched but undecided (accept, step), 10
		// accepted (step); the rejected ended.
		if want := 10*3 + 10*2 + 10*1; fired != want {
			t.Errorf("%d breached events; want %d", fired, want)
		}
	})
}

// fieldOf returns the i-th "|"-separated field of a row.
func fieldOf(row string, i int) string {
	if fs := strings.Split(row, "|"); i < len(fs) {
		return fs[i]
	}
	return ""
}

// TestSetWiseFlushFailureFallsBack: when writing a batch's buffered writes
// fails (here the database refuses one lead's notifications), the batch is
// rolled back and fired again one timer at a time: that lead's timers are
// put off with the error, and every other lead's clocks breach.
func TestSetWiseFlushFailureFallsBack(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 0))
		var leads []tandem.Lead
		for i := range 6 {
			leads = append(leads, w.mql(t, fmt.Sprintf("f%d", i)))
		}
		bad := leads[2].ID
		triggers := []string{fmt.Sprintf(`CREATE TRIGGER refuse BEFORE INSERT ON notifications
			WHEN NEW.lead_id = %d BEGIN SELECT RAISE(ABORT, 'notifications refused'); END`, bad)}
		if b.Name == "postgres" {
			triggers = []string{
				fmt.Sprintf(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
					BEGIN IF NEW.lead_id = %d THEN RAISE EXCEPTION 'notifications refused'; END IF; RETURN NEW; END $$`, bad),
				`CREATE TRIGGER refuse BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION refuse()`,
			}
		}
		for _, q := range triggers {
			if err := w.db.ExecForTest(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		w.clk.Set(ny(23, 16, 0)) // every first-touch, accept and first-step clock is due
		if _, err := w.db.FireDue(ctx, "test", 10000, w.db.FireSLA()); err != nil {
			t.Fatalf("FireDue = %v", err)
		}
		for _, l := range leads {
			ts, err := w.db.Timers(ctx, l.ID)
			if err != nil {
				t.Fatalf("Timers(%d) = %v", l.ID, err)
			}
			var breaches int
			rows, err := w.db.QueryRowsForTest(ctx, fmt.Sprintf(`SELECT type FROM events WHERE lead_id = %d AND type = 'breached'`, l.ID))
			if err != nil {
				t.Fatal(err)
			}
			breaches = len(rows)
			for _, tm := range ts {
				if tm.Kind != sqldb.TimerFirstTouch && tm.Kind != sqldb.TimerAccept && tm.Kind != sqldb.TimerStep {
					continue
				}
				switch {
				case l.ID == bad && (tm.State != sqldb.TimerPending || tm.Attempts != 1 || !strings.Contains(tm.LastError, "notifications refused")):
					t.Errorf("lead %d (refused) timer %s: %s, %d attempts, %q; want pending, 1 attempt, the refusal", l.ID, tm.Kind, tm.State, tm.Attempts, tm.LastError)
				case l.ID != bad && tm.State != sqldb.TimerFired:
					t.Errorf("lead %d timer %s: %s; want fired", l.ID, tm.Kind, tm.State)
				}
			}
			if want := 3; l.ID == bad {
				if breaches != 0 {
					t.Errorf("lead %d (refused): %d breaches; want 0", l.ID, breaches)
				}
			} else if breaches != want {
				t.Errorf("lead %d: %d breaches; want %d", l.ID, breaches, want)
			}
		}
	})
}
