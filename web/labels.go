package web

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// fieldLabels is the one table of how pages name a field: a lead's fields
// (tandem.LeadFields), the details events record (a touch's channel, a
// review's rating, a deal's amount) and the fields of the pages' forms. A
// page shows the label, with the stored name kept at hand (in a title
// attribute); an error about a form's field names it by its label.
var fieldLabels = map[string]string{
	// A lead's fields.
	"source":       "Source",
	"external_id":  "External ID",
	"email":        "Email",
	"first_name":   "First name",
	"last_name":    "Last name",
	"company":      "Company",
	"title":        "Title",
	"phone":        "Phone",
	"country":      "Country",
	"segment":      "Segment",
	"territory":    "Territory",
	"origin":       "Origin",
	"campaign":     "Campaign",
	"landing_page": "Landing page",
	"utm_source":   "UTM source",
	"utm_medium":   "UTM medium",
	"utm_campaign": "UTM campaign",
	"utm_term":     "UTM term",
	"utm_content":  "UTM content",
	"owner_id":     "Owner",
	"owner":        "Owner",
	"score":        "Score",
	"stage":        "Stage",
	"created_at":   "Created",
	// What events record besides fields.
	"rule":         "Rule",
	"channel":      "Channel",
	"outcome":      "Outcome",
	"note":         "Note",
	"clock":        "Clock",
	"due_at":       "Due",
	"step":         "Step",
	"cadence":      "Cadence",
	"task":         "Task",
	"handoff":      "Hand-off",
	"level":        "Level",
	"rating":       "Rating",
	"tags":         "Tags",
	"text":         "Comment",
	"link":         "Link",
	"snapshot":     "Snapshot",
	"hot":          "Hot lead",
	"deal":         "Deal",
	"amount_cents": "Amount (cents)",
	"closed_at":    "Closed",
	"reason":       "Reason",
	"kind":         "Kind",
	// The forms' other fields.
	"decision": "Decision",
	"touch":    "Touch",
	"name":     "Name",
	"role":     "Role",
	"team":     "Team",
	"manager":  "Manager",
	"weight":   "Routing weight",
	"user":     "User",
	"id":       "Id",
}

// eventLabels names the ledger's event types for people.
var eventLabels = map[string]string{
	"created":           "Created",
	"updated":           "Fields changed",
	"stage_changed":     "Stage changed",
	"handed_off":        "Handed off to sales",
	"assigned":          "Assigned",
	"touched":           "Touch logged",
	"breached":          "Clock breached",
	"reviewed":          "Quality reviewed",
	"noted":             "Note",
	"marketing_touched": "Marketing touch",
	"deal_opened":       "Deal opened",
	"deal_won":          "Deal won",
	"deal_lost":         "Deal lost",
	"deal_updated":      "Deal updated",
}

// FieldLabel names a field for people: "UTM campaign" for utm_campaign,
// "Industry (attribute)" for attributes.industry. A name the table lacks
// reads with spaces for its underscores.
func FieldLabel(name string) string {
	if l, ok := fieldLabels[name]; ok {
		return l
	}
	if key, ok := strings.CutPrefix(name, "attributes."); ok {
		return humanize(key) + " (attribute)"
	}
	return humanize(name)
}

// EventLabel names an event type for people: "Touch logged" for touched.
func EventLabel(typ string) string {
	if l, ok := eventLabels[typ]; ok {
		return l
	}
	return humanize(typ)
}

// humanize writes a stored name as words: "lead_source" as "Lead source".
func humanize(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
