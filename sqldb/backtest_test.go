package sqldb

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/backtest"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestBacktestLedger reads a month back as the backtest replays it, on both
// databases: the month's hand-offs with their leads, touches and how they
// were handed over; the new leads never handed off; the hand-offs carried in
// from before; the reps. A month with nothing in it, or a bad period, is an
// error that says so.
func TestBacktestLedger(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newReportWorld(t, b, 2)
		// Monday 2 November: a hand-off that is still open in December.
		w.at(10, 0)
		carried := w.intake(t, [3]string{"c1", "web", "smb"})[0]
		// Tuesday 1 December: two hand-offs, one touched, and a lead
		// below the mql rule.
		dec := func(h, m int) time.Time { return reportAt(time.December, 1, h, m) }
		w.clk.Set(dec(9, 0))
		ls := w.intake(t, [3]string{"n1", "web", "smb"}, [3]string{"n2", "event", "enterprise"})
		w.clk.Set(dec(9, 4))
		owner := func(l tandem.Lead) tandem.User {
			hs, err := w.db.Handoffs(ctx, l.ID)
			if err != nil || len(hs) != 1 {
				t.Fatalf("Handoffs(%s) = %v, %v; want one", l.ExternalID, hs, err)
			}
			for _, u := range []tandem.User{w.rex, w.ria} {
				if u.ID == hs[0].OwnerID {
					return u
				}
			}
			t.Fatalf("lead %s is owned by %d, not a rep", l.ExternalID, hs[0].OwnerID)
			return tandem.User{}
		}
		w.touch(t, ls[0], owner(ls[0]), "call", tandem.OutcomeNoAnswer)
		rs, err := w.db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "cold", "source": "web",
			"email": "cold@example.com", "score": "40"}}}, IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads(cold) = %v, %v", rs, err)
		}
		w.clk.Set(dec(12, 0))

		l, inForce, err := w.db.BacktestLedger(ctx, "2026-12")
		if err != nil {
			t.Fatalf("BacktestLedger(2026-12) = %v", err)
		}
		if inForce.Number != 1 || inForce.Agreement == nil {
			t.Errorf("BacktestLedger version in force = %d; want 1", inForce.Number)
		}
		if l.Period.Name != "2026-12" || !l.Now.Equal(dec(12, 0)) {
			t.Errorf("BacktestLedger period %s as of %s; want 2026-12 as of noon", l.Period.Name, l.Now)
		}
		var reps []string
		for _, r := range l.Reps {
			reps = append(reps, r.Email)
		}
		if diff := gocmp.Diff([]string{w.rex.Email, w.ria.Email}, reps); diff != "" {
			t.Errorf("BacktestLedger reps (-want +got):\n%s", diff)
		}
		type got struct {
			Lead    string
			ByRule  bool
			Touches []string
		}
		var hs []got
		for _, h := range l.Handoffs {
			g := got{Lead: h.Lead.ExternalID, ByRule: h.ByRule}
			for _, tc := range h.Touches {
				g.Touches = append(g.Touches, tc.Channel+" "+tc.Outcome+" "+tandem.FormatTime(tc.At))
			}
			hs = append(hs, g)
		}
		slices.SortFunc(hs, func(a, b got) int { return strings.Compare(a.Lead, b.Lead) })
		want := []got{
			{Lead: "n1", ByRule: true, Touches: []string{"call no_answer " + tandem.FormatTime(dec(9, 4))}},
			{Lead: "n2", ByRule: true},
		}
		if diff := gocmp.Diff(want, hs); diff != "" {
			t.Errorf("BacktestLedger hand-offs (-want +got):\n%s", diff)
		}
		if len(l.Candidates) != 1 || l.Candidates[0].ExternalID != "cold" || l.Candidates[0].Score != 40 {
			t.Errorf("BacktestLedger candidates = %v; want the cold lead", l.Candidates)
		}
		if len(l.Carried) != 1 || l.Carried[0].OwnerID != owner(carried).ID || !l.Carried[0].EndedAt.IsZero() {
			t.Errorf("BacktestLedger carried = %+v; want %s's open hand-off", l.Carried, owner(carried).Email)
		}

		for _, tc := range []struct{ period, code, words string }{
			{"2026-10", tandem.ENOTFOUND, "nothing to replay"},
			{"2026-13", tandem.EINVALID, "period"},
			{"", tandem.EINVALID, "period"},
		} {
			_, _, err := w.db.BacktestLedger(ctx, tc.period)
			if tandem.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("BacktestLedger(%q) = %v; want %s naming %q", tc.period, err, tc.code, tc.words)
			}
		}
	})
}

// TestSignatureRecordsBacktestSeen: a head who opened the backtest of a
// proposal signs it with that backtest on record; one who did not, without.
func TestSignatureRecordsBacktestSeen(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newReportWorld(t, b, 2)
		body := strings.Replace(string(agreement.Default()), "first_touch_within: 10m", "first_touch_within: 5m", 1)
		v, _, err := w.db.ProposeAgreement(ctx, "five.yaml", body, w.mia.Email)
		if err != nil {
			t.Fatal(err)
		}
		w.at(10, 0)
		if err := w.db.BacktestSeen(ctx, v.Version, w.mia.Email, "2026-Q3"); err != nil {
			t.Fatalf("BacktestSeen = %v", err)
		}
		if err := w.db.BacktestSeen(ctx, 99, w.mia.Email, "2026-Q3"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("BacktestSeen(version 99) = %v; want ENOTFOUND", err)
		}
		w.at(10, 30)
		for _, who := range []string{w.mia.Email, w.sam.Email} {
			if _, err := w.db.SignAgreement(ctx, v.Version, who); err != nil {
				t.Fatalf("SignAgreement(%s) = %v", who, err)
			}
		}
		got, err := w.db.AgreementVersion(ctx, v.Version)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, s := range got.Signatures {
			seen[s.Email] = s.BacktestPeriod + " " + tandem.FormatTime(s.BacktestSeenAt)
		}
		want := map[string]string{w.mia.Email: "2026-Q3 " + tandem.FormatTime(reportAt(time.November, 2, 10, 0)), w.sam.Email: " "}
		if diff := gocmp.Diff(want, seen); diff != "" {
			t.Errorf("signatures' backtests seen (-want +got):\n%s", diff)
		}
	})
}

// BenchmarkBacktest times a backtest of a quarter holding N hand-offs
// (100,000 by default; TANDEM_BENCH_HANDOFFS to change) among 20 reps, with
// their touches in the ledger, under a proposal with a 5-minute first touch
// and a capacity of 50: the store's one read and the replay apart, beside
// a floor measured in the same run (the SLA report of the same quarter).
//
//	go test ./sqldb -run '^$' -bench Backtest -benchtime 1x
func BenchmarkBacktest(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_HANDOFFS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			w := newReportWorld(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}, 20)
			writeMonth(b, w, n)
			touches := writeTouches(b, w)
			proposed, err := agreement.Parse("five.yaml", []byte(strings.NewReplacer("first_touch_within: 10m", "first_touch_within: 5m",
				"capacity: 40", "capacity: 50").Replace(string(agreement.Default()))))
			if err != nil {
				b.Fatal(err)
			}
			var l backtest.Ledger
			var inForce backtest.Version
			// The floor: the SLA report of the same quarter, read and
			// computed, on the same machine in the same run.
			b.Run("floor-sla-report", func(b *testing.B) {
				for b.Loop() {
					if _, err := slaReport(ctx, w.db, SLAQuery{Period: "2026-Q4"}); err != nil {
						b.Fatalf("slaReport: %v", err)
					}
				}
			})
			b.Run("read", func(b *testing.B) {
				for b.Loop() {
					if l, inForce, err = w.db.BacktestLedger(ctx, "2026-Q4"); err != nil {
						b.Fatalf("BacktestLedger: %v", err)
					}
				}
				if len(l.Handoffs) != n {
					b.Fatalf("read %d hand-offs; want %d", len(l.Handoffs), n)
				}
				b.ReportMetric(float64(n), "handoffs")
				b.ReportMetric(float64(touches), "touches")
			})
			b.Run("replay", func(b *testing.B) {
				var r backtest.Report
				for b.Loop() {
					if r, err = backtest.Run(l, inForce, backtest.Version{Number: 2, Agreement: proposed}); err != nil {
						b.Fatalf("Run: %v", err)
					}
				}
				if r.Proposed.Handoffs != n || r.Proposed.Breaches.FirstTouch <= r.InForce.Breaches.FirstTouch {
					b.Fatalf("replayed %d hand-offs, %d breaches at 5m against %d; want %d and more", r.Proposed.Handoffs,
						r.Proposed.Breaches.FirstTouch, r.InForce.Breaches.FirstTouch, n)
				}
				b.ReportMetric(float64(n), "handoffs")
			})
		})
	}
}

// writeTouches writes into the ledger the touches writeMonth counted on its
// hand-offs: the first at the first touch, the others an hour apart, calls
// that nobody answered. It returns how many.
func writeTouches(b *testing.B, w *reportWorld) int {
	ctx := context.Background()
	n := 0
	err := w.db.transact(ctx, func(tx *Tx) error {
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) + 1 FROM events`).Scan(&next); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT lead_id, first_touch_at, touches FROM handoffs WHERE first_touch_at IS NOT NULL ORDER BY id`)
		if err != nil {
			return err
		}
		var evs [][]any
		for rows.Next() {
			var lead int64
			var first time.Time
			var k int
			if err := rows.Scan(&lead, scanTime{&first}, &k); err != nil {
				rows.Close()
				return err
			}
			for j := range k {
				at := first.Add(time.Duration(j) * time.Hour)
				evs = append(evs, []any{next, lead, tandem.EventTouched, at, at, "rep", "", 1,
					`{"detail":{"channel":"call","outcome":"no_answer"}}`})
				next++
			}
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return err
		}
		n = len(evs)
		for i := 0; i < len(evs); i += 10_000 {
			if err := tx.db.d.bulkInsert(ctx, tx, "events", []string{"id", "lead_id", "type", "occurred_at", "recorded_at", "actor",
				"reason", "agreement_version", "data"}, evs[i:min(len(evs), i+10_000)]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("writeTouches: %v", err)
	}
	return n
}
