package figure_test

import (
	"math"
	"testing"

	"github.com/tandemhq/tandem/figure"
)

func TestFigures(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"Count(0)", figure.Count(0), "0"},
		{"Count(999.5)", figure.Count(999.5), "1,000"},
		{"Count(-0.4)", figure.Count(-0.4), "0"},
		{"Count(-1234567)", figure.Count(-1234567), "-1,234,567"},
		{"Count(NaN)", figure.Count(math.NaN()), "–"},
		{"Money(171641.6)", figure.Money(171641.6), "171,642"},
		{"Money(330000)", figure.Money(330000), "330,000"},
		{"Money(+Inf)", figure.Money(math.Inf(1)), "–"},
		{"Percent(0.698)", figure.Percent(0.698), "69.8%"},
		{"Percent(0.12345)", figure.Percent(0.12345), "12.3%"},
		{"Percent(1)", figure.Percent(1), "100%"},
		{"Percent(-0.00001)", figure.Percent(-0.00001), "0%"},
		{"SignedPercent(-0.48)", figure.SignedPercent(-0.48), "-48%"},
		{"SignedPercent(0.03)", figure.SignedPercent(0.03), "+3%"},
		{"SignedPercent(0)", figure.SignedPercent(0), "0%"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q; want %q", tc.name, tc.got, tc.want)
		}
	}
}
