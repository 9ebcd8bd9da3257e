package web

import (
	"testing"

	"github.com/tandemhq/tandem"
)

func TestFieldLabel(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"utm_campaign", "UTM campaign"},
		{"owner_id", "Owner"},
		{"external_id", "External ID"},
		{"attributes.industry_code", "Industry code (attribute)"},
		{"not_in_the_table", "Not in the table"},
		{"", ""},
	} {
		if got := FieldLabel(tc.name); got != tc.want {
			t.Errorf("FieldLabel(%q) = %q; want %q", tc.name, got, tc.want)
		}
	}
	// Every lead field has a label of its own, not the fallback.
	for _, f := range tandem.LeadFields {
		if _, ok := fieldLabels[f.Name]; !ok {
			t.Errorf("lead field %q has no label in fieldLabels", f.Name)
		}
	}
}

func TestEventLabel(t *testing.T) {
	for _, typ := range []string{tandem.EventCreated, tandem.EventUpdated, tandem.EventStageChanged, tandem.EventHandedOff,
		tandem.EventAssigned, tandem.EventTouched, tandem.EventBreached, tandem.EventReviewed, tandem.EventNoted, tandem.EventMarketingTouched,
		tandem.EventDealOpened, tandem.EventDealWon, tandem.EventDealLost, tandem.EventDealUpdated} {
		if _, ok := eventLabels[typ]; !ok {
			t.Errorf("event type %q has no label in eventLabels", typ)
		}
	}
	if got := EventLabel("touched"); got != "Touch logged" {
		t.Errorf(`EventLabel("touched") = %q; want "Touch logged"`, got)
	}
	if got := EventLabel("some_new_event"); got != "Some new event" {
		t.Errorf(`EventLabel("some_new_event") = %q; want "Some new event"`, got)
	}
}
