package jobs

import (
	"context"
	"time"

	"deputylink/models/reviews"
)

// JobCloseReviews closes the reviews (述职评议, 代表评部门) their organiser
// left open once reviews.CloseGrace has passed after their ClosesAt:
// the tally becomes final, is published if it has enough ballots, and
// goes into the deputies' records (reviews.CloseDue, idempotent).
const JobCloseReviews = "close-reviews"

// closeReviewsEvery is how often the job looks for reviews to close.
const closeReviewsEvery = 5 * time.Minute

// CloseReviews closes the reviews that are due and returns how many.
func CloseReviews(ctx context.Context, d Deps, now time.Time) (int, error) {
	return reviews.CloseDue(ctx, d.DB, now)
}
