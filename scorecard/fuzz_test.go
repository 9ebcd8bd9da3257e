package scorecard_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/scorecard"
)

// FuzzWrite: whatever the names and the numbers in a scorecard, the page is
// one well-formed document in which no name becomes markup, and the CSV
// reads back with a full row for every number and the names unchanged.
func FuzzWrite(f *testing.F) {
	f.Add(hostile, 1.5, 3)
	f.Add("</title></svg><svg onload=alert(1)>", math.NaN(), -1)
	f.Add("\"quoted\",comma\nnew line", math.Inf(1), 1<<40)
	f.Add("", -0.0, 0)
	f.Add("carriage\rreturn\r\nand line feed", 0.1, 2)
	f.Add("\xff\xfe not utf-8 ]]> <!-- -->", 1e300, math.MaxInt)
	f.Fuzz(func(t *testing.T, name string, x float64, n int) {
		sc := scorecard.Scorecard{Period: name, KPI: scorecard.KPI{Name: "new_customers", Unit: scorecard.UnitCount, Actual: x, Target: x, Attainment: x},
			Revenue:     scorecard.Revenue{Goal: x, Won: x, MarketingWon: &x, WonDeals: n},
			Commitments: []scorecard.Commitment{{Owner: name, Name: name, Label: name, Unit: name, Target: x, Actual: x, Samples: n, Judged: true}},
			Segments:    []scorecard.Segment{{Segment: name, Count: n, Commitment: n}},
			Funnel:      []scorecard.Stage{{Stage: name, Entered: n, Planned: int64(n), Conversion: x, PlannedRate: x}, {Stage: name}},
			BySource:    []scorecard.Source{{Source: name, Stages: []scorecard.Stage{{Stage: name, Entered: n, Conversion: x}, {Stage: name}}}},
			Campaigns:   []scorecard.Campaign{{Campaign: name, Spend: x, Leads: n, Revenue: x, Model: name, ROI: &x}, {Campaign: name}},
			Rejections:  []scorecard.Reason{{Code: name, Description: name, Count: n, Share: x}},
			Ratings:     []scorecard.Rating{{Campaign: name, Ratings: n, Average: x}},
			Alerts:      []jeopardy.Alert{{Cause: jeopardy.Cause(name), Summary: name, Figures: []jeopardy.Figure{{Name: name, Expected: x, Actual: x, Drift: x}}}},
			Agenda:      []scorecard.Item{{Owner: name, Topic: name, Text: name, Deviation: x}},
			Notes:       []string{name},
		}
		var page bytes.Buffer
		if err := sc.WriteHTML(&page); err != nil {
			t.Fatalf("WriteHTML(%q) = %v", name, err)
		}
		lower := strings.ToLower(page.String())
		if strings.Contains(lower, "<script") || strings.Contains(lower, "<svg onload") {
			t.Fatalf("WriteHTML(%q): the name became markup", name)
		}
		checkTags(t, "fuzz", page.String())

		var b bytes.Buffer
		if err := sc.WriteCSV(&b); err != nil {
			t.Fatalf("WriteCSV(%q) = %v", name, err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("WriteCSV(%q) does not read back: %v", name, err)
		}
		// kpi 1, revenue 4, commitment 1, segment 1, funnel 3, source 3,
		// campaign 12, rejection 1, rating 1, agenda 1, alert 1.
		if len(rows) != 1+29 {
			t.Fatalf("WriteCSV(%q) = %d rows; want 30", name, len(rows))
		}
		want := strings.ReplaceAll(name, "\r\n", "\n") // as encoding/csv reads a quoted field
		if want == "" {
			want = "(none)"
		}
		for _, r := range rows {
			if r[0] == "campaign" && r[2] != want {
				t.Fatalf("WriteCSV(%q): campaign named %q", name, r[2])
			}
		}
	})
}
