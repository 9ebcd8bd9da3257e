package http

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sign-in throttling follows the usual pattern (OWASP's Authentication
// and Credential Stuffing cheat sheets): a limit per client address
// against one address trying many emails, and a lockout per (address,
// email) pair against one address guessing one password. Nothing is
// counted per email alone, so an attacker's failures never refuse the
// owner's right password from another address. Only failures count: a
// right password gives its attempt back and clears the pair.
const (
	// Per address: 20 failures at once, then one more every 6 seconds
	// (10 a minute), for an office signing in through one address.
	addrEvery = 6 * time.Second
	addrBurst = 20
	// Per (address, email): after 5 failures in a row the pair is locked
	// for 15 minutes; each failure after that locks it again, until a day
	// passes without one (then the pair is forgotten) or the right
	// password is given. So a guesser gets 5 tries, then 4 an hour.
	pairFailures = 5
	pairLockout  = 15 * time.Minute
	pairForget   = 24 * time.Hour
	// The memory is bounded: at most this many addresses and pairs are
	// remembered; past that, the one whose last failure is the oldest is
	// forgotten first.
	maxAddrs = 20000
	maxPairs = 50000
)

// throttle holds the sign-in attempts. Times come from the caller, so
// that tests drive it with the fake clock.
type throttle struct {
	mu    sync.Mutex
	addrs *table[*rate.Limiter]
	pairs *table[*failures]
}

// failures are a pair's failed attempts in a row, and when the last was.
type failures struct {
	n    int
	last time.Time
}

func newThrottle() *throttle {
	// An address's bucket is full again addrBurst*addrEvery after its last
	// attempt: forgetting it then changes nothing.
	return &throttle{addrs: newTable[*rate.Limiter](maxAddrs, addrBurst*addrEvery), pairs: newTable[*failures](maxPairs, pairForget)}
}

// attempt is one sign-in attempt let through. It counts as a failure
// unless [attempt.succeeded] or [attempt.cancel] is called.
type attempt struct {
	t        *throttle
	now      time.Time
	pair     string
	undoAddr func()
}

// begin lets an attempt from addr (a [throttleKey]) for email ("" for none:
// setup) through, or says how long to wait. An attempt let through is
// counted as a failure at once, so that many attempts at the same time
// cannot overrun the limits.
func (t *throttle) begin(addr, email string, now time.Time) (a attempt, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	pair := ""
	var f *failures
	if email != "" {
		pair = addr + "\x00" + email
		f, _ = t.pairs.get(pair, now)
		if f != nil && f.n >= pairFailures {
			if until := f.last.Add(pairLockout); now.Before(until) {
				return attempt{}, until.Sub(now)
			}
		}
	}
	b, ok := t.addrs.get(addr, now)
	if !ok {
		b = rate.NewLimiter(rate.Every(addrEvery), addrBurst)
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); !r.OK() || d > 0 {
		r.CancelAt(now)
		return attempt{}, max(d, time.Second)
	}
	t.addrs.put(addr, b, now)
	if pair != "" {
		if f == nil {
			f = &failures{}
		}
		f.n++
		f.last = now
		t.pairs.put(pair, f, now)
	}
	return attempt{t: t, now: now, pair: pair, undoAddr: func() { r.CancelAt(now) }}, 0
}

// succeeded records that the attempt gave the right password: the address
// gets its attempt back and the pair's failures are forgotten.
func (a attempt) succeeded() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.undoAddr()
	if a.pair != "" {
		a.t.pairs.delete(a.pair)
	}
}

// cancel gives the attempt back: it checked no password.
func (a attempt) cancel() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.undoAddr()
	if f, ok := a.t.pairs.get(a.pair, a.now); ok && f.n > 0 {
		f.n--
	}
}

// table is a map whose entries are forgotten ttl after they were last put,
// and that holds at most max of them: putting one more forgets the one put
// longest ago. Entries are kept in the order they were last put, so both
// take constant time.
type table[V any] struct {
	max   int
	ttl   time.Duration
	order *list.List // of *entry[V], the least recently put first
	byKey map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
	put   time.Time
}

func newTable[V any](max int, ttl time.Duration) *table[V] {
	return &table[V]{max: max, ttl: ttl, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns key's value, unless it is forgotten by now.
func (t *table[V]) get(key string, now time.Time) (V, bool) {
	t.expire(now)
	if e, ok := t.byKey[key]; ok {
		return e.Value.(*entry[V]).value, true
	}
	var zero V
	return zero, false
}

// put sets key's value as of now.
func (t *table[V]) put(key string, v V, now time.Time) {
	t.expire(now)
	if e, ok := t.byKey[key]; ok {
		en := e.Value.(*entry[V])
		en.value, en.put = v, now
		t.order.MoveToBack(e)
		return
	}
	for t.order.Len() >= t.max {
		t.delete(t.order.Front().Value.(*entry[V]).key)
	}
	t.byKey[key] = t.order.PushBack(&entry[V]{key: key, value: v, put: now})
}

func (t *table[V]) delete(key string) {
	if e, ok := t.byKey[key]; ok {
		t.order.Remove(e)
		delete(t.byKey, key)
	}
}

// expire forgets the entries put ttl or more before now.
func (t *table[V]) expire(now time.Time) {
	for e := t.order.Front(); e != nil; e = t.order.Front() {
		en := e.Value.(*entry[V])
		if now.Sub(en.put) < t.ttl {
			return
		}
		t.order.Remove(e)
		delete(t.byKey, en.key)
	}
}

// len is how many entries the table holds.
func (t *table[V]) len() int { return t.order.Len() }
