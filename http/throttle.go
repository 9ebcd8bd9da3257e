package http

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle limits attempts per key (an email, a client address) with one
// token bucket each. Times come from the caller, so that tests drive it
// with the fake clock.
type throttle struct {
	every time.Duration // one attempt comes back per every
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// maxBuckets bounds the memory a flood of made-up emails can take: past
// it, buckets that are full again (idle keys) are dropped.
const maxBuckets = 10000

func newThrottle(every time.Duration, burst int) *throttle {
	return &throttle{every: every, burst: burst, buckets: map[string]*rate.Limiter{}}
}

// take takes one attempt for key at now. It reports whether there was one
// left, and returns a function that gives the attempt back (a sign-in that
// succeeded, or one refused for another reason, counts for nothing).
func (t *throttle) take(key string, now time.Time) (undo func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= maxBuckets {
			t.prune(now)
		}
		b = rate.NewLimiter(rate.Every(t.every), t.burst)
		t.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	undo = func() { r.CancelAt(now) }
	if !r.OK() || r.DelayFrom(now) > 0 {
		undo()
		return func() {}, false
	}
	return undo, true
}

// prune drops the buckets that have filled up again: forgetting them
// changes nothing.
func (t *throttle) prune(now time.Time) {
	for k, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
}
