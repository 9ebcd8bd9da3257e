package sla

import "github.com/tandemhq/tandem/agreement"

// Candidate is a rep a hand-off may be routed to.
type Candidate struct {
	UserID int64
	// Weight is the rep's share of hand-offs relative to the others (1 for
	// round robin).
	Weight int
	// Open counts the leads the rep holds in working stages.
	Open int
	// Credit is the rep's running balance in the pool (smooth weighted
	// round robin); the store keeps it between hand-offs.
	Credit int64
	// Absent reps are never picked and earn no credit.
	Absent bool
}

// Pick chooses the rep for the next hand-off of a pool by smooth weighted
// round robin: every available rep earns its weight in credit, the rep with
// the most credit (the lowest user id on a tie) wins and pays back the sum of
// the weights. With equal weights this is plain round robin in user id
// order; a rep who is absent or at capacity is skipped and earns nothing, so
// coming back brings no burst of leads. Pick updates the credits and the
// winner's open count in place and returns its index, or -1 when no rep is
// available. capacity 0 means no cap.
func Pick(cands []Candidate, capacity int) int {
	best, total := -1, int64(0)
	for i := range cands {
		c := &cands[i]
		if c.Absent || capacity > 0 && c.Open >= capacity {
			continue
		}
		w := int64(max(c.Weight, 1))
		c.Credit += w
		total += w
		if best < 0 || c.Credit > cands[best].Credit || c.Credit == cands[best].Credit && c.UserID < cands[best].UserID {
			best = i
		}
	}
	if best >= 0 {
		cands[best].Credit -= total
		cands[best].Open++
	}
	return best
}

// Pool returns the routing pool of a lead whose routing field has the value
// v: the team the agreement names for it under by_field routing, or "" for
// every rep.
func Pool(r agreement.Routing, v string) string {
	if r.Method != agreement.ByField || v == "" {
		return ""
	}
	return r.Teams[v]
}

// Weighted reports whether reps' weights count under the routing.
func Weighted(r agreement.Routing) bool { return r.Method == agreement.Weighted }
