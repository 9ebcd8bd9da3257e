package sqldb

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

// FuzzEventData checks the hand-written JSON of an event's data against
// encoding/json's reading of it.
func FuzzEventData(f *testing.F) {
	f.Add("email", "a@b.c", "", "")
	f.Add("company", "Q\"uote\\d\n\t\x01", "old\u2028", "mql: score >= 60")
	f.Fuzz(func(t *testing.T, field, to, from, rule string) {
		if !utf8.ValidString(field) || !utf8.ValidString(to) || !utf8.ValidString(from) || !utf8.ValidString(rule) {
			t.Skip("lead values are valid UTF-8")
		}
		e := tandem.Event{Changes: []tandem.FieldChange{{Field: field, From: from, To: to}, {Field: field + "2", To: to}}, Rule: rule}
		var d eventData
		if err := json.Unmarshal([]byte(encodeEventData(&e)), &d); err != nil {
			t.Fatalf("encodeEventData(%+v) is not JSON: %v", e, err)
		}
		want := eventData{To: map[string]string{field: to, field + "2": to}, Rule: rule}
		if from != "" {
			want.From = map[string]string{field: from}
		}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Errorf("encodeEventData(%+v) reads back differently (-want +got):\n%s", e, diff)
		}
	})
}
