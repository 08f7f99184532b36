// Package reviews holds the rules of reviews (述职评议 and 代表评部门) over
// the data model in models (review.go): who may open a review and for
// whom, the one-time slips, casting a ballot, paper counts, closing, the
// tally and what goes into the deputy's record. docs/ARCHITECTURE.md#reviews.
package reviews

import (
	"context"
	"errors"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// errTODO marks a rule not written yet (this file is the contract the
// pages and the API are built against).
var errTODO = errors.New("reviews: not implemented yet")

// NewReview is what an organiser fills in to open a review.
type NewReview struct {
	Kind  models.ReviewKind
	Title string
	// Level and Township name the organiser; they must be the scope's own
	// (an admin: LevelCounty; a township user: LevelTownship and its township).
	Level    models.Level
	Township string
	Date     string // local "2006-01-02"
	Place    string
	// Dimensions default to DefaultReviewDimensions or
	// DefaultDepartmentDimensions when empty.
	Dimensions []string
	OpensAt    time.Time
	ClosesAt   time.Time
	// MinBallots defaults to DefaultReviewMinBallots when 0.
	MinBallots int
	// SubjectIDs are deputies (ReviewOfDeputies: directly elected, of the
	// organiser's level and township) or departments.
	SubjectIDs []uint64
	// Slips is how many one-time slips to make (the invited voter
	// representatives); reviews of departments take none.
	Slips int
}

// Status is where a review is, as its pages say it.
type Status string

// Statuses.
const (
	StatusScheduled Status = "scheduled" // 未开始
	StatusOpen      Status = "open"      // 进行中
	StatusClosed    Status = "closed"    // 已结束
)

// Label is the Chinese name of the status.
func (s Status) Label() string {
	switch s {
	case StatusScheduled:
		return "未开始"
	case StatusOpen:
		return "进行中"
	case StatusClosed:
		return "已结束"
	}
	return string(s)
}

// Subject is one subject as the pages show it.
type Subject struct {
	ID       uint64
	Name     string
	Duties   string // deputy's post, or "" for a department
	PhotoURL string
}

// View is a review with its subjects, status and counts.
type View struct {
	Review     models.Review
	Status     Status
	Dimensions []string
	Subjects   []Subject
	// Slips and SlipsUsed count the printed slips and those used.
	Slips, SlipsUsed int
	// Ballots counts online ballots (not paper ones: Review.PaperBallots).
	Ballots int
	// Published: closed with at least MinBallots ballots in all.
	Published bool
}

// Count is the tally of one subject on one dimension.
type Count struct {
	Dimension   string
	Satisfied   int
	Fair        int
	Unsatisfied int
}

// Total is the number of marks.
func (c Count) Total() int { return c.Satisfied + c.Fair + c.Unsatisfied }

// SubjectTally is one subject's counts per dimension.
type SubjectTally struct {
	Subject Subject
	Counts  []Count
	// Comments are the ballots' comments on the subject, in random order.
	Comments []string
}

// Tally is a review's result: online and paper ballots added up.
type Tally struct {
	View     View
	Ballots  int // online + paper
	Subjects []SubjectTally
}

// Ballot is what a voter casts: a mark per subject and dimension, and an
// optional comment per subject.
type Ballot struct {
	Marks    []models.BallotMark
	Comments []models.BallotComment
}

// Voter is who casts a ballot: the keyed hash is computed from the openid
// by Keyer; the openid itself is never stored.
type Voter struct {
	OpenID string
}

// Keyer turns a voter's openid into the review's VoterKey: HMAC-SHA256
// under a key derived from the data key, bound to the review id.
type Keyer struct {
	key []byte
}

// NewKeyer derives the ballot key from the deployment's data key.
func NewKeyer(dataKey []byte) *Keyer { return &Keyer{key: dataKey} }

// Create opens a review (and makes its slips). Only the organiser of the
// subjects may: ErrNotOrganiser otherwise; ErrNotDirectlyElected for a
// deputy who is not a county or township deputy.
func Create(ctx context.Context, db *gorm.DB, sc models.ManageScope, in NewReview, now time.Time) (models.Review, error) {
	return models.Review{}, errTODO
}

// List lists the reviews the scope organises, newest first.
func List(ctx context.Context, db *gorm.DB, sc models.ManageScope, now time.Time) ([]View, error) {
	return nil, errTODO
}

// Get is one review the scope organises.
func Get(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (View, error) {
	return View{}, errTODO
}

// Slips lists a review's slips for printing.
func Slips(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) ([]models.BallotSlip, error) {
	return nil, errTODO
}

// EnterPaper sets the paper ballots of a review: how many there were and
// the count of each mark (replacing what was entered before). Refused
// after the review closed.
func EnterPaper(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, ballots int, counts []models.ReviewPaperCount, now time.Time) error {
	return errTODO
}

// Close closes a review now: its tally is final, published if it has
// MinBallots, and written into each deputy's record.
func Close(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (View, error) {
	return View{}, errTODO
}

// CloseDue closes every review whose ClosesAt has passed (the job).
func CloseDue(ctx context.Context, db *gorm.DB, now time.Time) (int, error) {
	return 0, errTODO
}

// TallyOf is a review's tally for its organiser, at any time (the
// organiser sees the counts grow; comments only after it closes).
func TallyOf(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, now time.Time) (Tally, error) {
	return Tally{}, errTODO
}

// PublicTally is a published review's tally, for anyone: ErrResultHidden
// until the review closed with MinBallots.
func PublicTally(ctx context.Context, db *gorm.DB, id uint64) (Tally, error) {
	return Tally{}, errTODO
}

// DeputyResults are the published tallies of a deputy's reviews, newest
// first (for the deputy's public page and record).
func DeputyResults(ctx context.Context, db *gorm.DB, deputyID uint64) ([]Tally, error) {
	return nil, errTODO
}

// OpenSlip is the ballot a slip opens (the scan landing): the review, its
// subjects and dimensions; ErrSlipUnknown, ErrSlipUsed, or the window's
// refusals. AlreadyVoted tells the voter they have voted in this review.
func OpenSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, now time.Time) (view View, alreadyVoted bool, err error) {
	return View{}, false, errTODO
}

// CastWithSlip casts a voter's ballot with a slip: ErrSlipUnknown,
// ErrSlipUsed, ErrAlreadyVoted, ErrReviewNotOpen, ErrReviewClosed, or a
// validation error for a ballot that does not mark every subject on every
// dimension.
func CastWithSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, b Ballot, now time.Time) error {
	return errTODO
}

// DeputyReviews are the open and closed reviews of departments a deputy
// may vote in, with whether they voted.
func DeputyReviews(ctx context.Context, db *gorm.DB, k *Keyer, deputy models.Deputy, now time.Time) ([]View, []bool, error) {
	return nil, nil, errTODO
}

// CastAsDeputy casts a deputy's ballot on a review of departments, keyed by
// their official-account openid.
func CastAsDeputy(ctx context.Context, db *gorm.DB, k *Keyer, id uint64, deputy models.Deputy, b Ballot, now time.Time) error {
	return errTODO
}
