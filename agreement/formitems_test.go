package agreement_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tandemhq/tandem/agreement"
)

// plainFile is an agreement file read with yaml alone, to check what
// EditItems did without the form's own reading.
type plainFile struct {
	Sales struct {
		Cadence []map[string]any `yaml:"cadence"`
	} `yaml:"sales"`
	RejectReasons []map[string]any `yaml:"reject_reasons"`
}

func readPlain(t *testing.T, body []byte) plainFile {
	t.Helper()
	var f plainFile
	if err := yaml.Unmarshal(body, &f); err != nil {
		t.Fatalf("the edited file is not YAML: %v\n%s", err, body)
	}
	return f
}

func channels(steps []map[string]any) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s["channel"].(string))
	}
	return out
}

// TestEditItems: the form adds an item at the end of a list (a copy of the
// last, its code emptied, so that the check asks for one beside the field)
// and removes the items named, by their paths in the file as shown; the
// file keeps its comments; bad paths are errors naming them.
func TestEditItems(t *testing.T) {
	body := agreement.Default()
	before := readPlain(t, body)

	// Remove the 2nd and 5th steps (named twice: once is enough), add one.
	out, err := agreement.EditItems(body, []string{"sales.cadence[5]", "sales.cadence[2]", "sales.cadence[5]"}, "sales.cadence")
	if err != nil {
		t.Fatalf("EditItems = %v", err)
	}
	after := readPlain(t, out)
	want := channels(before.Sales.Cadence)
	want = append(want[:1], want[2:]...) // the 2nd
	want = append(want[:3], want[4:]...) // the 5th, now 4th
	want = append(want, want[len(want)-1])
	if got := channels(after.Sales.Cadence); !slices.Equal(got, want) {
		t.Errorf("cadence channels = %v; want %v", got, want)
	}
	if last, prev := after.Sales.Cadence[len(after.Sales.Cadence)-1], before.Sales.Cadence[len(before.Sales.Cadence)-1]; last["offset"] != prev["offset"] {
		t.Errorf("the added step's offset = %v; want the last step's %v", last["offset"], prev["offset"])
	}
	if !bytes.Contains(out, []byte("# the next day, call again")) {
		t.Errorf("the edited file lost its comments:\n%s", out)
	}
	if _, err := agreement.Parse("edited.yaml", out); err != nil {
		t.Errorf("Parse(cadence edited) = %v; want a valid file", err)
	}

	// An added reason has no code yet: the check names the new field.
	out, err = agreement.EditItems(body, nil, "reject_reasons")
	if err != nil {
		t.Fatalf("EditItems(add a reason) = %v", err)
	}
	n := len(before.RejectReasons) + 1
	if got := readPlain(t, out).RejectReasons; len(got) != n || got[n-1]["code"] != "" {
		t.Errorf("reasons after adding = %v; want %d with an empty code last", got, n)
	}
	_, err = agreement.Parse("edited.yaml", out)
	if err == nil || !strings.Contains(err.Error(), "reject_reasons["+strconv.Itoa(n)+"].code") {
		t.Errorf("Parse(a reason without a code) = %v; want a problem naming reject_reasons[%d].code", err, n)
	}

	if out, err := agreement.EditItems(body, nil, ""); err != nil || !bytes.Equal(out, body) {
		t.Errorf("EditItems(nothing) changed the file (%v)", err)
	}
	for _, bad := range []struct {
		remove []string
		add    string
		path   string
	}{
		{[]string{"sales.cadence[99]"}, "", "sales.cadence[99]"},
		{[]string{"sales.cadence[0]"}, "", "sales.cadence[0]"},
		{[]string{"sales"}, "", "sales"},
		{[]string{"business_hours.closed_dates[1]"}, "", "business_hours.closed_dates[1]"},
		{nil, "goal.revenue", "goal.revenue"},
		{nil, "business_hours.days", "business_hours.days"},
		{nil, "nothing.here", "nothing.here"},
	} {
		if _, err := agreement.EditItems(body, bad.remove, bad.add); err == nil || !strings.HasPrefix(err.Error(), bad.path+":") {
			t.Errorf("EditItems(remove %v, add %q) = %v; want an error naming %s", bad.remove, bad.add, err, bad.path)
		}
	}
}

// TestFormFieldsItems: a value in a list of items knows its item's path and
// its list's, which EditItems takes; other values have neither.
func TestFormFieldsItems(t *testing.T) {
	fs, err := agreement.FormFields(agreement.Default())
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]agreement.FormField{}
	for _, f := range fs {
		byPath[f.Path] = f
	}
	for path, want := range map[string][2]string{
		"sales.cadence[4].channel": {"sales.cadence[4]", "sales.cadence"},
		"stages[2].definition":     {"stages[2]", "stages"},
		"reject_reasons[1].code":   {"reject_reasons[1]", "reject_reasons"},
		"goal.revenue":             {"", ""},
		"business_hours.days":      {"", ""},
	} {
		f, ok := byPath[path]
		if !ok {
			t.Errorf("FormFields has no %s", path)
			continue
		}
		if f.ItemPath != want[0] || f.ListPath != want[1] {
			t.Errorf("%s: item %q list %q; want %q %q", path, f.ItemPath, f.ListPath, want[0], want[1])
		}
	}
	for list, noun := range map[string]string{"sales.cadence": "step", "stages": "stage", "pipeline.stages": "stage", "reject_reasons": "reason", "escalation": "level"} {
		if got := agreement.ListNoun(list); got != noun {
			t.Errorf("ListNoun(%s) = %q; want %q", list, got, noun)
		}
	}
}
