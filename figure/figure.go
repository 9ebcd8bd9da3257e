// Package figure writes the numbers Tandem shows to people, so that a
// page, the scorecard's target, the command line and a jeopardy alert write
// the same figure the same way: counts and money whole with thousands
// separators, shares as percentages with at most one decimal. A figure
// with nothing to show (NaN, an infinity) is written "–".
package figure

import (
	"math"
	"strconv"
	"strings"
)

// None is what a figure with nothing to show is written as.
const None = "–"

// Count writes x rounded to a whole number, with thousands separators:
// 1,143.
func Count(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return None
	}
	r := math.Round(x)
	if r == 0 {
		r = 0 // no "-0"
	}
	return group(strconv.FormatFloat(r, 'f', 0, 64))
}

// Money writes an amount in the currency's major unit, whole, with
// thousands separators: 330,000.
func Money(x float64) string { return Count(x) }

// Percent writes a share (0..1) as a percentage with one decimal at most:
// 69.8%.
func Percent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return None
	}
	r := math.Round(x*1000) / 10
	if r == 0 {
		r = 0
	}
	return strconv.FormatFloat(r, 'f', -1, 64) + "%"
}

// SignedPercent writes a drift as a signed percentage: -12.5%, +3%, 0%.
func SignedPercent(x float64) string {
	s := Percent(x)
	if s != None && !strings.HasPrefix(s, "-") && s != "0%" {
		s = "+" + s
	}
	return s
}

// group puts thousands separators into a whole number's digits.
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
