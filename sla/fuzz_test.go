package sla_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sla"
)

// FuzzTouch: whatever touch comes at whatever point of a cadence, the
// engine's answer stays within the cadence and never goes back.
func FuzzTouch(f *testing.F) {
	a, err := agreement.Parse("default.yaml", agreement.Default())
	if err != nil {
		f.Fatalf("agreement.Parse: %v", err)
	}
	p, err := sla.New(a, 1)
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	from := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	f.Add("call", "voicemail", 0, int64(5), false, false)
	f.Add("email", "replied", 3, int64(3000), true, false)
	f.Add("meeting", "held", 8, int64(100000), false, true)
	f.Fuzz(func(t *testing.T, channel, outcome string, cur int, minutes int64, hot, connected bool) {
		cadence := tandem.CadenceMain
		if connected {
			cadence = tandem.CadenceConnected
		}
		n := len(p.Steps(cadence))
		if cur < 0 || cur > n {
			return
		}
		at := from.Add(time.Duration(minutes%(1<<20)) * time.Minute)
		tc := tandem.Touch{Channel: channel, Outcome: outcome}
		if tc.Validate(at) != nil {
			return
		}
		r := p.Touch(cadence, cur, from, hot, tc, at)
		last := cur - 1
		for _, k := range append(append([]int{}, r.Skipped...), r.Done...) {
			if k < cur || k >= n {
				t.Fatalf("touch %+v at step %d: step %d is outside %d..%d", tc, cur, k, cur, n-1)
			}
		}
		for _, k := range r.Done {
			if k <= last {
				t.Fatalf("touch %+v at step %d: done steps %v go back", tc, cur, r.Done)
			}
			last = k
		}
		switch {
		case r.End || r.Switch:
			if r.Next != -1 {
				t.Fatalf("touch %+v ends or switches the cadence, but the next step is %d", tc, r.Next)
			}
		case r.Next != -1 && (r.Next < cur || r.Next >= n):
			t.Fatalf("touch %+v at step %d: next step %d is outside the cadence", tc, cur, r.Next)
		}
		if r.Switch && !strings.Contains("connected held", tc.Outcome) {
			t.Fatalf("touch %+v switched the cadence without contact", tc)
		}
	})
}
