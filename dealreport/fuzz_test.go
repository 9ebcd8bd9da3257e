package dealreport

import (
	"strings"
	"testing"
	"time"
)

// FuzzBuild reads the dimensions a request names and deals made of the
// fuzzer's numbers: a bad dimension is refused, and a report never panics,
// and its total is the sum of its groups.
func FuzzBuild(f *testing.F) {
	f.Add("owner,month", int64(3), int64(100), int64(5), uint8(1))
	f.Add("quarter", int64(-40), int64(0), int64(-3), uint8(2))
	f.Add("rep", int64(0), int64(0), int64(0), uint8(0))
	f.Fuzz(func(t *testing.T, by string, openDay, amount, closeDays int64, stage uint8) {
		dims := strings.Split(by, ",")
		if by == "" {
			dims = nil
		}
		if err := CheckDims(dims); err != nil {
			return
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var deals []Deal
		for i := range 10 {
			opened := from.AddDate(0, 0, int((openDay+int64(i)*7)%400))
			d := Deal{Stage: []string{"won", "lost", "proposal"}[(int(stage)+i)%3], AmountCents: amount % 1e9, OpenedAt: opened, EngagedAt: opened,
				Values: [MaxDims]string{[]string{"a", "", "b"}[i%3]}}
			if d.Stage != "proposal" {
				d.ClosedAt = opened.AddDate(0, 0, int((closeDays+int64(i))%200))
			}
			deals = append(deals, d)
		}
		r := Build(Input{Period: "2026-Q1", From: from, To: from.AddDate(0, 3, 0), By: dims, OpenStages: []string{"proposal"}, Deals: deals})
		if len(dims) == 0 {
			if len(r.Groups) != 0 {
				t.Fatalf("Build(no dims) = %d groups; want the total alone", len(r.Groups))
			}
			return
		}
		var opened, won, lost int
		for _, g := range r.Groups {
			opened, won, lost = opened+g.Opened, won+g.Won, lost+g.Lost
			if g.Samples != g.Won+g.Lost || g.OpenTotal > g.Opened {
				t.Fatalf("Build(by %v): group %+v; want samples = won + lost, open <= opened", dims, g)
			}
		}
		if opened != r.Total.Opened || won != r.Total.Won || lost != r.Total.Lost {
			t.Fatalf("Build(by %v): groups sum to %d opened, %d won, %d lost; total %+v", dims, opened, won, lost, r.Total)
		}
	})
}
