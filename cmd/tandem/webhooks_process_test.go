package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// hookReceiver is an HTTP server on 127.0.0.1 that takes outgoing webhooks
// and checks each one's Standard Webhooks signature with its own code (not
// package webhook's): HMAC-SHA256 of "id.timestamp.body" under the
// secret's base64-decoded key, compared with each "v1," entry.
type hookReceiver struct {
	srv *httptest.Server
	key []byte
	// delay holds each answer, so that a kill finds posts in flight.
	delay time.Duration

	mu     sync.Mutex
	bodies map[string][][]byte // by webhook-id, each copy received
	bad    []string
}

func startHookReceiver(t *testing.T, secret string, delay time.Duration) *hookReceiver {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	r := &hookReceiver{key: key, delay: delay, bodies: map[string][][]byte{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	id, ts, sigs := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature")
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	ok := false
	for _, s := range strings.Fields(sigs) {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !ok:
		r.bad = append(r.bad, fmt.Sprintf("webhook %q: signature %q; want %q", id, sigs, want))
	case err != nil || sec < 1_000_000_000:
		r.bad = append(r.bad, fmt.Sprintf("webhook %q: timestamp %q is not Unix seconds", id, ts))
	case req.Header.Get("Content-Type") != "application/json" || !json.Valid(body):
		r.bad = append(r.bad, fmt.Sprintf("webhook %q: not JSON: %q", id, body))
	}
	if !ok {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.bodies[id] = append(r.bodies[id], body)
	time.Sleep(r.delay)
	w.WriteHeader(http.StatusNoContent)
}

func (r *hookReceiver) received() (map[string][][]byte, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := make(map[string][][]byte, len(r.bodies))
	for k, v := range r.bodies {
		got[k] = v
	}
	return got, append([]string(nil), r.bad...)
}

// prepareWebhooks subscribes the receiver at url to clock.breached and
// deal.won and wins deals of the first n leads, at 10:05 on the day
// prepareHandoffs set up, and returns the subscription's secret.
func prepareWebhooks(t *testing.T, dsn string, subscribe func(db *sqldb.DB) string, wins int) string {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clock.NewFake(time.Date(2026, 11, 23, 10, 5, 0, 0, newYork(t)))})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	defer db.Close()
	secret := subscribe(db)
	page, err := db.Leads(ctx, tandem.LeadFilter{Limit: wins})
	if err != nil || len(page.Leads) < wins {
		t.Fatalf("Leads = %d, %v; want %d", len(page.Leads), err, wins)
	}
	for _, l := range page.Leads {
		if _, err := db.MoveLead(ctx, l.ID, "opportunity", "test", "test"); err != nil {
			t.Fatalf("MoveLead(%d, opportunity): %v", l.ID, err)
		}
		deals, err := db.Deals(ctx, tandem.DealFilter{LeadID: l.ID})
		if err != nil || len(deals.Deals) != 1 {
			t.Fatalf("Deals(lead %d) = %+v, %v; want the deal opened at opportunity", l.ID, deals, err)
		}
		if _, err := db.WinDeal(ctx, deals.Deals[0].ID, 100_000, time.Time{}, "test"); err != nil {
			t.Fatalf("WinDeal(%d): %v", deals.Deals[0].ID, err)
		}
	}
	return secret
}

type deliveryRow struct {
	id               int64
	msgID, typ       string
	state            string
	claimed          bool
	eventID          sql.NullInt64
	attempts, status int
}

func deliveryRows(t *testing.T, db *sql.DB) []deliveryRow {
	t.Helper()
	rows, err := db.Query(`SELECT id, msg_id, type, state, claimed_by <> '', event_id, attempts, response_code FROM webhook_deliveries ORDER BY id`)
	if err != nil {
		t.Fatalf("Query webhook_deliveries: %v", err)
	}
	defer rows.Close()
	var ds []deliveryRow
	for rows.Next() {
		var d deliveryRow
		if err := rows.Scan(&d.id, &d.msgID, &d.typ, &d.state, &d.claimed, &d.eventID, &d.attempts, &d.status); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return ds
}

// TestWebhooksSurviveSIGKILL subscribes a real receiver, which checks
// every signature itself, to clock.breached and deal.won; kills `tandem
// serve` with SIGKILL while it posts a morning's breaches, starts it again,
// and checks that every event reached the receiver, signed, at least once,
// none was lost, and a second copy came only of a delivery in flight at the
// kill, with the same webhook-id and the same body.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	bin := buildTandem(t)
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			const handoffs, wins = 100, 5
			prepareHandoffs(t, b.DSN, handoffs)
			var hr *hookReceiver
			prepareWebhooks(t, b.DSN, func(db *sqldb.DB) string {
				// The receiver needs the secret, the subscription the
				// receiver's URL: subscribe, start, then point at it.
				s, err := db.CreateWebhook(context.Background(), sqldb.WebhookInput{URL: ptr("http://127.0.0.1:1/"),
					EventTypes: &[]string{"clock.breached", "deal.won"}}, 0)
				if err != nil {
					t.Fatalf("CreateWebhook: %v", err)
				}
				hr = startHookReceiver(t, s.Secret, 3*time.Millisecond)
				if _, err := db.UpdateWebhook(context.Background(), s.ID, sqldb.WebhookInput{URL: ptr(hr.srv.URL + "/tandem")}); err != nil {
					t.Fatalf("UpdateWebhook: %v", err)
				}
				return s.Secret
			}, wins)
			db := rawDB(t, b.DSN)
			r := startReceivers(t)

			start := time.Date(2026, 11, 23, 15, 0, 0, 0, newYork(t))
			first := startServe(t, bin, b.DSN, "first", start, r)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
				alive(t, first)
				if time.Now().After(deadline) {
					t.Fatalf("no webhook delivered in 30 s")
				}
				if count(t, db, `SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered' AND type = 'clock.breached'`) > 0 {
					break
				}
			}
			first.kill(t)
			inFlight := map[string]bool{}
			pendingAtKill := 0
			for _, d := range deliveryRows(t, db) {
				if d.state == "pending" {
					pendingAtKill++
					if d.claimed {
						inFlight[d.msgID] = true
					}
				}
			}
			t.Logf("SIGKILL: %d deliveries pending, %d of them claimed", pendingAtKill, len(inFlight))
			if pendingAtKill == 0 {
				t.Fatalf("the kill came after every delivery was done: it tested nothing")
			}

			// Claims are leased for a minute: restart as if that had passed.
			second := startServe(t, bin, b.DSN, "second", first.now().Add(time.Minute+time.Second), r)
			for deadline := time.Now().Add(doneWithin); ; time.Sleep(200 * time.Millisecond) {
				alive(t, second)
				p := readProgress(t, db, second.now())
				pending := count(t, db, `SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'`)
				if p.pendingDue == 0 && pending == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not done in %v: %v, %d deliveries not delivered", doneWithin, p, pending)
				}
			}
			second.stop(t)

			got, bad := hr.received()
			for _, s := range bad {
				t.Errorf("receiver: %s", s)
			}
			types := map[string]int{}
			events := map[int64]bool{}
			dups := 0
			rows := deliveryRows(t, db)
			for _, d := range rows {
				copies := got[d.msgID]
				switch {
				case len(copies) == 0:
					t.Errorf("delivery %d (%s, %s) never reached the receiver", d.id, d.typ, d.msgID)
					continue
				case len(copies) > 1:
					dups++
					if !inFlight[d.msgID] {
						t.Errorf("delivery %d (%s) arrived %d times; it was not in flight at the kill", d.id, d.msgID, len(copies))
					}
					for _, c := range copies[1:] {
						if !bytes.Equal(c, copies[0]) {
							t.Errorf("delivery %s: copies differ: %s and %s", d.msgID, copies[0], c)
						}
					}
				}
				var p struct {
					Type    string `json:"type"`
					EventID int64  `json:"event_id"`
				}
				if err := json.Unmarshal(copies[0], &p); err != nil || p.Type != d.typ || p.EventID != d.eventID.Int64 {
					t.Errorf("delivery %d body %s; want type %s, event %d", d.id, copies[0], d.typ, d.eventID.Int64)
				}
				if d.status != http.StatusNoContent {
					t.Errorf("delivery %d recorded response %d; want 204", d.id, d.status)
				}
				types[d.typ]++
				events[d.eventID.Int64] = true
			}
			if len(got) != len(rows) {
				t.Errorf("receiver got %d webhook-ids; the store holds %d deliveries", len(got), len(rows))
			}
			// Every clock.breached and deal.won event in the outbox has its
			// delivery: none was lost.
			want := count(t, db, `SELECT count(*) FROM outbox_events WHERE type IN ('clock.breached', 'deal.won')`)
			if len(events) != want || len(rows) != want {
				t.Errorf("%d deliveries of %d events; want one for each of the outbox's %d clock.breached and deal.won events", len(rows), len(events), want)
			}
			if types["deal.won"] != wins || types["clock.breached"] == 0 {
				t.Errorf("delivered %v; want %d deal.won and some clock.breached", types, wins)
			}
			t.Logf("delivered %v; %d arrived twice, %d were in flight at the kill", types, dups, len(inFlight))
		})
	}
}

func ptr[T any](v T) *T { return &v }
