package http

import (
	"testing"

	"github.com/tandemhq/tandem"
)

// TestActorWords checks how the lead page's timeline names whoever made a
// change: people by name, never a "user:" prefix; the stored form in the
// title.
func TestActorWords(t *testing.T) {
	byEmail := map[string]tandem.User{
		"rita@example.com": {ID: 4, Name: "Rita Rep", Email: "rita@example.com"},
		"nona@example.com": {ID: 5, Email: "nona@example.com"},
	}
	for _, tc := range []struct{ actor, words, title string }{
		{"user:rita@example.com", "Rita Rep", "rita@example.com"},
		{"user:nona@example.com", "nona@example.com", "nona@example.com"},
		{"user:gone@example.com", "gone@example.com", "gone@example.com"},
		{"token:crm-sync", "the integration crm-sync", "token:crm-sync"},
		{"token:form:contact", "the website form contact", "token:form:contact"},
		{"token:hook:hubspot", "the webhook source hubspot", "token:hook:hubspot"},
		{"cli:import", "the command line (import)", "cli:import"},
		{"system", "Tandem", "system"},
		{"", "an unnamed source", ""},
	} {
		words, title := actorWords(tc.actor, byEmail)
		if words != tc.words || title != tc.title {
			t.Errorf("actorWords(%q) = %q, %q; want %q, %q", tc.actor, words, title, tc.words, tc.title)
		}
	}
}
