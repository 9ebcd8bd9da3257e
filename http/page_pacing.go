package http

import (
	"net/http"
	"net/url"
	"time"

	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/scorecard"
)

// chartData feeds a line chart (web/static/charts.js): a label per day
// and the series, null where a series has no value yet.
type chartData struct {
	ID     string        `json:"-"`    // the canvas's data-chart
	Kind   string        `json:"kind"` // line or bar
	Title  string        `json:"title"`
	Labels []string      `json:"labels"`
	Series []chartSeries `json:"series"`
}

type chartSeries struct {
	Name   string     `json:"name"`
	Values []*float64 `json:"values"`
	Dashed bool       `json:"dashed,omitempty"`
}

// campaignQuality is a campaign's volume, quality and return.
type campaignQuality struct {
	scorecard.Campaign
	Ratings   int
	Average   float64
	LeadsLink string // the campaign's leads created in the period ("" for none)
}

// pacingView is what the pacing page shows.
type pacingView struct {
	Picker      picker
	Stage       pace.Stage // the hand-off stage: qualified leads
	Commitment  int        // marketing's commitment over the period
	DaysElapsed int
	DaysTotal   int
	Chart       chartData
	Days        []pace.Point
	Stages      []pace.Stage
	Acceptance  *scorecard.Commitment
	Rating      *scorecard.Commitment
	Campaigns   []campaignQuality
	Rejections  []scorecard.Reason
	Notes       []string
	AsOf        time.Time // when the pace was computed
	// Target is the period's one target, as on the funnel page (the
	// pace's), with the probability of reaching it.
	Target      pace.Target
	Probability float64
	Status      string // the scorecard's
	Trend       monthTrend
}

// pacingPage answers /pacing: qualified leads against the commitment day
// by day, quality and return by campaign.
func (s *Server) pacingPage(w http.ResponseWriter, r *http.Request) error {
	per, pk, a, pc, sc, err := s.pacedPeriod(r, thisMonth)
	if err != nil {
		return err
	}
	v := pacingView{Picker: pk, DaysElapsed: pc.DaysElapsed, DaysTotal: pc.DaysTotal, Stages: pc.Stages,
		Rejections: sc.Rejections, Notes: sc.Notes, AsOf: pc.AsOf, Target: pc.Target, Probability: pc.Probability, Status: sc.Status,
		Commitment: a.Marketing.QualifiedLeadsPerMonth * per.Months}
	if sc.Status == scorecard.StatusNoAgreement {
		v.Target, v.Commitment = pace.Target{}, 0 // described, not judged
	}
	hs := handoffStage(a)
	for _, st := range pc.Stages {
		if st.Stage == hs {
			v.Stage = st
		}
	}
	v.Days = v.Stage.Days
	v.Chart = dailyChart(per.From, v.DaysTotal, a.BusinessHours.Location, v.Stage, float64(v.Commitment))
	for i, c := range sc.Commitments {
		switch c.Name {
		case "acceptance_rate":
			v.Acceptance = &sc.Commitments[i]
		case "average_rating":
			v.Rating = &sc.Commitments[i]
		}
	}
	ratings := map[string]scorecard.Rating{}
	for _, rt := range sc.Ratings {
		ratings[rt.Campaign] = rt
	}
	for _, c := range sc.Campaigns {
		q := campaignQuality{Campaign: c}
		key := c.Campaign
		if key == "(none)" {
			key = ""
		}
		if rt, ok := ratings[key]; ok {
			q.Ratings, q.Average = rt.Ratings, rt.Average
		}
		if key != "" {
			q.LeadsLink = leadsLink(url.Values{"campaign": {key}}, per.From, per.To)
		}
		v.Campaigns = append(v.Campaigns, q)
	}
	months, err := s.trendMonths(r.Context(), per, a)
	if err != nil {
		return err
	}
	v.Trend = pacingTrend(months)
	p := newPage(r, "Pacing")
	p.Data = v
	return s.render(w, http.StatusOK, "pacing", p)
}

// dailyChart lays a stage's cumulative actuals against the plan's even
// line and the commitment's over every day of the period.
func dailyChart(from time.Time, total int, loc *time.Location, st pace.Stage, commitment float64) chartData {
	c := chartData{ID: "volume", Kind: "line", Title: "Qualified leads (" + st.Stage + "), cumulative"}
	actual := chartSeries{Name: "Actual"}
	planned := chartSeries{Name: "Plan", Dashed: true}
	committed := chartSeries{Name: "Commitment", Dashed: true}
	for d := 0; d < total; d++ {
		c.Labels = append(c.Labels, from.In(loc).AddDate(0, 0, d).Format("Jan 2"))
		p := float64(st.Planned) * float64(d+1) / float64(total)
		planned.Values = append(planned.Values, &p)
		k := commitment * float64(d+1) / float64(total)
		committed.Values = append(committed.Values, &k)
		if d < len(st.Days) {
			a := float64(st.Days[d].Actual)
			actual.Values = append(actual.Values, &a)
		} else {
			actual.Values = append(actual.Values, nil)
		}
	}
	c.Series = []chartSeries{actual, planned}
	if commitment > 0 {
		c.Series = append(c.Series, committed)
	}
	return c
}
