package agreement_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
)

func formField(t *testing.T, fs []agreement.FormField, path string) agreement.FormField {
	t.Helper()
	for _, f := range fs {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("no form field %s", path)
	return agreement.FormField{}
}

// TestFormFields checks how the default agreement reads as a form, field by
// field, against the default file as written.
func TestFormFields(t *testing.T) {
	fs, err := agreement.FormFields(agreement.Default())
	if err != nil {
		t.Fatalf("FormFields(default): %v", err)
	}
	for _, want := range []agreement.FormField{
		{Path: "name", Section: "name", Label: "name", Value: "Sales and marketing agreement"},
		{Path: "sales.first_touch_within", Section: "sales", Label: "first touch within", Value: "10m"},
		{Path: "stages[2].entry", Section: "stages", Label: "entry", Item: "stage mql", ItemPath: "stages[2]", ListPath: "stages", Value: `score >= 60 and email != ""`},
		{Path: "sales.cadence[4].offset", Section: "sales", Label: "offset", Item: "step 4", ItemPath: "sales.cadence[4]", ListPath: "sales.cadence", Value: "1d"},
		{Path: "business_hours.days", Section: "business_hours", Label: "days", Value: "mon, tue, wed, thu, fri", List: true},
		{Path: "business_hours.time_zone", Section: "business_hours", Label: "time zone", Value: "America/New_York", Hint: "an IANA time zone name"},
		{Path: "reject_reasons[4].after_cadence", Section: "reject_reasons", Label: "after cadence", Item: "reason duplicate", ItemPath: "reject_reasons[4]", ListPath: "reject_reasons", Value: "false"},
		{Path: "pipeline.stages[2].probability", Section: "pipeline", Label: "probability", Item: "stage proposal", ItemPath: "pipeline.stages[2]", ListPath: "pipeline.stages", Value: "0.5"},
	} {
		if got := formField(t, fs, want.Path); got != want {
			t.Errorf("form field %s = %+v; want %+v", want.Path, got, want)
		}
	}
	if d := formField(t, fs, "stages[1].definition"); !d.Long || !strings.HasPrefix(d.Value, "Anyone we can reach") {
		t.Errorf("stages[1].definition = %+v; want the long text of the lead stage", d)
	}
}

// TestApplyForm writes form answers into the default file and reads the
// result with Parse: the answers land, the rest stays, comments survive.
func TestApplyForm(t *testing.T) {
	def := agreement.Default()
	same, err := agreement.ApplyForm(def, map[string]string{"sales.first_touch_within": "10m", "business_hours.days": "mon,tue, wed ,thu,fri"})
	if err != nil || string(same) != string(def) {
		t.Errorf("ApplyForm with the file's own values changed the file (err %v)", err)
	}
	out, err := agreement.ApplyForm(def, map[string]string{
		"sales.first_touch_within": "15m",
		"business_hours.days":      "mon, tue, wed",
		"business_hours.open":      "08:30",
		"stages[2].entry":          `score >= 70 and email != ""`,
		"stages[1].definition":     "Anyone who may buy.\nNobody has checked them yet.",
		"goal.revenue":             "1500000",
	})
	if err != nil {
		t.Fatalf("ApplyForm: %v", err)
	}
	a, err := agreement.Parse("form", out)
	if err != nil {
		t.Fatalf("Parse(the form's file): %v\n%s", err, out)
	}
	if a.Sales.FirstTouchWithin.String() != "15m" {
		t.Errorf("first touch within = %v; want 15m", a.Sales.FirstTouchWithin)
	}
	if got := a.BusinessHours.Days; len(got) != 3 || got[0] != time.Monday || got[2] != time.Wednesday {
		t.Errorf("business days = %v; want Monday to Wednesday", got)
	}
	if a.Goal.Revenue != 1500000 {
		t.Errorf("goal revenue = %v; want 1500000", a.Goal.Revenue)
	}
	if !strings.Contains(string(out), "# call within the first 10 minutes") || !strings.Contains(string(out), "# The agreement between marketing and sales.") {
		t.Errorf("the form's file lost the comments:\n%s", out)
	}
	if !strings.Contains(string(out), "Nobody has checked them yet.") {
		t.Errorf("the new definition is not in the file:\n%s", out)
	}
	if _, err := agreement.ApplyForm(def, map[string]string{"sales.first_touch_withn": "5m"}); err == nil || !strings.Contains(err.Error(), "sales.first_touch_withn") {
		t.Errorf("ApplyForm(an unknown path) = %v; want an error naming it", err)
	}
}

// TestFormProblemsNameTheField checks that a bad value typed in a field
// gives a problem whose field is that field's path, so the page shows it
// beside the field.
func TestFormProblemsNameTheField(t *testing.T) {
	for path, bad := range map[string]string{
		"sales.first_touch_within":       "banana",
		"stages[2].entry":                "score >=",
		"sales.cadence[4].offset":        "-3",
		"routing.capacity":               "many",
		"pipeline.stages[2].probability": "7",
		"business_hours.time_zone":       "Mars/Olympus",
		"business_hours.open":            "25:00",
	} {
		out, err := agreement.ApplyForm(agreement.Default(), map[string]string{path: bad})
		if err != nil {
			t.Errorf("ApplyForm(%s=%q): %v", path, bad, err)
			continue
		}
		_, err = agreement.Parse("form", out)
		ps, ok := err.(*agreement.Problems)
		if !ok {
			t.Errorf("Parse after %s=%q = %v; want problems", path, bad, err)
			continue
		}
		found := false
		for _, p := range ps.List {
			found = found || strings.HasPrefix(p.Message, path+": ")
		}
		if !found {
			t.Errorf("problems after %s=%q name other fields: %v", path, bad, ps.List)
		}
	}
}

func FuzzApplyForm(f *testing.F) {
	f.Add("sales.first_touch_within", "15m")
	f.Add("business_hours.days", "mon, , sat")
	f.Add("stages[1].definition", "a: b\n- c\n'\"")
	f.Add("name", "&anchor *alias")
	f.Fuzz(func(t *testing.T, path, value string) {
		out, err := agreement.ApplyForm(agreement.Default(), map[string]string{path: value})
		if err != nil {
			return
		}
		if _, err := agreement.FormFields(out); err != nil {
			t.Fatalf("the form's own file (%s=%q) does not read back: %v", path, value, err)
		}
		fs, _ := agreement.FormFields(out)
		for _, fl := range fs {
			if fl.Path == path && !fl.List && strings.TrimSpace(fl.Value) != strings.TrimSpace(strings.ReplaceAll(value, "\r\n", "\n")) {
				t.Fatalf("%s = %q after writing %q", path, fl.Value, value)
			}
		}
	})
}
