package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Public results (办理结果公开, docs/ARCHITECTURE.md#public-results): the
// answer to the critique that stations are show pieces (盆景工程). Staff
// of the item's station (a clerk or head) or the office's admins publish a
// summary of a closed item (办结) in their own words: what was raised and
// what came of it. Nothing is copied from the item but its station,
// category and dates: the voter's text, name, phone and place never reach
// the public, and the staff's text is checked for personal data
// (CheckPublicText). Photos are published only those the staff member
// ticked as approved by the person shown. Withdrawing takes the summary
// out of every public answer (list, detail and photos) at once; the row
// stays, for the audit, and may be published again.
//
// Both steps lock the item (as every workflow action does), write a line
// in the item's public timeline, so the voter sees that a summary of their
// item went public, and an audit row.

// OpinionPublication is the public summary of one closed item.
type OpinionPublication struct {
	ID uint64 `gorm:"primaryKey"`
	// OpinionID is the item; one summary per item (published or withdrawn).
	OpinionID uint64 `gorm:"not null;uniqueIndex"`
	// StationID and CategoryID are the item's, copied when published.
	StationID  uint64 `gorm:"not null;index"`
	CategoryID uint64 `gorm:"not null;index"`
	// Summary (what was raised) and Result (what was done) are the staff's
	// own words, checked by CheckPublicText.
	Summary string `gorm:"type:text;not null"`
	Result  string `gorm:"type:text;not null"`
	// PhotoIDs are the ids of the item's photos (OpinionPhoto) approved for
	// publication by the person shown, "|"-separated; "" for none.
	PhotoIDs string `gorm:"size:100;not null;default:''"`
	// FiledOn and ClosedOn are local dates; WorkingDays the working days
	// from the one to the other.
	FiledOn            string     `gorm:"size:10;not null"`
	ClosedOn           string     `gorm:"size:10;not null"`
	WorkingDays        int        `gorm:"not null"`
	PublishedByStaffID uint64     `gorm:"not null"`
	PublishedAt        time.Time  `gorm:"not null"`
	WithdrawnAt        *time.Time `gorm:"index"`
	WithdrawnByStaffID *uint64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Photos are the approved photo ids.
func (p OpinionPublication) Photos() []uint64 {
	var out []uint64
	for _, s := range strings.Split(p.PhotoIDs, "|") {
		if id, ok := ParseID(s); ok {
			out = append(out, id)
		}
	}
	return out
}

// Live reports whether the summary is public now.
func (p OpinionPublication) Live() bool { return p.ID != 0 && p.WithdrawnAt == nil }

// Limits of the published text, in characters.
const (
	PublicSummaryMax = 500
	PublicResultMax  = 1000
)

// Publication errors.
var (
	ErrPublishForbidden  = Coded(ErrForbidden, "publish_forbidden", "只有本联络站的联络员、站长或人大常委会办公室可以公开办理结果")
	ErrNotClosed         = Coded(ErrConflict, "not_closed", "意见办结后才能公开办理结果")
	ErrAlreadyPublished  = Coded(ErrConflict, "already_published", "这条意见的办理结果已经公开")
	ErrNotPublished      = Coded(ErrConflict, "not_published", "这条意见的办理结果没有公开")
	ErrResultNotFound    = Coded(ErrNotFound, "result_not_found", "没有找到这条办理结果，可能已撤回公开")
	ErrResultPhotoAbsent = Coded(ErrNotFound, "photo_not_found", "没有找到这张照片")
)

// Audit actions of the public results (entity "opinion").
const (
	auditPublish   = "opinion.publish"
	auditUnpublish = "opinion.unpublish"
)

// Timeline kinds of the public results.
const (
	TimelinePublished   = "published"
	TimelineUnpublished = "unpublished"
)

// PublishInput is what the staff member wrote and ticked.
type PublishInput struct {
	Summary, Result string
	// PhotoIDs are the item's photos (OpinionPhoto ids) the person shown
	// agreed to publish.
	PhotoIDs []uint64
}

// PublishOpinion publishes the summary of closed item id, as staff member
// staffID: a clerk or head of the item's station, or an admin (anyone else
// who may see the item: ErrPublishForbidden; who may not:
// ErrOpinionNotFound). The item must be closed (ErrNotClosed) and not
// public already (ErrAlreadyPublished); a withdrawn summary is replaced.
// The text is checked by CheckPublicText against the name of the person
// behind the item, when known; photos must be the item's. The working
// days from filing to closing are counted on cal in loc.
func PublishOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, in PublishInput, now time.Time, loc *time.Location, cal *Calendar) (OpinionPublication, error) {
	loc, now = orLoc(loc), now.UTC()
	var out OpinionPublication
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		op, err := publishable(tx, staffID, id)
		if err != nil {
			return err
		}
		if op.Status != OpinionClosed || op.ClosedAt == nil {
			return ErrNotClosed
		}
		var old OpinionPublication
		found, err := lockFind(tx, &old, "opinion_id = ?", op.ID)
		if err != nil {
			return err
		}
		if found && old.Live() {
			return ErrAlreadyPublished
		}
		row, err := publicationOf(tx, op, in, loc, cal)
		if err != nil {
			return err
		}
		row.PublishedByStaffID, row.PublishedAt, row.CreatedAt, row.UpdatedAt = staffID, now, now, now
		if found {
			row.ID, row.CreatedAt = old.ID, old.CreatedAt
			err = tx.Select("*").Save(&row).Error
		} else {
			err = tx.Create(&row).Error
		}
		if err != nil {
			return translate(err)
		}
		out = row
		if err := addTimeline(tx, op, TimelinePublished, "办理结果已在“办理结果公开”中发布（不含个人信息）", "", now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, auditPublish, auditOpinion, op.ID, "", "published",
			Shorten(row.Summary, 200, "…"))
	})
	return out, err
}

// WithdrawPublication takes the summary of item id out of every public
// answer, as staff member staffID (the same people as PublishOpinion).
// Errors: ErrNotPublished when it is not public.
func WithdrawPublication(ctx context.Context, db *gorm.DB, staffID, id uint64, now time.Time) error {
	now = now.UTC()
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		op, err := publishable(tx, staffID, id)
		if err != nil {
			return err
		}
		var p OpinionPublication
		found, err := lockFind(tx, &p, "opinion_id = ?", op.ID)
		if err != nil {
			return err
		}
		if !found || !p.Live() {
			return ErrNotPublished
		}
		res := tx.Model(&OpinionPublication{}).Where("id = ? AND withdrawn_at IS NULL", p.ID).
			Updates(map[string]any{"withdrawn_at": now, "withdrawn_by_staff_id": staffID, "updated_at": now})
		if res.Error != nil {
			return translate(res.Error)
		}
		if err := addTimeline(tx, op, TimelineUnpublished, "办理结果已撤回公开", "", now); err != nil {
			return err
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, auditUnpublish, auditOpinion, op.ID, "published", "withdrawn", "")
	})
}

// publishable locks item id and checks staffID may publish it: who may see
// it (StaffCanAccess), as an admin, clerk or head.
func publishable(tx *gorm.DB, staffID, id uint64) (Opinion, error) {
	op, err := lockOpinion(tx, id)
	if err != nil {
		return Opinion{}, err
	}
	s, err := staffFor(tx, staffID, op)
	if err != nil {
		return Opinion{}, err
	}
	if !CanPublish(s) {
		return Opinion{}, ErrPublishForbidden
	}
	return op, nil
}

// CanPublish reports whether s's role may publish and withdraw the results
// of the items s may see: admins, clerks and heads.
func CanPublish(s Staff) bool {
	return s.Role == RoleAdmin || s.Role == RoleClerk || s.Role == RoleHead
}

// publicationOf checks what the staff member wrote and ticked and builds
// the row of closed item op.
func publicationOf(tx *gorm.DB, op Opinion, in PublishInput, loc *time.Location, cal *Calendar) (OpinionPublication, error) {
	var names []string
	if op.ContactName != "" {
		names = append(names, op.ContactName)
	}
	summary, result := CleanText(in.Summary), CleanText(in.Result)
	for _, f := range []struct {
		field, text, label string
		max                int
	}{{"summary", summary, "反映的问题", PublicSummaryMax}, {"result", result, "办理结果", PublicResultMax}} {
		if f.text == "" {
			return OpinionPublication{}, Invalid(f.field, "请填写"+f.label)
		}
		if utf8.RuneCountInString(f.text) > f.max {
			return OpinionPublication{}, Invalid(f.field, f.label+"不能超过"+strconv.Itoa(f.max)+"字")
		}
		if err := CheckPublicText(f.field, f.text, names); err != nil {
			return OpinionPublication{}, err
		}
	}
	photos, err := approvedPhotos(tx, op.ID, in.PhotoIDs)
	if err != nil {
		return OpinionPublication{}, err
	}
	filed := op.CreatedAt.In(loc)
	if d, ok := parseDate(op.ReceivedOn, loc); ok {
		filed = d // an offline item counts from the day it reached the station
	}
	closed := op.ClosedAt.In(loc)
	return OpinionPublication{
		OpinionID: op.ID, StationID: op.StationID, CategoryID: op.CategoryID, Summary: summary, Result: result,
		PhotoIDs: photos, FiledOn: filed.Format(DateLayout), ClosedOn: closed.Format(DateLayout),
		WorkingDays: cal.WorkingDaysBetween(filed, closed),
	}, nil
}

// approvedPhotos checks the ticked photos are item opinionID's, without
// repeats, and joins their ids.
func approvedPhotos(tx *gorm.DB, opinionID uint64, ids []uint64) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	if len(ids) > MaxOpinionPhotos {
		return "", Invalid("photo_ids", "最多公开"+strconv.Itoa(MaxOpinionPhotos)+"张照片")
	}
	parts := make([]string, 0, len(ids))
	for i, id := range ids {
		if !ValidID(id) || slices.Contains(ids[:i], id) {
			return "", Invalid("photo_ids", "照片编号无效或重复")
		}
		parts = append(parts, strconv.FormatUint(id, 10))
	}
	var n int64
	if err := tx.Model(&OpinionPhoto{}).Where("opinion_id = ? AND id IN ?", opinionID, ids).Count(&n).Error; err != nil {
		return "", translate(err)
	}
	if int(n) != len(ids) {
		return "", Invalid("photo_ids", "只能公开这条意见自己的照片")
	}
	return strings.Join(parts, "|"), nil
}

// WorkingDaysBetween counts the working days after from's local date up to
// and including to's (0 when to is not after from): the way the figures
// count the days to accept or to reply.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, from.Location())
	b := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, from.Location())
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// GetPublication loads the summary of item opinionID, published or
// withdrawn, for the console; found is false when there is none. The
// caller has checked the staff member may see the item.
func GetPublication(ctx context.Context, db *gorm.DB, opinionID uint64) (p OpinionPublication, found bool, err error) {
	res := db.WithContext(ctx).Where("opinion_id = ?", opinionID).Limit(1).Find(&p)
	return p, res.RowsAffected == 1, translate(res.Error)
}
