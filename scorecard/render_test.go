package scorecard_test

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/scorecard"
)

// hostile is a campaign name (and a source, and a reject reason code) that
// would run a script if it reached the page unescaped.
const hostile = `<script>alert("x")</script>`

// sample is a full scorecard: every section has something in it, one
// campaign has no spend (no ROI), and hostile strings sit in names.
func sample(t *testing.T) scorecard.Scorecard {
	t.Helper()
	p := november(t)
	version := 3
	marketingWon := int64(30_000_000)
	roi := 1.5
	sc := scorecard.Compute(scorecard.Input{
		Period: p, Now: p.To.Add(6 * time.Hour), Agreement: defaultAgreement(t), AgreementVersion: &version,
		Plan: marketingPlan(), Company: companyPlan(), SLA: slaReport(),
		Funnel: cohort("", []int{3000, 540, 400, 250, 110, 20}, wonDeals()...), MovedOn: []int{540, 400, 250, 110, 20},
		BySource: []plan.Cohort{
			cohort("webinar", []int{2000, 400, 300, 190, 80, 15}),
			cohort(hostile, []int{1000, 140, 100, 60, 30, 5}),
		},
		MovedOnBySource: map[string][]int{"webinar": {400, 300, 190, 80, 15}, hostile: {140, 100, 60, 30, 5}},
		LostDeals:       70, MarketingWon: &marketingWon,
		Rejections: map[string]int{"not_a_fit": 12, "no_budget": 5, hostile: 1},
		Ratings: []scorecard.Rating{{Campaign: "Spring webinar", Ratings: 30, Average: 3.6},
			{Campaign: hostile, Ratings: 8, Average: 2.25}, {Campaign: "", Ratings: 2, Average: 4}},
		Campaigns: []scorecard.Campaign{
			{Campaign: "Spring webinar", Spend: 20_000, Leads: 2000, MQLs: 400, Customers: 15, Revenue: 50_000, Model: "linear", ROI: &roi},
			{Campaign: hostile, Spend: 10_000.5, Leads: 1000, MQLs: 140, Customers: 5, Revenue: 2_500_000.25, Model: "linear", ROI: ptr(248.9988)},
			{Campaign: "Organic", Leads: 300, MQLs: 20, Model: "linear"},
		},
		Alerts: []jeopardy.Alert{{Period: p.Name, Cause: jeopardy.CloseRate, Summary: "the close rate is 18% against the 25% assumed",
			Figures:  []jeopardy.Figure{{Name: "close_rate", Expected: 0.25, Actual: 0.18, Drift: -0.28, Samples: 110}},
			RaisedAt: p.From.Add(20 * 24 * time.Hour)}},
		Content: scorecard.Content{Model: "u_shaped", Unused: []string{"case-study"}, Lines: []scorecard.ContentLine{
			{Code: "first-call", Title: "First call " + hostile, Kind: "call_script", Uses: 12, Users: 3, Leads: 10, ConnectRate: 0.4,
				ReplyRate: 0.1, AcceptRate: 0.7, SQLRate: 0.3, CustomerRate: 0.1, Revenue: 12_500.5, Clicks: 0, Useful: 4, NotUseful: 1},
			{Code: "case-study", Title: "Case study", Kind: "link"}}},
	})
	sc.FrozenAt = sc.AsOf
	return sc
}

func ptr(x float64) *float64 { return &x }

// empty is a scorecard with nothing in any section.
func empty(t *testing.T) scorecard.Scorecard {
	t.Helper()
	p := november(t)
	return scorecard.Compute(scorecard.Input{Period: p, Now: p.From.Add(time.Hour), Agreement: defaultAgreement(t)})
}

func render(t *testing.T, sc scorecard.Scorecard) string {
	t.Helper()
	var b bytes.Buffer
	if err := sc.WriteHTML(&b); err != nil {
		t.Fatalf("WriteHTML() = %v", err)
	}
	return b.String()
}

// headings are the section headings of the page, in their order.
var headings = []string{"<h1>Scorecard 2026-11</h1>", "<h2>Unified KPI</h2>", "<h2>Revenue against goal</h2>", "<h2>Agenda</h2>",
	"<h2>Commitments</h2>", "<h2>Funnel by stage</h2>", "<h2>Funnel by source</h2>", "<h2>Campaign ROI</h2>",
	"<h2>Rejection reasons</h2>", "<h2>Review ratings by campaign</h2>", "<h2>Content</h2>", "<h2>Jeopardy alerts</h2>", "<h2>Notes</h2>"}

func TestWriteHTMLSections(t *testing.T) {
	for name, sc := range map[string]scorecard.Scorecard{"sample": sample(t), "empty": empty(t)} {
		page := render(t, sc)
		at := 0
		for _, h := range headings {
			i := strings.Index(page, h)
			if i < at {
				t.Errorf("WriteHTML(%s): %s missing or out of order", name, h)
				continue
			}
			at = i
		}
		checkTags(t, name, page)
	}
}

func TestWriteHTMLContent(t *testing.T) {
	page := render(t, sample(t))
	for _, want := range []string{
		"2026-11: 2026-11-01 to 2026-11-30",        // the dates, the last day included
		"complete, frozen at 2026-12-01 06:00 UTC", // the status
		"version 3", // the agreement
		"marketing fills the pipeline that sales closes",       // the mission
		`<p class="kpi-value">20</p>`,                          // the KPI, big
		"<strong class=\"kpi-attained\">40% attained</strong>", // and its attainment
		`<th scope="row">Won revenue</th><td class="n">450,000</td>`,
		`<th scope="row">Won from marketing-sourced leads</th><td class="n">300,000</td>`,
		`<span class="owner owner-both">both</span> won revenue: 450,000 against the goal of 1,200,000 (-62.5%)`,
		"<h3>Marketing&#39;s commitments</h3>", "<h3>Sales&#39;", "<h3>Qualified leads by segment</h3>",
		`<td>qualified leads handed to sales</td><td class="n">400</td><td class="n">312</td><td class="n">-22%</td><td class="n">312</td><td class="status status-short"><span aria-hidden="true">✗</span> short</td>`,
		`<span aria-hidden="true">✓</span> met`,
		`<td>mql</td><td class="n">540</td><td class="n">500</td><td class="n">&#43;8%</td><td class="n">400</td><td class="n">74.1%</td><td class="n">400 (74.1%)</td><td class="n">80%</td>`,
		`<svg class="chart" id="funnel-chart"`, `role="img" aria-labelledby="funnel-chart-title"`,
		"<title>mql: 540 entered against 500 planned</title>",
		`<td class="n">2,000 <small>(20%)</small></td>`,
		`<td class="n">10,000.50</td>`, `<td class="n">2,500,000.25</td>`, `<td class="n">&#43;24899.9%</td>`,
		"Revenue attributed by the linear model",
		`<svg class="chart" id="rejection-chart"`, "<title>not_a_fit: 12 (66.7%)</title>",
		"The company cannot afford us now.", "(not in the agreement)",
		`<td>(no campaign)</td><td class="n">2</td><td class="n">4.00</td>`,
		"<strong>close rate</strong>: the close rate is 18% against the 25% assumed <small>(raised 2026-11-21 00:00 UTC)</small>",
		"@media print", "@page",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("WriteHTML(sample) does not contain %s", want)
		}
	}
	// A campaign without spend has no ROI: a dash, not 0%.
	organic := regexp.MustCompile(`<tr><td>Organic</td>.*?</tr>`).FindString(page)
	if !strings.HasSuffix(organic, `<td class="n">–</td></tr>`) {
		t.Errorf("WriteHTML(sample): the row of a campaign without spend is %q; want its ROI as –", organic)
	}
}

func TestWriteHTMLEmpty(t *testing.T) {
	page := render(t, empty(t))
	for _, want := range []string{
		"running: day 1 of 30; the figures are so far", "default agreement",
		"nothing fell short", "the commitments were not measured", "no stage to show", "no lead came from any source",
		"no campaign had spend or leads in the period", "sales rejected no hand-off in the period",
		"sales wrote no review in the period", "no jeopardy alert was raised in the period",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("WriteHTML(empty) does not contain %q", want)
		}
	}
	if strings.Contains(page, "<svg class=\"chart\" id=") {
		t.Errorf("WriteHTML(empty) draws a chart with nothing in it")
	}
}

// TestWriteHTMLSelfContained: the page fetches nothing and runs nothing.
func TestWriteHTMLSelfContained(t *testing.T) {
	for name, sc := range map[string]scorecard.Scorecard{"sample": sample(t), "empty": empty(t)} {
		page := render(t, sc)
		lower := strings.ToLower(page)
		for _, bad := range []string{"http://", "https://", "<script", "url(", "@import", "<link", "<img", "<iframe", "<object"} {
			if strings.Contains(lower, bad) {
				t.Errorf("WriteHTML(%s) contains %q", name, bad)
			}
		}
		if m := regexp.MustCompile(`<[^>]*\s(src|href|srcset|action|xlink:href)\s*=`).FindString(lower); m != "" {
			t.Errorf("WriteHTML(%s) has a reference to a resource: %s", name, m)
		}
		if m := regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`).FindString(lower); m != "" {
			t.Errorf("WriteHTML(%s) has an event handler: %s", name, m)
		}
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	page := render(t, sample(t))
	if strings.Contains(page, hostile) || strings.Contains(strings.ToLower(page), "<script") {
		t.Fatalf("WriteHTML: the hostile name %s is not escaped", hostile)
	}
	escaped := "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
	// In the campaigns, the ratings, the sources, the reasons and the
	// reasons' chart.
	if n := strings.Count(page, escaped); n < 5 {
		t.Errorf("WriteHTML: the hostile name appears escaped %d times; want at least 5", n)
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	sc := sample(t)
	if a, b := render(t, sc), render(t, sc); a != b {
		t.Errorf("WriteHTML: two renders differ")
	}
}

// checkTags checks that the page is well formed: a doctype, and every
// element closed in the order it was opened (void and self-closed elements
// aside). Text cannot fool it: html/template escapes every < in text.
func checkTags(t *testing.T, name, page string) {
	t.Helper()
	if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Errorf("WriteHTML(%s): not one html document", name)
	}
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true}
	var open []string
	for _, m := range regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>`).FindAllStringSubmatch(page, -1) {
		closing, tag, self := m[1] == "/", strings.ToLower(m[2]), m[3] == "/"
		switch {
		case void[tag] || self:
		case !closing:
			open = append(open, tag)
		case len(open) == 0 || open[len(open)-1] != tag:
			t.Fatalf("WriteHTML(%s): </%s> closes %v", name, tag, open)
		default:
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		t.Errorf("WriteHTML(%s): left open: %v", name, open)
	}
}

func readCSV(t *testing.T, sc scorecard.Scorecard) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := sc.WriteCSV(&b); err != nil {
		t.Fatalf("WriteCSV() = %v", err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("WriteCSV() does not read back: %v", err)
	}
	return rows
}

func TestWriteCSV(t *testing.T) {
	sc := sample(t)
	rows := readCSV(t, sc)
	if diff := cmp.Diff([]string{"section", "owner", "name", "key", "target", "actual", "deviation", "samples", "note"}, rows[0]); diff != "" {
		t.Fatalf("WriteCSV() header: -want +got\n%s", diff)
	}
	got := map[string]int{}
	for _, r := range rows[1:] {
		got[r[0]]++
		// Numbers for machines: plain decimals, shares from 0 to 1.
		for i := 4; i <= 7; i++ {
			if r[i] == "" {
				continue
			}
			if _, err := strconv.ParseFloat(r[i], 64); err != nil || strings.ContainsAny(r[i], ",%eE") {
				t.Errorf("WriteCSV(): %q in %s is not a plain decimal (row %v)", r[i], rows[0][i], r)
			}
		}
	}
	want := map[string]int{
		"kpi": 1, "revenue": 4, "commitment": 6, "segment": 2,
		"funnel":   2*6 - 1,       // entered for every stage, conversion for all but the last
		"source":   2 * (2*6 - 1), // the same, for two sources
		"campaign": 3 * 6, "rejection": 3, "rating": 3, "agenda": len(sc.Agenda), "alert": 1,
		"content": 2 * 11, // eleven figures of each of two items
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WriteCSV() rows per section: -want +got\n%s", diff)
	}
	for _, w := range [][]string{
		{"kpi", "both", "new_customers", "count", "50", "20", "-0.6", "", ""},
		{"revenue", "both", "revenue", "won", "1200000", "450000", "-0.625", "", ""},
		{"revenue", "marketing", "revenue", "marketing_won", "720000", "300000", "-0.5833", "", ""},
		{"commitment", "marketing", "qualified_leads", "count", "400", "312", "-0.22", "312", "short"},
		{"commitment", "marketing", "acceptance_rate", "share", "0.7", "0.8", "0.1429", "200", "met"},
		{"segment", "marketing", "enterprise", "count", "100", "80", "-0.2", "80", "short"},
		{"funnel", "marketing", "mql", "entered", "500", "540", "0.08", "", ""},
		{"funnel", "marketing", "mql", "conversion", "0.8", "0.7407", "-0.0741", "540", ""},
		{"funnel", "sales", "customer", "entered", "30", "20", "-0.3333", "", ""},
		{"source", "", hostile, "conversion:lead", "0.2", "0.14", "-0.3", "1000", ""},
		{"campaign", "marketing", hostile, "spend", "", "10000.5", "", "", ""},
		{"campaign", "marketing", hostile, "revenue", "", "2500000.25", "", "", "linear"},
		{"campaign", "marketing", "Organic", "roi", "", "", "", "", "no spend"},
		{"rejection", "marketing", "not_a_fit", "count", "", "12", "", "18", "Outside our customer profile (size, industry, need)."},
		{"rating", "marketing", "(none)", "average", "", "4", "", "2", ""},
		{"content", "marketing", "first-call", "uses", "", "12", "", "", ""},
		{"content", "marketing", "first-call", "connect_rate", "", "0.4", "", "", ""},
		{"content", "marketing", "first-call", "revenue", "", "12500.5", "", "", "u_shaped"},
		{"content", "marketing", "case-study", "uses", "", "0", "", "", ""},
		{"alert", "both", "close_rate", "close_rate", "0.25", "0.18", "-0.28", "110", "the close rate is 18% against the 25% assumed"},
	} {
		if !containsRow(rows, w) {
			t.Errorf("WriteCSV() has no row %q", w)
		}
	}
	if first := rows[1+want["kpi"]+want["revenue"]+want["commitment"]+want["segment"]+want["funnel"]+want["source"]+
		want["campaign"]+want["rejection"]+want["rating"]+want["content"]]; first[0] != "agenda" || first[3] != "1" || first[2] != sc.Agenda[0].Topic {
		t.Errorf("WriteCSV(): the first agenda row is %q; want %s ranked 1", first, sc.Agenda[0].Topic)
	}
}

func containsRow(rows [][]string, want []string) bool {
	for _, r := range rows {
		if cmp.Equal(r, want) {
			return true
		}
	}
	return false
}

func TestWriteCSVEmpty(t *testing.T) {
	rows := readCSV(t, empty(t))
	// The KPI and revenue rows are always there, with zeros.
	if len(rows) != 1+1+4 {
		t.Errorf("WriteCSV(empty) = %d rows; want 6: %q", len(rows), rows)
	}
	// The empty scorecard's period is running (its first hour): the KPI
	// row's note says so.
	if want := []string{"kpi", "both", "new_customers", "count", "0", "0", "", "", "running: day 1 of 30"}; !cmp.Equal(rows[1], want) {
		t.Errorf("WriteCSV(empty) KPI row = %q; want %q", rows[1], want)
	}
}

func TestWriteCSVDeterministic(t *testing.T) {
	sc := sample(t)
	var a, b bytes.Buffer
	if err := sc.WriteCSV(&a); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	if err := sc.WriteCSV(&b); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("WriteCSV: two exports differ")
	}
}

// TestWriteHTMLContentSection: the content section lists each item's
// figures and the live content not used.
func TestWriteHTMLContentSection(t *testing.T) {
	page := render(t, sample(t))
	for _, want := range []string{"(first-call)</span>", "<td class=\"n\">12</td><td class=\"n\">3</td><td class=\"n\">10</td>",
		"<td class=\"n\">4 of 5</td>", "Live content sales did not use in the period: case-study."} {
		if !strings.Contains(page, want) {
			t.Errorf("WriteHTML(): no %q in the content section", want)
		}
	}
	if page := render(t, empty(t)); !strings.Contains(page, "the content library is empty") {
		t.Errorf("WriteHTML(empty): the content section does not say the library is empty")
	}
}
