package plan

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
)

// MinSamples is the fewest samples a rate derived from history needs before
// the plan trusts it. Thirty is the usual rule of thumb for a proportion:
// below it, one lead more or less moves a rate by several points, so the
// plan still uses the rate but says it rests on too few samples.
const MinSamples = 30

// Source says where a rate comes from.
type Source string

// The sources of a rate.
const (
	SourceAgreement Source = "agreement" // a fixed number in the agreement both heads signed
	SourceHistory   Source = "history"   // derived from the leads and deals Tandem holds
	SourceOverride  Source = "override"  // a what-if given for this plan only
)

// Rate is one funnel figure the plan divides by: a stage-to-stage
// conversion rate, the close rate, or the average deal size (in the
// company's currency, not a rate between 0 and 1, but it is used the same
// way and comes from the same places).
type Rate struct {
	Value  float64 `json:"value"`
	Source Source  `json:"source"`
	// Samples is how many cases a rate from history was measured on: the
	// leads that entered the pair's first stage, or the won deals for the
	// average deal size. 0 for a fixed number or an override.
	Samples int `json:"samples"`
	// Period names the history a rate from history was measured over.
	Period string `json:"period,omitempty"`
	// TooFewSamples marks a rate from history measured on fewer than
	// [MinSamples] cases. [Compute] sets it from Source and Samples.
	TooFewSamples bool `json:"too_few_samples,omitempty"`
}

// noData reports whether the rate should come from history but there was
// none to derive it from.
func (r Rate) noData() bool { return r.Source == SourceHistory && r.Samples == 0 }

// The names of the rates that are not stage pairs: the keys of the
// agreement's funnel section, and of a what-if.
const (
	AverageDealSize = "average_deal_size"
	CloseRate       = "close_rate"
)

// Rates are the funnel figures a plan works back with: the average deal
// size, the close rate (from the path stage before the last to the last)
// and a conversion rate for every other pair of neighbouring path stages.
type Rates struct {
	AverageDealSize Rate                         `json:"average_deal_size"`
	CloseRate       Rate                         `json:"close_rate"`
	Conversion      map[agreement.StagePair]Rate `json:"conversion"`

	path []string // the stages NewRates was given, to name the rates in order
}

// History is what the ledger says about the funnel, for the rates the
// agreement leaves to history. The store fills it; a nil *History means
// there is none.
type History struct {
	// Period names the span the counts cover, like "2026" or
	// "2026-01-01..2026-12-31"; each rate derived from it carries it.
	Period string
	// Pairs counts, for each pair of neighbouring path stages including
	// the last (the close rate), the leads that entered From and how many
	// of them went on to To.
	Pairs map[agreement.StagePair]Transitions
	// WonDeals is the number of won deals and WonRevenue their total
	// amount: the average deal size is WonRevenue ÷ WonDeals.
	WonDeals   int
	WonRevenue float64
}

// Transitions counts the leads that entered a stage and how many of them
// reached the next one.
type Transitions struct {
	Entered, Reached int
}

// NewRates returns the rates of a funnel over the path stages (see
// [agreement.Agreement.PathStages]): each fixed number as the agreement
// states it, each "history" assumption derived from h. A rate the
// agreement leaves to history but h has no data for is returned with
// Source history and no samples; [Compute] reports it, so that a what-if
// ([Rates.Set]) can stand in for it first.
func NewRates(f agreement.Funnel, stages []string, h *History) Rates {
	rs := Rates{Conversion: map[agreement.StagePair]Rate{}, path: slices.Clone(stages)}
	if h == nil {
		h = &History{}
	}
	if f.AverageDealSize.History {
		r := Rate{Source: SourceHistory, Samples: h.WonDeals, Period: h.Period}
		if h.WonDeals > 0 {
			r.Value = h.WonRevenue / float64(h.WonDeals)
		}
		rs.AverageDealSize = flag(r)
	} else {
		rs.AverageDealSize = Rate{Value: f.AverageDealSize.Value, Source: SourceAgreement}
	}
	for i := 0; i+1 < len(stages); i++ {
		pair := agreement.StagePair{From: stages[i], To: stages[i+1]}
		a := f.CloseRate
		if i+2 < len(stages) {
			var ok bool
			if a, ok = f.Conversion[pair]; !ok {
				a = agreement.FromHistory // the agreement's rule: a pair left out is history
			}
		}
		r := Rate{Value: a.Value, Source: SourceAgreement}
		if a.History {
			t := h.Pairs[pair]
			r = Rate{Source: SourceHistory, Samples: t.Entered, Period: h.Period}
			if t.Entered > 0 {
				r.Value = float64(t.Reached) / float64(t.Entered)
			}
			r = flag(r)
		}
		if i+2 < len(stages) {
			rs.Conversion[pair] = r
		} else {
			rs.CloseRate = r
		}
	}
	return rs
}

func flag(r Rate) Rate {
	r.TooFewSamples = r.Source == SourceHistory && r.Samples < MinSamples
	return r
}

// Set replaces the rate called name (average_deal_size, close_rate, or a
// conversion pair such as mql_to_sal) with a what-if value, marked as an
// override. An unknown name or a value out of range is an EINVALID error
// naming the field name.
func (rs *Rates) Set(name string, value float64) error {
	bad := func(format string, args ...any) error {
		return tandem.Invalid(tandem.FieldError{Field: name, Message: fmt.Sprintf(format, args...)})
	}
	r := Rate{Value: value, Source: SourceOverride}
	switch name {
	case AverageDealSize:
		if msg := checkDealSize(value); msg != "" {
			return bad("the what-if %s", msg)
		}
		rs.AverageDealSize = r
		return nil
	case CloseRate:
		if msg := checkRate(value); msg != "" {
			return bad("the what-if %s", msg)
		}
		rs.CloseRate = r
		return nil
	}
	for pair := range rs.Conversion {
		if pair.String() == name {
			if msg := checkRate(value); msg != "" {
				return bad("the what-if %s", msg)
			}
			rs.Conversion[pair] = r
			return nil
		}
	}
	if strings.Contains(name, "_to_") && len(rs.path) > 1 && strings.HasPrefix(name, rs.path[len(rs.path)-2]+"_to_") {
		return bad("is the close rate: set %s", CloseRate)
	}
	return bad("is not a figure the plan uses: want one of %s", strings.Join(rs.names(), ", "))
}

// names lists the names [Rates.Set] takes: the conversion pairs in path
// order when the rates know the path, sorted otherwise.
func (rs *Rates) names() []string {
	var pairs []string
	for i := 0; i+2 < len(rs.path); i++ {
		pairs = append(pairs, agreement.StagePair{From: rs.path[i], To: rs.path[i+1]}.String())
	}
	if len(pairs) != len(rs.Conversion) {
		pairs = pairs[:0]
		for p := range rs.Conversion {
			pairs = append(pairs, p.String())
		}
		slices.Sort(pairs)
	}
	return append([]string{AverageDealSize, CloseRate}, pairs...)
}

// checkRate returns what is wrong with v as a rate, or "".
func checkRate(v float64) string {
	if !(v > 0 && v <= 1) {
		return number(v) + " is not a rate: give a number above 0 and at most 1 (0.25 is 25%)"
	}
	return ""
}

// maxMoney is the largest deal size the plan takes, as the agreement file
// does.
const maxMoney = 1e15

// checkDealSize returns what is wrong with v as an average deal size, or "".
func checkDealSize(v float64) string {
	switch {
	case !(v > 0):
		return number(v) + " is not a deal size: give an amount above 0"
	case v > maxMoney:
		return number(v) + " is too large for a deal size"
	}
	return ""
}

func number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
