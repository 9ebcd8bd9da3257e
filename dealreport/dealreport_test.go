package dealreport

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }
func deal(owner, stage string, cents int64, opened, engaged, closed string) Deal {
	d := Deal{Stage: stage, AmountCents: cents, OpenedAt: day(opened), EngagedAt: day(engaged), Values: [MaxDims]string{owner}}
	if closed != "" {
		d.ClosedAt = day(closed)
	}
	return d
}

// The deals of the tests, with what each one is for.
var deals = []Deal{
	deal("ana", "won", 1000, "2026-03-02", "2026-03-01", "2026-03-10"), // opened and won in March, 9 days
	deal("ana", "lost", 0, "2026-02-20", "2026-02-20", "2026-03-05"),   // opened before, lost in March, 13 days
	deal("ana", "proposal", 0, "2026-03-15", "2026-03-15", ""),         // opened in March, open
	deal("bob", "won", 3000, "2026-01-01", "2026-01-01", "2026-03-31"), // won in March, 89 days
	deal("bob", "won", 9999, "2026-03-03", "2026-03-03", "2026-04-01"), // opened in March, won after it
	deal("bob", "won", 500, "2026-03-20", "2026-03-20", "2026-03-18"),  // won before it was engaged: no days
	deal("", "lost", 0, "2026-03-05", "2026-03-05", "2026-03-06"),      // no owner, 1 day
	deal("ana", "open", 0, "2026-02-01", "2026-02-01", ""),             // opened before March, open: not in the report
	deal("bob", "lost", 0, "2026-04-02", "2026-04-02", "2026-04-03"),   // after March: not in the report
}

func TestBuildByOwner(t *testing.T) {
	in := Input{Period: "2026-03", From: day("2026-03-01"), To: day("2026-04-01"), Location: time.UTC, By: []string{Owner},
		OpenStages: []string{"qualification", "proposal"}, Deals: deals}
	open := func(q, p int) map[string]int { return map[string]int{"qualification": q, "proposal": p} }
	want := Report{Period: "2026-03", From: in.From, To: in.To, By: []string{Owner}, MinSamples: 30,
		OpenStages: []string{"qualification", "proposal"},
		Groups: []Group{
			{Values: []string{"ana"}, Opened: 2, Open: open(0, 1), OpenTotal: 1, Won: 1, Lost: 1, WinRate: f64(0.5), Samples: 2,
				TooFewSamples: true, WonCents: 1000, AverageWonCents: i64(1000), MedianWonCents: i64(1000),
				MedianDaysWon: f64(9), DaysWonSamples: 1, MedianDaysLost: f64(13), DaysLostSamples: 1},
			{Values: []string{"bob"}, Opened: 2, Open: open(0, 0), Won: 2, WinRate: f64(1), Samples: 2, TooFewSamples: true,
				WonCents: 3500, AverageWonCents: i64(1750), MedianWonCents: i64(1750), MedianDaysWon: f64(89), DaysWonSamples: 1},
			{Values: []string{""}, Opened: 1, Open: open(0, 0), Lost: 1, WinRate: f64(0), Samples: 1, TooFewSamples: true,
				MedianDaysLost: f64(1), DaysLostSamples: 1},
		},
		Total: Group{Values: []string{}, Opened: 5, Open: open(0, 1), OpenTotal: 1, Won: 3, Lost: 2, WinRate: f64(0.6), Samples: 5,
			TooFewSamples: true, WonCents: 4500, AverageWonCents: i64(1500), MedianWonCents: i64(1000),
			MedianDaysWon: f64(49), DaysWonSamples: 2, MedianDaysLost: f64(7), DaysLostSamples: 2},
	}
	if diff := cmp.Diff(want, Build(in)); diff != "" {
		t.Errorf("Build(by owner, 2026-03) differs (-want +got):\n%s", diff)
	}
}

// Under a time dimension an opening goes to its month and a close to its
// month, both in the report's time zone.
func TestBuildByMonth(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, ny)
	to := time.Date(2026, 4, 1, 0, 0, 0, 0, ny)
	in := Input{Period: "2026-Q1", From: from, To: to, Location: ny, By: []string{Month},
		Deals: []Deal{
			// Opened 20 Feb and lost 5 Mar in New York.
			{Stage: "lost", OpenedAt: time.Date(2026, 2, 20, 12, 0, 0, 0, ny), EngagedAt: time.Date(2026, 2, 20, 12, 0, 0, 0, ny),
				ClosedAt: time.Date(2026, 3, 5, 9, 0, 0, 0, ny)},
			// Won at 02:00 UTC on 1 April: 31 March in New York, so in Q1.
			{Stage: "won", AmountCents: 700, OpenedAt: time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC),
				EngagedAt: time.Date(2026, 1, 10, 15, 0, 0, 0, time.UTC), ClosedAt: time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)},
			// Opened at 03:00 UTC on 1 January: still 2025 in New York.
			{Stage: "open", OpenedAt: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)},
		}}
	r := Build(in)
	type row struct {
		Month                   string
		Opened, Open, Won, Lost int
		DaysWon, DaysLost       *float64
	}
	var got []row
	for _, g := range r.Groups {
		got = append(got, row{g.Values[0], g.Opened, g.OpenTotal, g.Won, g.Lost, g.MedianDaysWon, g.MedianDaysLost})
	}
	want := []row{
		{Month: "2026-01", Opened: 1},
		{Month: "2026-02", Opened: 1},
		// 10 Jan to 31 Mar is 80 days; 20 Feb to 5 Mar is 13.
		{Month: "2026-03", Won: 1, Lost: 1, DaysWon: f64(80), DaysLost: f64(13)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Build(by month, 2026-Q1 in New York) differs (-want +got):\n%s", diff)
	}
	// The open deal opened in 2025 in New York: no open stage is seen.
	if len(r.OpenStages) != 0 || r.Total.Opened != 2 {
		t.Errorf("Build(by month, 2026-Q1).OpenStages, Total.Opened = %v, %d; want none, 2", r.OpenStages, r.Total.Opened)
	}
}

func TestWinRate(t *testing.T) {
	for _, c := range []struct {
		won, lost  int
		rate       float64
		samples    int
		tooFew, ok bool
	}{
		{0, 0, 0, 0, true, false},
		{0, 3, 0, 3, true, true},
		{1, 3, 0.25, 4, true, true},
		{15, 15, 0.5, 30, false, true},
		{29, 0, 1, 29, true, true},
	} {
		rate, n, tooFew, ok := WinRate(c.won, c.lost)
		if rate != c.rate || n != c.samples || tooFew != c.tooFew || ok != c.ok {
			t.Errorf("WinRate(%d, %d) = %v, %d, %v, %v; want %v, %d, %v, %v", c.won, c.lost, rate, n, tooFew, ok, c.rate, c.samples, c.tooFew, c.ok)
		}
	}
}

func TestCheckDims(t *testing.T) {
	for _, c := range []struct {
		by   []string
		want string // "" for valid; else a part of the message
	}{
		{nil, ""},
		{[]string{"owner"}, ""},
		{[]string{"product_series", "quarter"}, ""},
		{[]string{"rep"}, `"rep" is not a dimension: want one of owner, team, manager`},
		{[]string{"month", "month"}, `"month" is given twice`},
		{[]string{"owner", "team", "month"}, "at most 2"},
	} {
		err := CheckDims(c.by)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckDims(%q) = %v; want nil", c.by, err)
		case c.want != "" && (tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) != 1 ||
			tandem.ErrorFields(err)[0].Field != "by" || !strings.Contains(tandem.ErrorFields(err)[0].Message, c.want)):
			t.Errorf("CheckDims(%q) = %v; want EINVALID on by saying %q", c.by, err, c.want)
		}
	}
}
