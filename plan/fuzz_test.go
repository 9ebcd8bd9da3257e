package plan_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/plan"
)

// FuzzCompute: whatever the goal and the rates, Compute returns a plan of
// finite, whole, non-negative counts that follow from each other and add up
// month by month, or an invalid error naming the fields; never a panic,
// NaN or an infinity.
func FuzzCompute(f *testing.F) {
	f.Add(1_200_000.0, 0.6, 12_000.0, 0.25, 0.6, 0.5, 0.7, 0.3, uint8(1), uint8(0))
	f.Add(500_000.0, 0.35, 8_000.0, 0.3, 0.45, 0.55, 0.8, 0.12, uint8(0), uint8(1))
	f.Add(1e15, 1.0, 1.0, 1e-9, 1.0, 1.0, 1.0, 1e-300, uint8(2), uint8(2))
	f.Add(0.0, -1.0, 0.0, 0.0, 2.0, math.NaN(), math.Inf(1), math.Inf(-1), uint8(3), uint8(3))
	f.Add(1e-300, 1e-300, 1e-300, 1.0, 1.0, 1.0, 1.0, 1.0, uint8(1), uint8(0))
	f.Add(math.MaxFloat64, 1.0, math.SmallestNonzeroFloat64, 1.0, 1.0, 1.0, 1.0, 1.0, uint8(0), uint8(0))
	periods := []string{"2027-01", "2027-Q1", "2027"}
	f.Fuzz(func(t *testing.T, revenue, share, deal, closeRate, sqlOpp, salSQL, mqlSAL, leadMQL float64, per, mission uint8) {
		g := plan.Goal{Revenue: revenue, MarketingShare: share, Period: period(t, periods[int(per)%len(periods)])}
		m := append(agreement.Missions, "")[int(mission)%(len(agreement.Missions)+1)]
		rs := plan.Rates{AverageDealSize: fixed(deal), CloseRate: fixed(closeRate), Conversion: map[agreement.StagePair]plan.Rate{
			pair("lead", "mql"): fixed(leadMQL), pair("mql", "sal"): fixed(mqlSAL), pair("sal", "sql"): fixed(salSQL), pair("sql", "opportunity"): fixed(sqlOpp),
		}}
		p, err := plan.Compute(g, m, rs, path)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID || len(tandem.ErrorFields(err)) == 0 {
				t.Fatalf("Compute(%+v, %q, %+v) = %v; want an invalid error naming fields", g, m, rs, err)
			}
			return
		}
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("Compute(%+v, %+v): the plan does not marshal (a NaN or an infinity?): %v", g, rs, err)
		}
		finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x >= 0 }
		if !finite(p.MarketingRevenue) {
			t.Fatalf("Compute(%+v, %+v): marketing revenue %v", g, rs, p.MarketingRevenue)
		}
		if len(p.Stages) != len(path) {
			t.Fatalf("Compute(%+v, %+v): %d stages; want %d", g, rs, len(p.Stages), len(path))
		}
		var before int64
		for i, s := range p.Stages {
			if !finite(s.Exact) || s.Needed < 0 || s.Needed > plan.MaxCount || float64(s.Needed) < s.Exact-1e-6*s.Exact || float64(s.Needed) >= s.Exact+1 {
				t.Fatalf("Compute(%+v, %+v): stage %s needs %d of exactly %v", g, rs, s.Stage, s.Needed, s.Exact)
			}
			if i > 0 && s.Needed < before {
				t.Fatalf("Compute(%+v, %+v): stage %s needs %d, fewer than the %d after it", g, rs, s.Stage, s.Needed, before)
			}
			before = s.Needed
			var sum int64
			for _, n := range s.PerMonth {
				sum += n
			}
			if sum != s.Needed || len(s.PerMonth) != g.Period.Months {
				t.Fatalf("Compute(%+v, %+v): stage %s per month %v does not add up to %d", g, rs, s.Stage, s.PerMonth, s.Needed)
			}
		}
	})
}
