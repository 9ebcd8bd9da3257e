package agreement

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemLines returns the problems of a Parse or CheckStaff error as
// "FILE:LINE:COL: message" lines, nil for no error.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T); want *Problems", err, err)
	}
	return strings.Split(ps.Error(), "\n")
}

// edit replaces old by new in minimal, once.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(minimal, old) {
		t.Fatalf("minimal has no %q", old)
	}
	return strings.Replace(minimal, old, new, 1)
}

// TestImpossibleCadence checks that a file whose cadence or calendar cannot
// be worked is refused, with the position of the mistake and a message that
// says what to write instead.
func TestImpossibleCadence(t *testing.T) {
	const step = "    - {channel: call, offset: 0m, template: first-call}\n" // line 29 of minimal
	tests := []struct {
		name     string
		old, new string // replace old by new in minimal
		want     []string
	}{
		{"negative offset, first step", "offset: 0m", "offset: -10m",
			[]string{`m.yaml:29:31: sales.cadence[1].offset: "-10m" is not a span (a span has no sign: it counts forward from its start, never back; write it like 10m, 4h, 1d or 2d4h)`}},
		{"negative offset, later step", step, step + "    - {channel: email, offset: -10m, template: nudge}\n",
			[]string{`m.yaml:30:32: sales.cadence[2].offset: "-10m" is not a span (a span has no sign: it counts forward from its start, never back; write it like 10m, 4h, 1d or 2d4h)`}},
		{"offset with a plus sign", "offset: 0m", "offset: +10m",
			[]string{`m.yaml:29:31: sales.cadence[1].offset: "+10m" is not a span (a span has no sign: it counts forward from its start, never back; write it like 10m, 4h, 1d or 2d4h)`}},
		{"negative connected offset", step, step + "  connected_cadence:\n    - {channel: email, offset: -1d, template: recap}\n",
			[]string{`m.yaml:31:32: sales.connected_cadence[1].offset: "-1d" is not a span (a span has no sign: it counts forward from its start, never back; write it like 10m, 4h, 1d or 2d4h)`}},
		{"cadence offsets go down", step,
			step + "    - {channel: email, offset: 1d, template: day-1}\n    - {channel: call, offset: 2h, template: later}\n",
			[]string{`m.yaml:31:31: sales.cadence[3].offset: 2h comes before the 1d of step 2: offsets count from the start and never go down`}},
		{"cadence offsets go down by a minute", step,
			step + "    - {channel: email, offset: 1d, template: day-1}\n    - {channel: call, offset: 7h59m, template: later}\n",
			[]string{`m.yaml:31:31: sales.cadence[3].offset: 7h59m comes before the 1d of step 2: offsets count from the start and never go down`}},
		{"cadence offsets equal in business time", step,
			step + "    - {channel: email, offset: 1d, template: day-1}\n    - {channel: call, offset: 8h, template: same-time}\n",
			nil},
		{"connected cadence offsets go down", step,
			step + "  connected_cadence:\n    - {channel: email, offset: 1d, template: recap}\n    - {channel: meeting, offset: 4h, template: discovery}\n",
			[]string{`m.yaml:32:34: sales.connected_cadence[2].offset: 4h comes before the 1d of step 1: offsets count from the start and never go down`}},
		{"unknown channel", "channel: call", "channel: fax",
			[]string{`m.yaml:29:17: sales.cadence[1].channel: expected one of call, voicemail, email, social, meeting, got "fax"`}},
		{"unknown channel in the connected cadence", step, step + "  connected_cadence:\n    - {channel: fax, offset: 0m, template: recap}\n",
			[]string{`m.yaml:31:17: sales.connected_cadence[1].channel: expected one of call, voicemail, email, social, meeting, got "fax"`}},
		{"no working days", "days: [mon, tue, wed, thu, fri]", "days: []",
			[]string{`m.yaml:22:9: business_hours.days: give at least one working day`}},
		{"open equals close", `close: "17:00"`, `close: "09:00"`,
			[]string{`m.yaml:24:10: business_hours.close: 09:00 is not after open (09:00)`}},
		{"close before open", `close: "17:00"`, `close: "08:00"`,
			[]string{`m.yaml:24:10: business_hours.close: 08:00 is not after open (09:00)`}},
		{"negative escalation", "goal:", "escalation:\n  - {after: -5m, notify: sales_rep}\ngoal:",
			[]string{`m.yaml:33:13: escalation[1].after: "-5m" is not a span (a span has no sign: it counts forward from its start, never back; write it like 10m, 4h, 1d or 2d4h)`}},
		{"escalation goes back", "goal:", "escalation:\n  - {after: 1h, notify: sales_rep}\n  - {after: 30m, notify: sales_manager}\ngoal:",
			[]string{`m.yaml:34:13: escalation[2].after: 30m comes before the 1h of step 1: each step comes at the same time as the one before or later`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := edit(t, tt.old, tt.new)
			_, err := Parse("m.yaml", []byte(file))
			if diff := cmp.Diff(tt.want, problemLines(t, err)); diff != "" {
				t.Errorf("Parse(%q) problems differ (-want +got):\n%s", file, diff)
			}
		})
	}
}
