package backtest

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// BenchmarkRun times the replay alone of a quarter of N synthetic hand-offs
// (100,000 by default; TANDEM_BENCH_HANDOFFS to change) among 20 reps under
// the default agreement and a proposal with a 5-minute first touch and a
// capacity of 50. sqldb's BenchmarkBacktest times it with the store's read.
//
//	go test ./backtest -run '^$' -bench Run -benchtime 1x
func BenchmarkRun(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_HANDOFFS")); err == nil && v > 0 {
		n = v
	}
	per, err := calendar.ParsePeriod("2026-Q4", ny)
	if err != nil {
		b.Fatal(err)
	}
	l := Ledger{Period: per, Now: per.To.Add(24 * time.Hour)}
	for i := range 20 {
		l.Reps = append(l.Reps, Rep{ID: int64(i + 1), Email: "rep" + strconv.Itoa(i) + "@example.com", Weight: 1})
	}
	span := per.To.Sub(per.From)
	channels := []string{"call", "email", "call", "voicemail", "email", "social"}
	for i := range n {
		start := per.From.Add(span / time.Duration(n) * time.Duration(i)).Truncate(time.Second)
		h := Handoff{Handoff: tandem.Handoff{ID: int64(i + 1), LeadID: int64(i + 1), StartedAt: start},
			Lead: tandem.Lead{ID: int64(i + 1), Score: 70, Email: "x@example.com", Segment: "smb"}, ByRule: true}
		for k := range i % 6 {
			h.Touches = append(h.Touches, tandem.Touch{Channel: channels[k], Outcome: tandem.OutcomeNoAnswer,
				At: start.Add(time.Duration(3+i%20)*time.Minute + time.Duration(k)*20*time.Hour)})
		}
		switch i % 3 {
		case 0:
			h.DecidedAt, h.Decision = start.Add(time.Duration(i%300)*time.Minute), tandem.DecisionAccepted
		case 1:
			h.DecidedAt, h.Decision = start.Add(time.Duration(i%300)*time.Minute), tandem.DecisionRejected
			h.EndedAt = start.Add(5 * 24 * time.Hour)
		}
		l.Handoffs = append(l.Handoffs, h)
	}
	inForce := Version{Number: 1, Agreement: parse(b)}
	proposed := Version{Number: 2, Agreement: parse(b, "first_touch_within: 10m", "first_touch_within: 5m", "capacity: 40", "capacity: 50")}
	var r Report
	for b.Loop() {
		if r, err = Run(l, inForce, proposed); err != nil {
			b.Fatal(err)
		}
	}
	if r.Proposed.Handoffs != n {
		b.Fatalf("replayed %d hand-offs; want %d", r.Proposed.Handoffs, n)
	}
	b.ReportMetric(float64(n), "handoffs")
}
