package reviews

import (
	"context"
	"errors"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// errTODO marks a rule not written yet.
var errTODO = errors.New("reviews: not implemented yet")

// Keyer turns a voter's openid into the review's VoterKey: HMAC-SHA256
// under a key derived from the data key, bound to the review id.
type Keyer struct {
	key []byte
}

// NewKeyer derives the ballot key from the deployment's data key.
func NewKeyer(dataKey []byte) *Keyer { return &Keyer{key: dataKey} }

// EnterPaper sets the paper ballots of a review.
func EnterPaper(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, ballots int, counts []models.ReviewPaperCount, now time.Time) error {
	return errTODO
}

// Close closes a review now.
func Close(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (View, error) {
	return View{}, errTODO
}

// CloseDue closes every review whose ClosesAt has passed (the job).
func CloseDue(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	return 0, errTODO
}

// TallyOf is a review's tally for its organiser.
func TallyOf(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (Tally, error) {
	return Tally{}, errTODO
}

// PublicTally is a published review's tally, for anyone.
func PublicTally(ctx context.Context, db *gorm.DB, id uint64) (Tally, error) {
	return Tally{}, errTODO
}

// DeputyResults are the published tallies of a deputy's reviews.
func DeputyResults(ctx context.Context, db *gorm.DB, deputyID uint64) ([]Tally, error) {
	return nil, errTODO
}

// OpenSlip is the ballot a slip opens.
func OpenSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, now time.Time) (view View, alreadyVoted bool, err error) {
	return View{}, false, errTODO
}

// CastWithSlip casts a voter's ballot with a slip.
func CastWithSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, b Ballot, now time.Time) error {
	return errTODO
}

// DeputyReviews are the reviews of departments a deputy may vote in.
func DeputyReviews(ctx context.Context, db *gorm.DB, k *Keyer, deputy models.Deputy, now time.Time) ([]View, []bool, error) {
	return nil, nil, errTODO
}

// CastAsDeputy casts a deputy's ballot on a review of departments.
func CastAsDeputy(ctx context.Context, db *gorm.DB, k *Keyer, id uint64, deputy models.Deputy, b Ballot, now time.Time) error {
	return errTODO
}
