package scorecard

import (
	"math"
	"strconv"
	"strings"
)

// format writes a figure for people by its unit: a count as a whole number,
// money with thousands separators and at most two decimals, a share as a
// percentage, a rating to two decimals.
func format(unit string, x float64) string {
	switch unit {
	case UnitMoney:
		return money(x)
	case UnitShare:
		return strconv.FormatFloat(noNegZero(math.Round(x*1000)/10), 'f', -1, 64) + "%"
	case UnitRating:
		return strconv.FormatFloat(noNegZero(math.Round(x*100)/100), 'f', 2, 64)
	}
	return money(math.Round(x))
}

// noNegZero turns -0 into 0, so that nothing prints as "-0".
func noNegZero(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x
}

// signedPct writes a deviation as a signed percentage: -12.5%, +3%.
func signedPct(x float64) string {
	v := noNegZero(math.Round(x*1000) / 10)
	s := strconv.FormatFloat(v, 'f', -1, 64) + "%"
	if v > 0 {
		s = "+" + s
	}
	return s
}

// money writes an amount with thousands separators and, when it has any,
// two decimals: 1,200,000 or 12,345.50. NaN and infinities are written as
// "–" (nothing to show).
func money(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	digits := strconv.FormatFloat(math.Abs(x), 'f', 2, 64)
	whole, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	if x < 0 && strings.Trim(digits, "0.") != "" {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "00" {
		b.WriteString("." + frac)
	}
	return b.String()
}
