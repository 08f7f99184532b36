package models

import (
	"strings"
	"time"
)

// Reviews (述职评议, "面对面述职，背靠背测评"): once a year directly elected
// deputies report to the voters of their constituency, who rate them
// anonymously; the same form runs the other way, deputies rating
// departments (代表评部门). docs/ARCHITECTURE.md#reviews.
//
// This file is the data model; the rules (who may open a review, slips,
// casting, the tally and what goes into the record) live in models/reviews.
//
// Anonymity is a property of the rows: a Ballot keeps no voter id, its id is
// random, it keeps the day it was cast and not the time, and the one-ballot-
// per-voter rule is a unique index on a keyed hash of the voter's stable
// WeChat identity (the openid), never on our voter row, so a voter who
// deletes their data and signs in again still cannot vote twice, and the
// hash cannot be turned back into the openid without the server's key.

// ReviewKind is who rates whom.
type ReviewKind string

// Review kinds.
const (
	// ReviewOfDeputies: voters rate deputies (选民评代表), with one-time slips
	// handed out at the meeting, in the mini-program.
	ReviewOfDeputies ReviewKind = "deputies"
	// ReviewOfDepartments: deputies rate departments (代表评部门), on the
	// deputies' own web pages under their official-account identity.
	ReviewOfDepartments ReviewKind = "departments"
)

// Label is the Chinese name of the kind.
func (k ReviewKind) Label() string {
	switch k {
	case ReviewOfDeputies:
		return "选民评议代表"
	case ReviewOfDepartments:
		return "代表评议部门"
	}
	return string(k)
}

// Rating is one mark on one dimension.
type Rating string

// Ratings, best first.
const (
	RatingSatisfied   Rating = "satisfied"   // 满意
	RatingFair        Rating = "fair"        // 基本满意
	RatingUnsatisfied Rating = "unsatisfied" // 不满意
)

// Ratings lists the marks in the order a ballot shows them.
var Ratings = []Rating{RatingSatisfied, RatingFair, RatingUnsatisfied}

// Label is the Chinese name of the mark.
func (r Rating) Label() string {
	switch r {
	case RatingSatisfied:
		return "满意"
	case RatingFair:
		return "基本满意"
	case RatingUnsatisfied:
		return "不满意"
	}
	return string(r)
}

// Valid reports whether r is a known mark.
func (r Rating) Valid() bool {
	return r == RatingSatisfied || r == RatingFair || r == RatingUnsatisfied
}

// DefaultReviewDimensions are the five dimensions a review of deputies
// rates unless its organiser names others.
var DefaultReviewDimensions = []string{"联系群众", "反映民意", "依法履职", "办理实效", "总体评价"}

// DefaultDepartmentDimensions are those of a review of departments.
var DefaultDepartmentDimensions = []string{"工作作风", "依法行政", "办理代表建议", "工作实效", "总体评价"}

// DefaultReviewMinBallots is the least number of ballots a review must
// have for its result to be shown: below it one voter's choice could be
// read off the tally.
const DefaultReviewMinBallots = 10

// Review is one review meeting (a 述职评议 or a 代表评部门), opened by its
// organiser for one or more subjects. Times are UTC.
type Review struct {
	ID    uint64     `gorm:"primaryKey" json:"id"`
	Kind  ReviewKind `gorm:"size:16;not null;index" json:"kind"`
	Title string     `gorm:"size:100;not null" json:"title"`
	// Level and Township name the organiser: the county standing committee
	// (LevelCounty, Township "") for county deputies, a township's 主席团
	// (LevelTownship, its Station.District) for that township's deputies.
	// For a review of departments, the deputies of that level (and
	// township) are its voters.
	Level    Level  `gorm:"size:16;not null" json:"level"`
	Township string `gorm:"size:50;not null;default:''" json:"township"`
	// Date is the meeting's local date ("2006-01-02"); Place where it is.
	Date  string `gorm:"size:10;not null" json:"date"`
	Place string `gorm:"size:100;not null" json:"place"`
	// Dimensions are the rated dimensions, joined by "|" (see DimensionList).
	Dimensions string `gorm:"size:500;not null" json:"-"`
	// OpensAt and ClosesAt bound when ballots are taken (normally the
	// meeting itself).
	OpensAt  time.Time `gorm:"not null" json:"opens_at"`
	ClosesAt time.Time `gorm:"not null" json:"closes_at"`
	// MinBallots is the least number of ballots (online and paper) for the
	// result to be shown.
	MinBallots int `gorm:"not null" json:"min_ballots"`
	// PaperBallots is how many paper ballots were entered as counts.
	PaperBallots int `gorm:"not null;default:0" json:"paper_ballots"`
	// ClosedAt is set when the organiser closes the review (or the close
	// job does after ClosesAt); the tally is final from then on and is
	// published when it has MinBallots.
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	CreatedByStaffID uint64     `gorm:"not null" json:"-"`
	CreatedAt        time.Time  `json:"-"`
	UpdatedAt        time.Time  `json:"-"`
}

// DimensionList is the review's dimensions in order.
func (r Review) DimensionList() []string {
	if r.Dimensions == "" {
		return nil
	}
	return strings.Split(r.Dimensions, "|")
}

// ReviewSubject is one deputy (ReviewOfDeputies) or department
// (ReviewOfDepartments) put to a review.
type ReviewSubject struct {
	ReviewID uint64 `gorm:"primaryKey;autoIncrement:false" json:"review_id"`
	// SubjectID has its own index: a deputy's public page looks up the
	// reviews they were put to.
	SubjectID uint64 `gorm:"primaryKey;autoIncrement:false;index" json:"subject_id"`
	SortOrder int    `gorm:"not null;default:0" json:"-"`
}

// BallotSlip is one printed one-time ballot code, handed to one invited
// voter representative at the door. It keeps no time and no link to who
// used it; Used is set in the transaction that writes its ballot.
type BallotSlip struct {
	ID       uint64 `gorm:"primaryKey" json:"-"`
	ReviewID uint64 `gorm:"not null;index" json:"-"`
	// Code is the random code printed on the slip and in its QR.
	Code string `gorm:"size:32;not null;uniqueIndex" json:"code"`
	Used bool   `gorm:"not null;default:false" json:"used"`
}

// Ballot is one cast ballot. Its id is random; it keeps no voter id and no
// time finer than the day. The unique indexes enforce one ballot per slip
// and one per voter per review.
type Ballot struct {
	ID       string `gorm:"primaryKey;size:32" json:"-"`
	ReviewID uint64 `gorm:"not null;uniqueIndex:idx_ballot_voter,priority:1" json:"-"`
	// SlipID is the slip it was cast with (reviews of deputies); nil for a
	// deputy's ballot on departments.
	SlipID *uint64 `gorm:"uniqueIndex" json:"-"`
	// VoterKey is HMAC-SHA256 of the voter's openid under a key derived from
	// the data key and the review id, hex.
	VoterKey string `gorm:"size:64;not null;uniqueIndex:idx_ballot_voter,priority:2" json:"-"`
	// CastOn is the local date it was cast.
	CastOn string `gorm:"size:10;not null" json:"-"`
}

// BallotMark is one mark of a ballot: a subject's rating on a dimension
// (its index in DimensionList).
type BallotMark struct {
	BallotID  string `gorm:"primaryKey;size:32" json:"-"`
	SubjectID uint64 `gorm:"primaryKey;autoIncrement:false" json:"subject_id"`
	Dimension int    `gorm:"primaryKey;autoIncrement:false" json:"dimension"`
	Rating    Rating `gorm:"size:12;not null" json:"rating"`
}

// BallotComment is a ballot's optional comment on one subject.
type BallotComment struct {
	BallotID  string `gorm:"primaryKey;size:32" json:"-"`
	SubjectID uint64 `gorm:"primaryKey;autoIncrement:false" json:"subject_id"`
	Text      string `gorm:"size:500;not null" json:"text"`
}

// ReviewPaperCount is the count of one mark on paper ballots, entered by
// the organiser after the meeting.
type ReviewPaperCount struct {
	ReviewID  uint64 `gorm:"primaryKey;autoIncrement:false" json:"review_id"`
	SubjectID uint64 `gorm:"primaryKey;autoIncrement:false" json:"subject_id"`
	Dimension int    `gorm:"primaryKey;autoIncrement:false" json:"dimension"`
	Rating    Rating `gorm:"primaryKey;size:12" json:"rating"`
	Count     int    `gorm:"not null" json:"count"`
}

// The refusals of reviews and ballots.
var (
	ErrSlipUnknown        = Coded(ErrNotFound, "slip_unknown", "没有找到这张评议票，请核对票上的二维码")
	ErrSlipUsed           = Coded(ErrConflict, "slip_used", "这张评议票已经用过了，每张票只能投一次")
	ErrAlreadyVoted       = Coded(ErrConflict, "already_voted", "您已经在本次评议中投过票了，每人只能投一次")
	ErrReviewNotOpen      = Coded(ErrConflict, "review_not_open", "评议还没有开始，请在会议开始后再投票")
	ErrReviewClosed       = Coded(ErrConflict, "review_closed", "本次评议已经结束，不能再投票")
	ErrResultHidden       = Coded(ErrConflict, "result_not_published", "评议结果尚未公布")
	ErrNotOrganiser       = Coded(ErrForbidden, "not_organiser", "只有组织本次评议的人大常委会或乡镇人大主席团可以进行此项操作")
	ErrNotDirectlyElected = Coded(ErrInvalid, "not_directly_elected", "只有县、乡两级直接选举产生的代表向选民述职")
)
