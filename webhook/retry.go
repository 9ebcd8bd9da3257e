package webhook

import "time"

// retryWaits are the nominal waits before each retry of a delivery that
// failed: after the first attempt, 5 s; after the second, 5 min; and so on.
// They add up to 75 h 35 min 5 s, a little over three days, after which a
// delivery is dead-lettered (docs/integrations.md).
var retryWaits = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	14 * time.Hour,
	20 * time.Hour,
	24 * time.Hour,
}

// Attempts is how many times a delivery is tried in all: the first attempt
// and one retry per wait of the schedule.
var Attempts = len(retryWaits) + 1

// Jitter is the share of a wait that is random, either way: a wait of 10 h
// is drawn from 8 h to 12 h, so that a receiver that comes back is not hit
// by every delivery that failed at once.
const Jitter = 0.2

// Retry returns how long to wait before the next attempt of a delivery
// that has failed attempts times, and false when it has had all its
// [Attempts] and is dead. r, in [0, 1), draws the jitter: 0.5 gives the
// nominal wait, 0 the shortest and just under 1 the longest.
func Retry(attempts int, r float64) (time.Duration, bool) {
	if attempts < 1 || attempts >= Attempts {
		return 0, attempts < 1
	}
	r = min(max(r, 0), 1)
	w := retryWaits[attempts-1]
	return time.Duration(float64(w) * (1 - Jitter + 2*Jitter*r)), true
}
