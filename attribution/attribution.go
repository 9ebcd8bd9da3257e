// Package attribution closes the loop between marketing and revenue: it
// gives each won deal's amount to the campaigns and origins (sources) of its
// lead's marketing touches, by the four models of docs/campaigns.md, and
// builds the campaign report (spend, leads, MQLs, customers, revenue, cost
// per result and ROI) from facts a store gathers. It is pure: no SQL, no
// clock, whole cents throughout, and every split adds up to the amount.
package attribution

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Model is a rule for sharing a deal's amount among its lead's touches.
type Model string

// The attribution models.
const (
	FirstTouch Model = "first_touch" // all to the first touch
	LastTouch  Model = "last_touch"  // all to the last touch before the close
	Linear     Model = "linear"      // equal parts to every touch
	UShaped    Model = "u_shaped"    // 40% first, 40% last, 20% shared by the touches between
)

// Models lists the models in the order reports show them.
var Models = []Model{FirstTouch, LastTouch, Linear, UShaped}

// ParseModel reads a model's name; "" is [UShaped], the default. An unknown
// name is an EINVALID error naming the field "model".
func ParseModel(s string) (Model, error) {
	if s == "" {
		return UShaped, nil
	}
	if m := Model(s); slices.Contains(Models, m) {
		return m, nil
	}
	names := make([]string, len(Models))
	for i, m := range Models {
		names[i] = string(m)
	}
	return "", tandem.Invalid(tandem.FieldError{Field: "model",
		Message: fmt.Sprintf("%q is not an attribution model (want one of %s)", s, strings.Join(names, ", "))})
}

// None names the campaign (and origin) of a deal whose lead has no touch.
const None = "(none)"

// Touch is one marketing touch of a lead, as attribution sees it.
type Touch struct {
	Campaign string
	Origin   string
	At       time.Time
}

// Deal is a won deal with what attribution needs of its lead.
type Deal struct {
	ID          int64
	LeadID      int64
	AmountCents int64
	ClosedAt    time.Time
	// Origin is the lead's origin, for a deal whose lead has no touch.
	Origin string
	// Touches are the lead's marketing touches in time order (ties in
	// the order they were recorded); those after ClosedAt do not count.
	Touches []Touch
	// SalesSourced marks a deal whose lead sales found (prospecting).
	SalesSourced bool
}

// Counted returns the touches that count for the deal: those at or before
// its close.
func (d *Deal) Counted() []Touch {
	n := 0
	for n < len(d.Touches) && !d.Touches[n].At.After(d.ClosedAt) {
		n++
	}
	return d.Touches[:n]
}

// Split shares amount among n touches by the model, in touch order. The
// parts are never negative and add up to amount exactly: what integer
// division leaves over goes to the first touch. n < 1 gives one part, the
// whole amount; a negative amount is taken as 0.
func Split(m Model, amount int64, n int) []int64 {
	amount = max(amount, 0)
	n = max(n, 1)
	parts := make([]int64, n)
	switch {
	case n == 1:
		parts[0] = amount
	case m == FirstTouch:
		parts[0] = amount
	case m == LastTouch:
		parts[n-1] = amount
	case m == UShaped && n > 2:
		// 40% each to the ends (computed without overflow), the rest
		// shared by the middle.
		end := amount/5*2 + amount%5*2/5
		mid := amount - 2*end
		each := mid / int64(n-2)
		for i := 1; i < n-1; i++ {
			parts[i] = each
		}
		parts[0] = end + mid - each*int64(n-2)
		parts[n-1] = end
	default: // linear, and u_shaped over two touches: equal halves
		each := amount / int64(n)
		for i := range parts {
			parts[i] = each
		}
		parts[0] += amount - each*int64(n)
	}
	return parts
}

// Credit is what one model gives a deal's campaigns and origins, in cents.
type Credit struct {
	Campaigns map[string]int64
	Origins   map[string]int64
}

// Attribute gives the deal's amount to campaigns and origins by the model.
// A deal without counted touches goes to the [None] campaign and to its
// lead's origin, or [None].
func Attribute(m Model, d Deal) Credit {
	c := Credit{Campaigns: map[string]int64{}, Origins: map[string]int64{}}
	ts := d.Counted()
	if d.AmountCents <= 0 {
		return c
	}
	if len(ts) == 0 {
		origin := d.Origin
		if origin == "" {
			origin = None
		}
		c.Campaigns[None] += d.AmountCents
		c.Origins[origin] += d.AmountCents
		return c
	}
	for i, part := range Split(m, d.AmountCents, len(ts)) {
		if part == 0 {
			continue // a touch the model gives nothing is no line
		}
		campaign, origin := ts[i].Campaign, ts[i].Origin
		if campaign == "" {
			campaign = None
		}
		if origin == "" {
			origin = d.Origin
		}
		if origin == "" {
			origin = None
		}
		c.Campaigns[campaign] += part
		c.Origins[origin] += part
	}
	return c
}

// FirstCampaign returns the campaign of the first of touches, or [None].
func FirstCampaign(touches []Touch) string {
	if len(touches) == 0 || touches[0].Campaign == "" {
		return None
	}
	return touches[0].Campaign
}
