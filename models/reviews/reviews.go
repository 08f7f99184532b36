// Package reviews holds the rules of reviews (述职评议 and 代表评部门) over
// the data model in models (review.go): who may open a review and for
// whom, the one-time slips, casting a ballot, paper counts, closing, the
// tally and what goes into the deputy's record. docs/ARCHITECTURE.md#reviews.
package reviews

import (
	"time"

	"deputylink/models"
)

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
