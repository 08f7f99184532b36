package reviews

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// Casting a ballot (docs/ARCHITECTURE.md#reviews). What makes it
// anonymous is what the rows keep: a Ballot has a random id, the local day
// it was cast and a keyed hash of the voter's openid bound to the review;
// its marks and comments hang off the random id. No voter id, no time of
// day, no audit row, and no log line: nothing here logs, and the API takes
// the slip's code in the body, never in a path the access log keeps.
//
// One ballot per slip and one per voter per review are unique indexes
// (ballots.slip_id; ballots.review_id + voter_key), written in one
// transaction that also marks the slip used. The transaction first locks
// the review's row, so casts of one review queue behind each other and
// behind Close (a ballot never lands in a review that closed meanwhile);
// the unique indexes are what refuses the second ballot whatever the
// order.

// voterKeyLabel is what the ballot key is derived from the data key with,
// so the data key is never used as it is for two purposes.
const voterKeyLabel = "deputylink/ballot-voter-key/v1"

// Keyer turns a voter's openid into the review's VoterKey: HMAC-SHA256
// under a key derived from the data key, bound to the review id.
type Keyer struct {
	key []byte
}

// NewKeyer derives the ballot key from the deployment's data key:
// HMAC-SHA256(dataKey, "deputylink/ballot-voter-key/v1").
func NewKeyer(dataKey []byte) *Keyer {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte(voterKeyLabel))
	return &Keyer{key: m.Sum(nil)}
}

// VoterKey is hex(HMAC-SHA256(key, "review:<id>:" + openid)): the same
// voter gets another key in every review, so keys cannot be matched
// across reviews either.
func (k *Keyer) VoterKey(reviewID uint64, openid string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte("review:" + strconv.FormatUint(reviewID, 10) + ":" + openid))
	return hex.EncodeToString(m.Sum(nil))
}

// More refusals of ballots.
var (
	// ErrNotVoter: a deputy outside the review's voters (another level or
	// township, retired, or not a county or township deputy).
	ErrNotVoter = models.Coded(models.ErrForbidden, "not_a_voter", "您不在本次评议的评议人范围内")
	// ErrDeputyNotBound: a deputy without an official-account openid has
	// no identity to vote under.
	ErrDeputyNotBound = models.Coded(models.ErrForbidden, "deputy_not_bound", "请先在公众号中绑定代表身份，再参加评议")
	// ErrNotBallot: the review is not of the kind the ballot is for.
	ErrNotBallot = models.Coded(models.ErrNotFound, "review_not_found", "没有找到这次评议")
)

// errDuplicate is the ballot insert's unique violation, named after the
// transaction rolled back (castErr).
var errDuplicate = errors.New("reviews: duplicate ballot")

// OpenSlip is the ballot a slip opens (the scan landing): the review, its
// subjects and dimensions, and its status (a slip scanned before the
// meeting shows when it opens; one scanned after, that it closed);
// ErrSlipUnknown or ErrSlipUsed. alreadyVoted tells the voter they have
// voted in this review (with another slip).
func OpenSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, now time.Time) (view View, alreadyVoted bool, err error) {
	if k == nil {
		return View{}, false, ErrNoKeyer
	}
	tx := db.WithContext(ctx)
	slip, r, err := findSlip(tx, code)
	if err != nil {
		return View{}, false, err
	}
	if slip.Used {
		return View{}, false, models.ErrSlipUsed
	}
	if view, err = viewOf(tx, r, now); err != nil {
		return View{}, false, err
	}
	voted, err := hasVoted(tx, r.ID, k.VoterKey(r.ID, v.OpenID))
	return view, voted, err
}

// CastWithSlip casts a voter's ballot with a slip: ErrSlipUnknown,
// ErrSlipUsed, ErrAlreadyVoted, ErrReviewNotOpen, ErrReviewClosed, or a
// validation error (field "marks" or "comments") for a ballot that does
// not mark every subject on every dimension exactly once. The ballot's
// day is now's date read in now's location: callers pass the local time.
func CastWithSlip(ctx context.Context, db *gorm.DB, k *Keyer, code string, v Voter, b Ballot, now time.Time) error {
	if k == nil {
		return ErrNoKeyer
	}
	if v.OpenID == "" {
		return models.Coded(models.ErrUnauthorized, "unauthorized", "请先登录")
	}
	tx := db.WithContext(ctx)
	slip, r, err := findSlip(tx, code)
	if err != nil {
		return err
	}
	if r.Kind != models.ReviewOfDeputies {
		return models.ErrSlipUnknown
	}
	if slip.Used {
		return models.ErrSlipUsed
	}
	return cast(ctx, tx, r, &slip.ID, k.VoterKey(r.ID, v.OpenID), b, now)
}

// DeputyReviews are the reviews of departments a deputy may vote in
// (scheduled, open and closed, newest first), with whether they voted.
func DeputyReviews(ctx context.Context, db *gorm.DB, k *Keyer, deputy models.Deputy, now time.Time) ([]View, []bool, error) {
	if k == nil {
		return nil, nil, ErrNoKeyer
	}
	tx := db.WithContext(ctx)
	level, township, ok, err := voterOf(tx, deputy)
	if err != nil || !ok {
		return nil, nil, err
	}
	var rs []models.Review
	if err := tx.Where("kind = ? AND level = ? AND township = ?", models.ReviewOfDepartments, level, township).
		Order("date DESC, id DESC").Limit(100).Find(&rs).Error; err != nil {
		return nil, nil, models.Translate(err)
	}
	vs, err := views(tx, rs, now)
	if err != nil {
		return nil, nil, err
	}
	voted := make([]bool, len(vs))
	if deputy.OAOpenID != nil {
		for i, v := range vs {
			if voted[i], err = hasVoted(tx, v.Review.ID, k.VoterKey(v.Review.ID, *deputy.OAOpenID)); err != nil {
				return nil, nil, err
			}
		}
	}
	return vs, voted, nil
}

// CastAsDeputy casts a deputy's ballot on a review of departments, keyed
// by their official-account openid: ErrNotVoter for a deputy outside its
// voters, ErrDeputyNotBound without an openid, and CastWithSlip's
// refusals.
func CastAsDeputy(ctx context.Context, db *gorm.DB, k *Keyer, id uint64, deputy models.Deputy, b Ballot, now time.Time) error {
	if k == nil {
		return ErrNoKeyer
	}
	if deputy.OAOpenID == nil || *deputy.OAOpenID == "" {
		return ErrDeputyNotBound
	}
	tx := db.WithContext(ctx)
	r, err := loadReview(tx, id, false)
	if err != nil {
		return err
	}
	if r.Kind != models.ReviewOfDepartments {
		return ErrNotBallot
	}
	level, township, ok, err := voterOf(tx, deputy)
	if err != nil {
		return err
	}
	if !ok || r.Level != level || r.Township != township {
		return ErrNotVoter
	}
	return cast(ctx, tx, r, nil, k.VoterKey(r.ID, *deputy.OAOpenID), b, now)
}

// voterOf is the (level, township) of the reviews of departments a deputy
// votes in; ok is false for a retired deputy or one above the county.
func voterOf(tx *gorm.DB, d models.Deputy) (models.Level, string, bool, error) {
	if d.Status != models.DeputyActive {
		return "", "", false, nil
	}
	switch d.Level {
	case models.LevelCounty:
		return models.LevelCounty, "", true, nil
	case models.LevelTownship:
		districts, err := stationDistricts(tx, []models.Deputy{d})
		if err != nil {
			return "", "", false, err
		}
		return models.LevelTownship, districts[d.StationID], districts[d.StationID] != "", nil
	}
	return "", "", false, nil
}

// findSlip is the slip of code and its review; ErrSlipUnknown for a code
// that is not one.
func findSlip(tx *gorm.DB, code string) (models.BallotSlip, models.Review, error) {
	norm, ok := NormalizeSlipCode(code)
	if !ok {
		return models.BallotSlip{}, models.Review{}, models.ErrSlipUnknown
	}
	var slip models.BallotSlip
	if err := tx.Where("code = ?", norm).First(&slip).Error; err != nil {
		return models.BallotSlip{}, models.Review{}, models.NotFoundAs(err, models.ErrSlipUnknown)
	}
	r, err := loadReview(tx, slip.ReviewID, false)
	if err != nil {
		return models.BallotSlip{}, models.Review{}, models.NotFoundAs(err, models.ErrSlipUnknown)
	}
	return slip, r, nil
}

// hasVoted reports whether a ballot with voterKey is in the review.
func hasVoted(tx *gorm.DB, reviewID uint64, voterKey string) (bool, error) {
	var n int64
	if err := tx.Model(&models.Ballot{}).Where("review_id = ? AND voter_key = ?", reviewID, voterKey).Count(&n).Error; err != nil {
		return false, models.Translate(err)
	}
	return n > 0, nil
}

// cast checks b against r and writes it: in one transaction, the review
// locked, the window checked again, the slip (if any) marked used by a
// conditional update, the ballot, its marks and comments.
func cast(ctx context.Context, db *gorm.DB, r models.Review, slipID *uint64, voterKey string, b Ballot, now time.Time) error {
	if err := windowErr(r, now); err != nil {
		return err
	}
	subjects, err := subjectIDs(db, r.ID)
	if err != nil {
		return err
	}
	marks, comments, err := checkBallot(r, subjects, b)
	if err != nil {
		return err
	}
	id := newBallotID()
	for i := range marks {
		marks[i].BallotID = id
	}
	for i := range comments {
		comments[i].BallotID = id
	}
	err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
		locked, err := loadReview(tx, r.ID, true)
		if err != nil {
			return err
		}
		if err := windowErr(locked, now); err != nil {
			return err
		}
		if slipID != nil {
			res := tx.Model(&models.BallotSlip{}).Where("id = ? AND used = ?", *slipID, false).Update("used", true)
			if res.Error != nil {
				return models.Translate(res.Error)
			}
			if res.RowsAffected == 0 {
				return models.ErrSlipUsed
			}
		}
		ballot := models.Ballot{ID: id, ReviewID: r.ID, SlipID: slipID, VoterKey: voterKey, CastOn: now.Format(models.DateLayout)}
		if err := tx.Create(&ballot).Error; err != nil {
			if err = models.Translate(err); errors.Is(err, models.ErrConflict) {
				return errDuplicate
			}
			return err
		}
		if err := tx.Create(&marks).Error; err != nil {
			return models.Translate(err)
		}
		if len(comments) > 0 {
			if err := tx.Create(&comments).Error; err != nil {
				return models.Translate(err)
			}
		}
		return nil
	})
	if errors.Is(err, errDuplicate) {
		return duplicateErr(db, slipID)
	}
	return err
}

// duplicateErr names the unique index a ballot ran into, read after its
// transaction rolled back (inside it, MySQL's snapshot may predate the
// ballot that won): the slip's, or the voter's.
func duplicateErr(db *gorm.DB, slipID *uint64) error {
	if slipID != nil {
		var n int64
		if err := db.Model(&models.Ballot{}).Where("slip_id = ?", *slipID).Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if n > 0 {
			return models.ErrSlipUsed
		}
	}
	return models.ErrAlreadyVoted
}

// subjectIDs are a review's subjects in order.
func subjectIDs(tx *gorm.DB, reviewID uint64) ([]uint64, error) {
	var out []uint64
	if err := tx.Model(&models.ReviewSubject{}).Where("review_id = ?", reviewID).Order("sort_order").
		Pluck("subject_id", &out).Error; err != nil {
		return nil, models.Translate(err)
	}
	return out, nil
}

// checkBallot checks that b marks every subject on every dimension of r
// exactly once with a known rating, and that its comments are on the
// review's subjects, one each, of at most MaxComment characters (empty
// ones dropped). It returns the rows to write, without the ballot id.
func checkBallot(r models.Review, subjects []uint64, b Ballot) ([]models.BallotMark, []models.BallotComment, error) {
	dims := len(r.DimensionList())
	of := map[uint64]bool{}
	for _, s := range subjects {
		of[s] = true
	}
	what := "每一位代表"
	if r.Kind == models.ReviewOfDepartments {
		what = "每一个部门"
	}
	type key struct {
		subject uint64
		dim     int
	}
	seen := map[key]bool{}
	marks := make([]models.BallotMark, 0, len(b.Marks))
	for _, m := range b.Marks {
		k := key{m.SubjectID, m.Dimension}
		switch {
		case !of[m.SubjectID] || m.Dimension < 0 || m.Dimension >= dims:
			return nil, nil, models.Invalid("marks", "评议票的内容与本次评议不符，请重新扫码投票")
		case !m.Rating.Valid():
			return nil, nil, models.Invalid("marks", "每一项只能选择满意、基本满意或不满意")
		case seen[k]:
			return nil, nil, models.Invalid("marks", "同一项只能选择一次")
		}
		seen[k] = true
		marks = append(marks, models.BallotMark{SubjectID: m.SubjectID, Dimension: m.Dimension, Rating: m.Rating})
	}
	if missing := len(subjects)*dims - len(marks); missing > 0 {
		return nil, nil, models.Invalid("marks", fmt.Sprintf("还有%d项没有选择，请对%s的每一项都作出评价", missing, what))
	}
	var comments []models.BallotComment
	commented := map[uint64]bool{}
	for _, c := range b.Comments {
		text := models.CleanText(c.Text)
		switch {
		case text == "":
			continue
		case !of[c.SubjectID]:
			return nil, nil, models.Invalid("comments", "意见建议的对象不在本次评议之内")
		case commented[c.SubjectID]:
			return nil, nil, models.Invalid("comments", "对同一对象只能写一条意见建议")
		case utf8.RuneCountInString(text) > MaxComment:
			return nil, nil, models.Invalid("comments", fmt.Sprintf("每条意见建议不能超过%d个字", MaxComment))
		}
		commented[c.SubjectID] = true
		comments = append(comments, models.BallotComment{SubjectID: c.SubjectID, Text: text})
	}
	return marks, comments, nil
}

// newBallotID is a random ballot id: 16 bytes, hex.
func newBallotID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
