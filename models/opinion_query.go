package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// GetVoterOpinion returns the voter's own item with its public timeline;
// another voter's item is ErrOpinionNotFound.
func GetVoterOpinion(ctx context.Context, db *gorm.DB, voterID, id uint64, loc *time.Location) (OpinionView, error) {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.Where("id = ? AND voter_id = ?", id, voterID).First(&op).Error; err != nil || voterID == 0 {
		return OpinionView{}, notFoundAs(orNotFound(err), ErrOpinionNotFound)
	}
	views, err := buildViews(db, []Opinion{op}, orLoc(loc), true)
	if err != nil {
		return OpinionView{}, err
	}
	return views[0], nil
}

// ListVoterOpinions lists the voter's items, newest first, without
// timelines: up to limit (default 20) with ids below beforeID (0 = from the
// newest). next is the cursor of the following page, 0 at the end.
func ListVoterOpinions(ctx context.Context, db *gorm.DB, voterID, beforeID uint64, limit int, loc *time.Location) (items []OpinionView, next uint64, err error) {
	limit = pageLimit(limit)
	if voterID == 0 {
		// 0 is nobody: the opinions staff entered, and erased voters'.
		return []OpinionView{}, 0, nil
	}
	db = db.WithContext(ctx)
	q := db.Where("voter_id = ?", voterID)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var ops []Opinion
	if err := q.Order("id DESC").Limit(limit + 1).Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > limit {
		ops = ops[:limit]
		next = ops[limit-1].ID
	}
	items, err = buildViews(db, ops, orLoc(loc), false)
	return items, next, err
}

// StaffQuery filters the console's item list.
type StaffQuery struct {
	Status OpinionStatus
	// Category is a category code.
	Category string
	// Overdue keeps items with a passed running deadline.
	Overdue bool
	// Escalated keeps items escalated to the admins.
	Escalated bool
	// Source keeps one channel's items (Source*, e.g. "letter").
	Source string
	// StationID keeps one station's items; Office keeps the office queue
	// (admins only).
	StationID uint64
	Office    bool
	BeforeID  uint64
	Limit     int
}

// ListStaffOpinions lists the items staffID may see (their stations', or
// all for admins), newest first, filtered by q. next is the cursor of the
// following page, 0 at the end.
func ListStaffOpinions(ctx context.Context, db *gorm.DB, staffID uint64, q StaffQuery, now time.Time, loc *time.Location) (items []StaffOpinionView, next uint64, err error) {
	db = db.WithContext(ctx)
	s, err := loadStaff(db, staffID)
	if err != nil {
		return nil, 0, err
	}
	limit := pageLimit(q.Limit)
	tx := db.Model(&Opinion{})
	if s.Role != RoleAdmin {
		ids := make([]uint64, 0, len(s.Stations))
		for _, st := range s.Stations {
			ids = append(ids, st.ID)
		}
		if len(ids) == 0 || q.Office {
			return []StaffOpinionView{}, 0, nil
		}
		tx = tx.Where("station_id IN ?", ids)
	}
	if q.Office {
		tx = tx.Where("station_id = ?", officeStation)
	} else if q.StationID != 0 {
		tx = tx.Where("station_id = ?", q.StationID)
	}
	if q.Status != "" {
		if !q.Status.Valid() {
			return nil, 0, Invalid("status", "未知的状态")
		}
		tx = tx.Where("status = ?", q.Status)
	}
	if q.Source != "" {
		if !slices.Contains(AllSources, q.Source) {
			return nil, 0, Invalid("source", "未知的意见来源")
		}
		tx = tx.Where("source = ?", q.Source)
	}
	if q.Category != "" {
		cat, err := CategoryByCode(ctx, db, q.Category)
		if err != nil {
			return nil, 0, err
		}
		tx = tx.Where("category_id = ?", cat.ID)
	}
	if q.Overdue {
		tx = overdueScope(tx, now.UTC())
	}
	if q.Escalated {
		tx = tx.Where("escalated = ?", true)
	}
	if q.BeforeID > 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	var ops []Opinion
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > limit {
		ops = ops[:limit]
		next = ops[limit-1].ID
	}
	items, err = buildStaffViews(db, ops, orLoc(loc), now, false)
	return items, next, err
}

// GetStaffOpinion returns one item with notes and audit trail, if staffID
// may see it (else ErrOpinionNotFound).
func GetStaffOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, now time.Time, loc *time.Location) (StaffOpinionView, error) {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.First(&op, id).Error; err != nil {
		return StaffOpinionView{}, notFoundAs(err, ErrOpinionNotFound)
	}
	if _, err := staffFor(db, staffID, op); err != nil {
		return StaffOpinionView{}, err
	}
	views, err := buildStaffViews(db, []Opinion{op}, orLoc(loc), now, true)
	if err != nil {
		return StaffOpinionView{}, err
	}
	return views[0], nil
}
