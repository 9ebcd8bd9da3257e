package agreement

import (
	"slices"
	"testing"
)

func TestKeys(t *testing.T) {
	body := "format: 1\nname: x\nsales:\n  first_touch: 10m\n  cadence:\n    - channel: call\n      offset: 0m\ngoal:\n  revenue: 100\n"
	got, err := Keys([]byte(body))
	want := []string{"format", "goal", "goal.revenue", "name", "sales", "sales.cadence", "sales.first_touch"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Keys = %v, %v; want %v", got, err, want)
	}
	if _, err := Keys([]byte("a: [")); err == nil {
		t.Errorf("Keys(broken YAML) = nil error; want one")
	}
	def, err := Keys(Default())
	if err != nil || !slices.Contains(def, "goal") || !slices.Contains(def, "business_hours.time_zone") {
		t.Errorf("Keys(default) = %v, %v; want goal and business_hours.time_zone among them", def, err)
	}
}

// FuzzKeys: any file gives keys or an error, never a panic, at most
// MaxKeys of them, none of them empty.
func FuzzKeys(f *testing.F) {
	f.Add(string(Default()))
	f.Add("a:\n  b:\n    c: 1\n")
	f.Add("a: &x {b: 1}\nc: *x\n")
	f.Add("- 1\n- 2\n")
	f.Fuzz(func(t *testing.T, body string) {
		keys, err := Keys([]byte(body))
		if err != nil {
			return
		}
		if len(keys) > MaxKeys || !slices.IsSorted(keys) {
			t.Fatalf("Keys gave %d keys, sorted %v", len(keys), slices.IsSorted(keys))
		}
		for _, k := range keys {
			if k == "" {
				t.Fatalf("Keys gave %q", k)
			}
		}
	})
}
