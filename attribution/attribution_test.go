package attribution

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
)

func day(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		m      Model
		amount int64
		n      int
		want   []int64
	}{
		{FirstTouch, 1000, 3, []int64{1000, 0, 0}},
		{LastTouch, 1000, 3, []int64{0, 0, 1000}},
		{Linear, 1000, 3, []int64{334, 333, 333}}, // the odd cent to the first
		{Linear, 1000, 4, []int64{250, 250, 250, 250}},
		{UShaped, 1000, 1, []int64{1000}},
		{UShaped, 1001, 2, []int64{501, 500}},
		{UShaped, 1000, 3, []int64{400, 200, 400}},
		{UShaped, 1000, 4, []int64{400, 100, 100, 400}},
		{UShaped, 1000, 5, []int64{402, 66, 66, 66, 400}}, // 200 over three: 66 each, 2 to the first
		{UShaped, 7, 3, []int64{2, 3, 2}},                 // ends 40% of 7 rounded down; the middle what is left
		{Linear, 0, 2, []int64{0, 0}},
		{Linear, 5, 0, []int64{5}},
	} {
		got := Split(tt.m, tt.amount, tt.n)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Split(%s, %d, %d) = %v; want %v", tt.m, tt.amount, tt.n, got, tt.want)
		}
	}
}

func TestAttribute(t *testing.T) {
	d := Deal{ID: 1, LeadID: 9, AmountCents: 100000, ClosedAt: day(20), Origin: "social", Touches: []Touch{
		{"webinar", "email", day(1)},
		{"ads", "paid_search", day(5)},
		{"webinar", "email", day(10)},
		{"guide", "", day(15)},      // no origin of its own: the lead's
		{"late", "social", day(25)}, // after the close: does not count
	}}
	for _, tt := range []struct {
		m         Model
		campaigns map[string]int64
		origins   map[string]int64
	}{
		{FirstTouch, map[string]int64{"webinar": 100000}, map[string]int64{"email": 100000}},
		{LastTouch, map[string]int64{"guide": 100000}, map[string]int64{"social": 100000}},
		{Linear, map[string]int64{"webinar": 50000, "ads": 25000, "guide": 25000},
			map[string]int64{"email": 50000, "paid_search": 25000, "social": 25000}},
		// 40% first (webinar), 40% last (guide), 10% each to ads and webinar.
		{UShaped, map[string]int64{"webinar": 50000, "ads": 10000, "guide": 40000},
			map[string]int64{"email": 50000, "paid_search": 10000, "social": 40000}},
	} {
		got := Attribute(tt.m, d)
		if diff := cmp.Diff(Credit{tt.campaigns, tt.origins}, got); diff != "" {
			t.Errorf("Attribute(%s) (-want +got):\n%s", tt.m, diff)
		}
	}
	// No touch at or before the close: (none), and the lead's origin.
	lone := Deal{AmountCents: 500, ClosedAt: day(2), Origin: "prospecting", Touches: []Touch{{"late", "x", day(3)}}}
	for _, m := range Models {
		want := Credit{map[string]int64{None: 500}, map[string]int64{"prospecting": 500}}
		if diff := cmp.Diff(want, Attribute(m, lone)); diff != "" {
			t.Errorf("Attribute(%s, no touch) (-want +got):\n%s", m, diff)
		}
	}
	lone.Origin = ""
	if got := Attribute(Linear, lone).Origins; got[None] != 500 {
		t.Errorf("Attribute(no touch, no origin).Origins = %v; want (none): 500", got)
	}
}

func TestParseModel(t *testing.T) {
	if m, err := ParseModel(""); m != UShaped || err != nil {
		t.Errorf(`ParseModel("") = %q, %v; want u_shaped`, m, err)
	}
	if m, err := ParseModel("linear"); m != Linear || err != nil {
		t.Errorf(`ParseModel("linear") = %q, %v; want linear`, m, err)
	}
	_, err := ParseModel("w_shaped")
	if f := tandem.ErrorFields(err); len(f) != 1 || f[0].Field != "model" {
		t.Errorf(`ParseModel("w_shaped") = %v; want an error naming model`, err)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(int64(1000), 3, 0)
	f.Add(int64(7), 5, 3)
	f.Add(int64(tandem.MaxAmountCents), 1000, 2)
	f.Fuzz(func(t *testing.T, amount int64, n, m int) {
		if amount < 0 || amount > tandem.MaxAmountCents*100 || n < 1 || n > 10000 {
			return
		}
		model := Models[(m%len(Models)+len(Models))%len(Models)]
		parts := Split(model, amount, n)
		if len(parts) != n {
			t.Fatalf("Split(%s, %d, %d) gave %d parts", model, amount, n, len(parts))
		}
		var sum int64
		for _, p := range parts {
			if p < 0 {
				t.Fatalf("Split(%s, %d, %d) = %v; a part is negative", model, amount, n, parts)
			}
			sum += p
		}
		if sum != amount {
			t.Fatalf("Split(%s, %d, %d) adds up to %d; want %d", model, amount, n, sum, amount)
		}
	})
}

// FuzzAttribute: whatever the touches, every model gives the whole amount
// out, to campaigns and to origins alike, and nothing negative.
func FuzzAttribute(f *testing.F) {
	f.Add(int64(100000), "abcab", uint8(3), int64(20))
	f.Add(int64(7), "a", uint8(0), int64(1))
	f.Fuzz(func(t *testing.T, amount int64, campaigns string, closeAt uint8, spacing int64) {
		if amount < 0 || amount > tandem.MaxAmountCents || len(campaigns) > 50 || spacing < 0 || spacing > 1000 {
			return
		}
		d := Deal{AmountCents: amount, ClosedAt: day(1).Add(time.Duration(closeAt) * time.Hour), Origin: "web"}
		for i := 0; i < len(campaigns); i++ {
			d.Touches = append(d.Touches, Touch{Campaign: campaigns[i : i+1], Origin: []string{"", "email", "social"}[i%3],
				At: day(1).Add(time.Duration(int64(i)*spacing) * time.Minute)})
		}
		for _, m := range Models {
			c := Attribute(m, d)
			for what, parts := range map[string]map[string]int64{"campaigns": c.Campaigns, "origins": c.Origins} {
				var sum int64
				for k, v := range parts {
					if v < 0 {
						t.Fatalf("Attribute(%s, %+v).%s[%q] = %d; negative", m, d, what, k, v)
					}
					sum += v
				}
				if sum != amount {
					t.Fatalf("Attribute(%s, %+v).%s adds up to %d; want %d", m, d, what, sum, amount)
				}
			}
		}
	})
}
