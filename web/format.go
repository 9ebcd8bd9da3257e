package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	fig "github.com/tandemhq/tandem/figure"
)

// formatFuncs write figures for people in the pages: counts and money with
// thousands separators, shares as percentages, durations in hours and
// minutes, and times as <time> elements that a script may show in the
// viewer's time zone (UTC until it does). A figure with nothing to show
// (a nil pointer, NaN) is written "–".
var formatFuncs = template.FuncMap{
	"count":  count,
	"money":  money,
	"pct":    pct,
	"rating": rating,
	"dur":    dur,
	"when":   when,
	"label":  func(s any) string { return strings.ReplaceAll(fmt.Sprint(s), "_", " ") },
	"field":  FieldLabel,
	"event":  EventLabel,
	"add":    func(a, b int) int { return a + b },
	"figure": func(unit string, x float64) figure { return figure{unit, x} },
}

// figure is a number with its unit (a scorecard's count, money, share or
// rating), for the "fig" partial.
type figure struct {
	Unit string
	X    float64
}

// count writes a whole number with thousands separators.
func count(v any) string {
	var n int64
	switch v := v.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case float64:
		return fig.Count(v)
	case *float64:
		if v == nil {
			return "–"
		}
		return count(*v)
	default:
		return fmt.Sprint(v)
	}
	return group(strconv.FormatInt(n, 10))
}

func group(digits string) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimPrefix(digits, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// money writes an amount in the currency's major unit, whole.
func money(v any) string {
	switch v := v.(type) {
	case int64: // cents
		return count(float64(v) / 100)
	case *int64:
		if v == nil {
			return "–"
		}
		return money(*v)
	case *float64:
		if v == nil {
			return "–"
		}
		return count(*v)
	}
	return count(v)
}

// pct writes a share (0..1) as a percentage with one decimal at most.
func pct(v any) string {
	var x float64
	switch v := v.(type) {
	case float64:
		x = v
	case *float64:
		if v == nil {
			return "–"
		}
		x = *v
	default:
		return fmt.Sprint(v)
	}
	return fig.Percent(x)
}

func rating(x float64) string {
	if math.IsNaN(x) || x == 0 {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// dur writes a duration as "1 h 05 min", "12 min" or "40 s" (a negative
// one, which is nothing to show, as "–").
func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// when writes a time as a <time> element: the machine-readable instant in
// its datetime attribute, and the UTC wall time as its text.
func when(t time.Time) template.HTML {
	if t.IsZero() {
		return "–"
	}
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `">` + t.Format("2006-01-02 15:04") + ` UTC</time>`)
}

// FormatFuncs returns the functions the pages format figures with, so
// that tests can write the figure a page should show.
func FormatFuncs() template.FuncMap { return formatFuncs }
