package tandem

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventMarketingTouched records a marketing touch in its lead's ledger. It
// changes no lead field; Detail holds campaign, origin and kind.
const EventMarketingTouched = "marketing_touched"

// Campaign is a marketing activity with spend. Its Code is the value that
// leads carry in their campaign field; a code that leads carry but nobody
// registered is still a campaign, one without a name or spend.
type Campaign struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	// Channel is the marketing channel, in the words of a lead's origin
	// (paid_search, social, email, event...).
	Channel   string    `json:"channel,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Spend lists the campaign's spend by month, in month order, when the
	// store lists campaigns.
	Spend []CampaignSpend `json:"spend,omitempty"`
}

// Validate returns an EINVALID error naming each field of the campaign that
// breaks a rule: a code is required, and code and channel are keys (at most
// MaxKeyBytes, no control characters).
func (c *Campaign) Validate() error {
	var errs []FieldError
	if c.Code == "" {
		errs = append(errs, FieldError{"code", "is required: the value leads carry in their campaign field"})
	}
	for _, f := range []struct {
		field, value string
		key          bool
	}{{"code", c.Code, true}, {"name", c.Name, false}, {"channel", c.Channel, true}} {
		if err := checkCode(f.value, f.key); err != nil {
			errs = append(errs, FieldError{f.field, err.Error()})
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// checkCode checks a text value, and for a key that it fits an index and
// holds no line breaks or tabs (codes are typed on command lines and URLs).
func checkCode(s string, key bool) error {
	if err := CheckText(s); err != nil {
		return err
	}
	if key {
		if len(s) > MaxKeyBytes {
			return fmt.Errorf("longer than %d bytes", MaxKeyBytes)
		}
		if strings.ContainsAny(s, "\t\r\n") {
			return fmt.Errorf("%q holds a tab or a line break", s)
		}
		if strings.TrimSpace(s) != s {
			return fmt.Errorf("%q starts or ends with a space", s)
		}
	}
	return nil
}

// CampaignSpend is what a campaign cost in one calendar month, in minor
// units of the installation's currency (like [Deal.AmountCents]).
type CampaignSpend struct {
	Campaign    string `json:"campaign"`
	Month       string `json:"month"` // YYYY-MM
	AmountCents int64  `json:"amount_cents"`
}

// Validate returns an EINVALID error naming each field that breaks a rule:
// a campaign code, a month written YYYY-MM, an amount from 0 to
// [MaxAmountCents].
func (s *CampaignSpend) Validate() error {
	var errs []FieldError
	if s.Campaign == "" {
		errs = append(errs, FieldError{"campaign", "is required"})
	} else if err := checkCode(s.Campaign, true); err != nil {
		errs = append(errs, FieldError{"campaign", err.Error()})
	}
	if _, err := ParseMonth(s.Month); err != nil {
		errs = append(errs, FieldError{"month", err.Error()})
	}
	switch {
	case s.AmountCents < 0:
		errs = append(errs, FieldError{"amount", fmt.Sprintf("%s is negative: spend is zero or more", FormatAmount(s.AmountCents))})
	case s.AmountCents > MaxAmountCents:
		errs = append(errs, FieldError{"amount", fmt.Sprintf("%s is over the largest amount, %s", FormatAmount(s.AmountCents), FormatAmount(MaxAmountCents))})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// ParseMonth reads a calendar month written YYYY-MM and returns its first
// day at midnight UTC.
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 || t.Year() < 1 {
		return time.Time{}, fmt.Errorf("%q is not a month: write YYYY-MM, like 2026-03", s)
	}
	return t, nil
}

// Marketing touch kinds: how a marketing touch reached the lead.
// TouchIntake is the one Tandem records itself, when a lead comes in with a
// campaign or its campaign changes.
const (
	TouchIntake  = "intake"
	TouchForm    = "form"
	TouchEmail   = "email"
	TouchWebinar = "webinar"
	TouchEvent   = "event"
	TouchAd      = "ad"
	TouchContent = "content"
	TouchSocial  = "social"
	TouchOther   = "other"
)

// TouchKinds lists the kinds of marketing touch.
var TouchKinds = []string{TouchIntake, TouchForm, TouchEmail, TouchWebinar, TouchEvent, TouchAd, TouchContent, TouchSocial, TouchOther}

// MarketingTouch is one contact between a lead and a marketing campaign: the
// form it filled, the webinar it attended. Touches, in time order, are what
// revenue is attributed over (package attribution).
type MarketingTouch struct {
	ID       int64  `json:"id,omitempty"`
	LeadID   int64  `json:"lead_id"`
	Campaign string `json:"campaign"`
	// Origin is the marketing channel of the touch; it defaults to the
	// lead's origin.
	Origin     string    `json:"origin,omitempty"`
	Kind       string    `json:"kind"`
	OccurredAt time.Time `json:"occurred_at"`
}

// Validate returns an EINVALID error naming each field that breaks a rule:
// a campaign, a known kind, an origin that fits, a time not in the future.
func (t *MarketingTouch) Validate(now time.Time) error {
	var errs []FieldError
	if t.Campaign == "" {
		errs = append(errs, FieldError{"campaign", "is required: the campaign code of the touch"})
	} else if err := checkCode(t.Campaign, true); err != nil {
		errs = append(errs, FieldError{"campaign", err.Error()})
	}
	if err := checkCode(t.Origin, true); err != nil {
		errs = append(errs, FieldError{"origin", err.Error()})
	}
	if !slices.Contains(TouchKinds, t.Kind) {
		errs = append(errs, FieldError{"kind", fmt.Sprintf("%q is not a kind of marketing touch (want one of %s)", t.Kind, strings.Join(TouchKinds, ", "))})
	}
	if t.OccurredAt.IsZero() {
		errs = append(errs, FieldError{"occurred_at", "is required"})
	} else if t.OccurredAt.After(now.Add(24 * time.Hour)) {
		errs = append(errs, FieldError{"occurred_at", FormatTime(t.OccurredAt) + " is in the future"})
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	return nil
}

// Event returns the ledger event that records the touch.
func (t *MarketingTouch) Event(actor string, agreementVersion int) Event {
	d := map[string]string{"campaign": t.Campaign, "kind": t.Kind}
	if t.Origin != "" {
		d["origin"] = t.Origin
	}
	return Event{LeadID: t.LeadID, Type: EventMarketingTouched, OccurredAt: t.OccurredAt, Actor: actor,
		AgreementVersion: agreementVersion, Detail: d}
}

// TouchOf returns the marketing touch a marketing_touched event records.
func TouchOf(e *Event) (MarketingTouch, bool) {
	if e.Type != EventMarketingTouched {
		return MarketingTouch{}, false
	}
	return MarketingTouch{LeadID: e.LeadID, Campaign: e.Detail["campaign"], Origin: e.Detail["origin"],
		Kind: e.Detail["kind"], OccurredAt: e.OccurredAt}, true
}

// WithMarketingTouches returns a lead's new events with a marketing touch
// (of kind [TouchIntake]) after each one that gives the lead a campaign: its
// creation with a non-empty campaign, or an update that changes the
// campaign to a new non-empty value. The touch is dated when that event
// occurred and carries the lead's origin at that point. before is the lead
// before the events, nil for a new lead. Events that are not marketing
// touches come out unchanged and in order.
func WithMarketingTouches(before *Lead, events []Event) []Event {
	if !slices.ContainsFunc(events, setsCampaign) {
		return events // most events; replaying them would cost intake as much again
	}
	var l Lead
	if before != nil {
		l = before.Clone()
	}
	out := make([]Event, 0, len(events)+1)
	for i := range events {
		e := events[i]
		out = append(out, e)
		if err := l.Apply(&e); err != nil {
			continue // the caller's replay reports it
		}
		if e.Type != EventCreated && e.Type != EventUpdated {
			continue
		}
		for _, c := range e.Changes {
			if c.Field == "campaign" && c.To != "" && c.To != c.From {
				t := MarketingTouch{LeadID: e.LeadID, Campaign: c.To, Origin: l.Origin, Kind: TouchIntake, OccurredAt: e.OccurredAt}
				out = append(out, t.Event(e.Actor, e.AgreementVersion))
			}
		}
	}
	return out
}

func setsCampaign(e Event) bool {
	for _, c := range e.Changes {
		if c.Field == "campaign" && c.To != "" {
			return true
		}
	}
	return false
}
