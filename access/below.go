package access

import "github.com/tandemhq/tandem"

// Below returns the users below id in the manager chain, at any distance,
// given each manager's direct reports ([Reports]); nil when id manages
// nobody. It is the one reading of "a manager's team": the lead rule's
// Caller.Below and the pages' team scopes both come from it. The chain has
// no loops (the store refuses them); a loop would still end, each user
// counted once.
func Below(reports map[int64][]int64, id int64) map[int64]bool {
	var out map[int64]bool
	next := []int64{id}
	for len(next) > 0 {
		m := next[0]
		next = next[1:]
		for _, r := range reports[m] {
			if r == id || out[r] {
				continue
			}
			if out == nil {
				out = map[int64]bool{}
			}
			out[r] = true
			next = append(next, r)
		}
	}
	return out
}

// Reports maps each manager's id to their direct reports' ids.
func Reports(users []tandem.User) map[int64][]int64 {
	reports := map[int64][]int64{}
	for _, u := range users {
		if u.ManagerID != 0 {
			reports[u.ManagerID] = append(reports[u.ManagerID], u.ID)
		}
	}
	return reports
}
