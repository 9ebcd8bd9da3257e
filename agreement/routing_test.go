package agreement

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoutingTeams(t *testing.T) {
	const block = "routing:\n  method: by_field\n  field: segment\n  teams:\n    enterprise: east\n    smb: west\ngoal:"
	tests := []struct {
		name     string
		new      string // replaces "goal:" in minimal, line 32
		want     Routing
		problems []string
	}{
		{"by_field with teams", block,
			Routing{Method: ByField, Field: "segment", Teams: map[string]string{"enterprise": "east", "smb": "west"}}, nil},
		{"by_field without teams", "routing: {method: by_field, field: segment}\ngoal:",
			Routing{Method: ByField, Field: "segment"}, nil},
		{"values and teams are trimmed text", "routing: {method: by_field, field: country, teams: {'US ': ' North America', 'New Zealand': APAC}}\ngoal:",
			Routing{Method: ByField, Field: "country", Teams: map[string]string{"US": "North America", "New Zealand": "APAC"}}, nil},
		{"teams with round_robin", "routing:\n  method: round_robin\n  teams:\n    enterprise: east\ngoal:", Routing{},
			[]string{`m.yaml:34:3: routing.teams: is used only with method by_field`}},
		{"teams with weighted", "routing: {method: weighted, teams: {enterprise: east}}\ngoal:", Routing{},
			[]string{`m.yaml:32:29: routing.teams: is used only with method by_field`}},
		{"teams without method", "routing: {teams: {enterprise: east}}\ngoal:", Routing{},
			[]string{`m.yaml:32:1: routing: missing required key "method"`}},
		{"empty team", "routing: {method: by_field, field: segment, teams: {enterprise: east, smb: ''}}\ngoal:", Routing{},
			[]string{`m.yaml:32:76: routing.teams.smb: is empty`}},
		{"team with no value", "routing:\n  method: by_field\n  field: segment\n  teams:\n    smb:\ngoal:", Routing{},
			[]string{`m.yaml:36:9: routing.teams.smb: expected text, got nothing`}},
		{"team name too long", "routing: {method: by_field, field: segment, teams: {smb: " + strings.Repeat("w", 101) + "}}\ngoal:", Routing{},
			[]string{`m.yaml:32:58: routing.teams.smb: is longer than 100 characters`}},
		{"value repeated", "routing: {method: by_field, field: segment, teams: {smb: east, smb: west}}\ngoal:", Routing{},
			[]string{`m.yaml:32:64: routing.teams.smb: repeats the value at line 32`}},
		{"no value", "routing: {method: by_field, field: segment, teams: {~: east}}\ngoal:", Routing{},
			[]string{`m.yaml:32:53: routing.teams: expected text, got nothing`}},
		{"empty mapping", "routing: {method: by_field, field: segment, teams: {}}\ngoal:", Routing{},
			[]string{`m.yaml:32:52: routing.teams: name at least one value and its team, or leave the key out`}},
		{"a list", "routing: {method: by_field, field: segment, teams: [east, west]}\ngoal:", Routing{},
			[]string{`m.yaml:32:52: routing.teams: expected a mapping of field values to team names, like enterprise: east, got a list`}},
		{"a team that is a list", "routing: {method: by_field, field: segment, teams: {smb: [east, west]}}\ngoal:", Routing{},
			[]string{`m.yaml:32:58: routing.teams.smb: expected text, got a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := edit(t, "goal:", tt.new)
			a, err := Parse("m.yaml", []byte(file))
			if diff := cmp.Diff(tt.problems, problemLines(t, err)); diff != "" {
				t.Fatalf("Parse(%q) problems differ (-want +got):\n%s", file, diff)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, a.Routing); diff != "" {
				t.Errorf("Parse(%q) routing differs (-want +got):\n%s", file, diff)
			}
		})
	}
}

func TestRoutingTeamsJSON(t *testing.T) {
	a, err := Parse("m.yaml", []byte(edit(t, "goal:", "routing: {method: by_field, field: segment, teams: {smb: west, enterprise: east}}\ngoal:")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	b, err := json.Marshal(a.Routing)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if want := `{"method":"by_field","field":"segment","teams":{"enterprise":"east","smb":"west"},"capacity":0}`; string(b) != want {
		t.Errorf("json.Marshal(routing) = %s; want %s", b, want)
	}
	b, _ = json.Marshal(Routing{Method: RoundRobin})
	if want := `{"method":"round_robin","capacity":0}`; string(b) != want {
		t.Errorf("json.Marshal(round robin) = %s; want %s", b, want)
	}
}

func TestDiffRoutingTeams(t *testing.T) {
	parse := func(routing string) *Agreement {
		t.Helper()
		a, err := Parse("m.yaml", []byte(edit(t, "goal:", routing+"\ngoal:")))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		return a
	}
	none := parse("routing: {method: round_robin}")
	two := parse("routing: {method: by_field, field: segment, teams: {enterprise: east, smb: west}}")
	changed := parse("routing: {method: by_field, field: segment, teams: {smb: inbound, mid_market: east}}")
	tests := []struct {
		name     string
		old, new *Agreement
		want     []string
	}{
		{"teams added", none, two, []string{
			"routing: method changed from round_robin to by_field",
			"routing: field set to segment",
			"routing: team for segment enterprise set to east",
			"routing: team for segment smb set to west",
		}},
		{"teams changed", two, changed, []string{
			"routing: team for segment enterprise removed (was east)",
			"routing: team for segment smb changed from west to inbound",
			"routing: team for segment mid_market set to east",
		}},
		{"teams removed", two, none, []string{
			"routing: method changed from by_field to round_robin",
			"routing: field removed (was segment)",
			"routing: team for segment enterprise removed (was east)",
			"routing: team for segment smb removed (was west)",
		}},
		{"the same", two, two, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Diff(tt.old, tt.new)); diff != "" {
				t.Errorf("Diff differs (-want +got):\n%s", diff)
			}
		})
	}
}
