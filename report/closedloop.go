package report

import (
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// ratings averages the reviews of each campaign's leads, to the hundredth
// (half up), in the order the store read them.
func ratings(sums []sqldb.RatingSum) []scorecard.Rating {
	out := make([]scorecard.Rating, 0, len(sums))
	for _, s := range sums {
		r := scorecard.Rating{Campaign: s.Campaign, Ratings: s.Ratings}
		if s.Ratings > 0 {
			r.Average = float64(int64(float64(s.Sum)/float64(s.Ratings)*100+0.5)) / 100
		}
		out = append(out, r)
	}
	return out
}
