package access_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
)

// TestBelow: a manager's team is everyone under them at any depth, never
// themselves; a loop in bad data still ends.
func TestBelow(t *testing.T) {
	users := []tandem.User{
		{ID: 1},               // the head
		{ID: 2, ManagerID: 1}, // a manager
		{ID: 3, ManagerID: 1}, // another
		{ID: 4, ManagerID: 2}, // reps
		{ID: 5, ManagerID: 2},
		{ID: 6, ManagerID: 3},
		{ID: 7, ManagerID: 6},  // below a rep
		{ID: 8},                // nobody's
		{ID: 9, ManagerID: 10}, // a loop
		{ID: 10, ManagerID: 9},
	}
	reports := access.Reports(users)
	for id, want := range map[int64][]int64{
		1: {2, 3, 4, 5, 6, 7},
		2: {4, 5},
		3: {6, 7},
		4: nil,
		8: nil,
		9: {10},
	} {
		got := slices.Sorted(maps.Keys(access.Below(reports, id)))
		if !slices.Equal(got, want) {
			t.Errorf("Below(%d) = %v; want %v", id, got, want)
		}
	}
}
