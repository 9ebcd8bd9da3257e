package report

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

func TestRatings(t *testing.T) {
	tests := []struct {
		in   []sqldb.RatingSum
		want []scorecard.Rating
	}{
		{nil, []scorecard.Rating{}},
		{[]sqldb.RatingSum{{Campaign: "spring", Ratings: 1, Sum: 4}}, []scorecard.Rating{{Campaign: "spring", Ratings: 1, Average: 4}}},
		// 11/3 = 3.666… → 3.67; 7/6 = 1.1666… → 1.17; 9/8 = 1.125 → 1.13 (half up).
		{[]sqldb.RatingSum{{Campaign: "", Ratings: 3, Sum: 11}, {Campaign: "ads", Ratings: 6, Sum: 7}, {Campaign: "fair", Ratings: 8, Sum: 9}},
			[]scorecard.Rating{{Campaign: "", Ratings: 3, Average: 3.67}, {Campaign: "ads", Ratings: 6, Average: 1.17}, {Campaign: "fair", Ratings: 8, Average: 1.13}}},
		{[]sqldb.RatingSum{{Campaign: "none", Ratings: 0, Sum: 0}}, []scorecard.Rating{{Campaign: "none"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ratings(tt.in)); diff != "" {
			t.Errorf("ratings(%v) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestSumGroups checks that the counts of all leads are the sum of every
// origin's, and nil (as MovedOn leaves them) when no lead moved on.
func TestSumGroups(t *testing.T) {
	if got := sumGroups(map[string][]int{}); got != nil {
		t.Errorf("sumGroups(no group) = %v; want nil", got)
	}
	got := sumGroups(map[string][]int{"email": {3, 0, 1}, "": {1, 1, 0}, "social": {0, 2, 5}})
	if want := []int{3 + 1 + 0, 0 + 1 + 2, 1 + 0 + 5}; !slices.Equal(got, want) {
		t.Errorf("sumGroups = %v; want %v", got, want)
	}
}
