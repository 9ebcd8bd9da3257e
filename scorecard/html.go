package scorecard

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem/agreement"
)

//go:embed scorecard.html.tmpl
var pageText string

// page is the HTML scorecard. It is fixed at build time, so a mistake in
// it is a bug the tests catch, not an error a caller could handle.
var page = template.Must(template.New("scorecard").Funcs(template.FuncMap{
	"num":     format,
	"money":   money,
	"pct":     func(x float64) string { return format(UnitShare, x) },
	"signed":  signedPct,
	"count":   count,
	"label":   label,
	"orNone":  orNone,
	"status":  statusOf,
	"dev":     deviationOf,
	"last":    func(i, n int) bool { return i == n-1 },
	"instant": instant,
	"cents":   func(c int64) string { return money(float64(c) / 100) },
}).Parse(pageText))

// WriteHTML writes the scorecard as one self-contained HTML page: inline
// CSS with a print style sheet, charts drawn as inline SVG, and no script,
// font, image or style sheet fetched from anywhere. Every string is
// escaped. The page is rendered in full before the first byte is written,
// so an error leaves w untouched.
func (sc Scorecard) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := page.Execute(&b, newView(sc)); err != nil {
		return fmt.Errorf("render the scorecard of %s: %w", sc.Period, err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write the scorecard of %s: %w", sc.Period, err)
	}
	return nil
}

// FunnelChart and RejectionChart return the print view's charts, drawn
// the same way (inline SVG, no script, no inline style), for a page that
// shows the scorecard in its own layout. The page styles the classes the
// drawing uses: entered, planned and count bars, and text.
func (sc Scorecard) FunnelChart() (template.HTML, error) {
	return chartHTML(funnelChart(sc.Funnel))
}

// RejectionChart: see [Scorecard.FunnelChart]. It is empty when sales
// rejected nothing in the period.
func (sc Scorecard) RejectionChart() (template.HTML, error) {
	if len(sc.Rejections) == 0 {
		return "", nil
	}
	return chartHTML(rejectionChart(sc.Rejections))
}

func chartHTML(c chart) (template.HTML, error) {
	var b bytes.Buffer
	if err := page.ExecuteTemplate(&b, "chart", c); err != nil {
		return "", fmt.Errorf("draw the chart %s: %w", c.ID, err)
	}
	return template.HTML(b.String()), nil // html/template escaped it
}

// view is what the template reads: the scorecard and what is worked out
// from it for people (dates, words, chart geometry).
type view struct {
	Scorecard
	FirstDay, LastDay, AsOfText string
	Status                      string
	Agreement                   string
	MissionText                 string
	Owned                       []ownedCommitments
	Models                      string
	SourceStages                []string
	KPIBar                      float64 // the attainment bar's width, out of 399
	FunnelChart                 chart
	RejectionChart              chart
}

// ownedCommitments are one side's commitments, for a table of its own.
type ownedCommitments struct {
	Title       string
	Commitments []Commitment
}

func newView(sc Scorecard) view {
	v := view{Scorecard: sc, FirstDay: day(sc.From), LastDay: day(sc.To.Add(-time.Nanosecond)), AsOfText: instant(sc.AsOf),
		Status: "in progress: the figures are so far", Agreement: "default agreement", MissionText: mission(sc.Mission),
		Models: models(sc.Campaigns), KPIBar: math.Round(math.Min(math.Max(sc.KPI.Attainment, 0), 1)*3990) / 10,
		FunnelChart: funnelChart(sc.Funnel), RejectionChart: rejectionChart(sc.Rejections)}
	if sc.Complete {
		v.Status = "complete"
		if !sc.FrozenAt.IsZero() {
			v.Status += ", frozen at " + instant(sc.FrozenAt)
		}
	} else if sc.DaysTotal > 0 {
		v.Status = fmt.Sprintf("running: day %d of %d; the figures are so far, and volumes are judged when it ends", sc.DaysElapsed, sc.DaysTotal)
	}
	if sc.Status == StatusNoAgreement {
		v.Status = "no agreement was in force: the figures are described, not judged (" + v.Status + ")"
		v.Agreement = "none in force in the period"
	}
	if sc.AgreementVersion != nil {
		v.Agreement = fmt.Sprintf("version %d", *sc.AgreementVersion)
	}
	if len(sc.Commitments) > 0 {
		v.Owned = []ownedCommitments{{Title: "Marketing's commitments"}, {Title: "Sales' commitments"}}
		for _, c := range sc.Commitments {
			i := 0
			if c.Owner == Sales {
				i = 1
			}
			v.Owned[i].Commitments = append(v.Owned[i].Commitments, c)
		}
	}
	switch {
	case len(sc.Funnel) > 0:
		v.SourceStages = stageNames(sc.Funnel)
	case len(sc.BySource) > 0:
		v.SourceStages = stageNames(sc.BySource[0].Stages)
	}
	return v
}

func day(t time.Time) string { return t.Format("2006-01-02") }

func instant(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// mission says the marketing mission in the words of the agreement file.
func mission(m agreement.Mission) string {
	switch m {
	case agreement.MissionFillPipeline:
		return "marketing fills the pipeline that sales closes"
	case agreement.MissionOwnRevenue:
		return "marketing has a revenue target of its own"
	case agreement.MissionBoth:
		return "marketing fills the pipeline and has a revenue target of its own"
	}
	return label(string(m))
}

// models names the attribution models the campaigns' revenue was
// attributed by, in order of first appearance.
func models(cs []Campaign) string {
	var names []string
	for _, c := range cs {
		if m := label(c.Model); m != "" && !contains(names, m) {
			names = append(names, m)
		}
	}
	return strings.Join(names, ", ")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func stageNames(ss []Stage) []string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Stage
	}
	return names
}

// label turns a machine name into words: new_customers is "new customers".
func label(s string) string { return strings.ReplaceAll(s, "_", " ") }

// orNone returns s, or none when s is empty.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// count writes a whole number for people, with thousands separators as
// money has them, so that a table of counts and amounts reads alike.
func count(x any) string { return money(math.Round(float(x))) }

// float reads the numbers the template passes: counts and figures.
func float(x any) float64 {
	switch n := x.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}

// status says in a word and an icon how a commitment was kept, so that
// its colour is never the only sign.
type status struct{ Class, Icon, Word string }

func statusOf(ok, judged bool) status {
	switch {
	case !judged:
		return status{"na", "○", "not judged"}
	case ok:
		return status{"met", "✓", "met"}
	}
	return status{"short", "✗", "short"}
}

// deviationOf writes how far actual is from target, or "–" with no target.
func deviationOf(actual, target any) string {
	a, t := float(actual), float(target)
	if t == 0 || math.IsNaN(a) || math.IsNaN(t) {
		return "–"
	}
	return signedPct(round4((a - t) / t))
}

// chart is a horizontal bar chart drawn as inline SVG: a row per stage or
// reason, each with one or two bars and a title that says its numbers.
type chart struct {
	ID, Title     string
	Width, Height int
	BarX          int // where the bars start, after the labels
	Rows          []chartRow
}

type chartRow struct {
	Label, Title string
	LabelY       int
	Bars         []chartBar
}

type chartBar struct {
	Class string
	Y, H  int
	W     float64
	Text  string
	TextX float64
	TextY int
}

// The charts' geometry, in SVG user units (the drawing scales to the page).
const (
	chartWidth  = 640
	chartLabels = 130 // the label column
	chartBars   = 380 // the longest bar, leaving room for its number
	barHeight   = 14
	rowGap      = 10
)

// funnelChart draws entered against planned for each stage. Counts fall by
// orders of magnitude along the funnel, so each stage is drawn to its own
// scale: the longer of its two bars fills the row.
func funnelChart(ss []Stage) chart {
	c := chart{ID: "funnel-chart", BarX: chartLabels,
		Title: "Leads that entered each stage (solid bar) against the plan (outlined bar); each stage to its own scale"}
	y := rowGap
	for _, s := range ss {
		top := math.Max(float64(s.Entered), float64(s.Planned))
		r := chartRow{Label: clip(s.Stage), LabelY: y + barHeight + 4,
			Title: fmt.Sprintf("%s: %s entered against %s planned", s.Stage, count(s.Entered), count(s.Planned))}
		r.Bars = []chartBar{
			bar("entered", float64(s.Entered), top, y, count(s.Entered)+" entered"),
			bar("planned", float64(s.Planned), top, y+barHeight+2, count(s.Planned)+" planned"),
		}
		c.Rows = append(c.Rows, r)
		y += 2*barHeight + 2 + rowGap
	}
	c.Width, c.Height = chartWidth, y
	return c
}

// rejectionChart draws how often each reason was given, to one scale.
func rejectionChart(rs []Reason) chart {
	c := chart{ID: "rejection-chart", BarX: chartLabels, Title: "Hand-offs rejected by reason"}
	top := 0.0
	for _, r := range rs {
		top = math.Max(top, float64(r.Count))
	}
	y := rowGap
	for _, r := range rs {
		text := fmt.Sprintf("%s (%s)", count(r.Count), format(UnitShare, r.Share))
		c.Rows = append(c.Rows, chartRow{Label: clip(r.Code), LabelY: y + barHeight - 2, Title: r.Code + ": " + text,
			Bars: []chartBar{bar("count", float64(r.Count), top, y, text)}})
		y += barHeight + rowGap
	}
	c.Width, c.Height = chartWidth, y
	return c
}

// bar is one bar of x out of top, at y, with its number written after it.
func bar(class string, x, top float64, y int, text string) chartBar {
	w := 0.0
	if top > 0 && x > 0 {
		w = math.Round(x/top*chartBars*10) / 10
	}
	return chartBar{Class: class, Y: y, H: barHeight, W: w, Text: text, TextX: chartLabels + w + 6, TextY: y + barHeight - 3}
}

// clip shortens a label to fit the label column; the row's title keeps it
// whole.
func clip(s string) string {
	const most = 18
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most-1]) + "…"
}
