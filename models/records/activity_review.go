package records

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// Review of the records: staff of a deputy's stations approve entries, or
// reject them with a reason, in batches; an entry of a year whose
// evaluation is closed is locked.

// Review errors.
var (
	ErrReviewNothing = models.Invalid("ids", "请先勾选要审核的记录")
	ErrReviewReason  = models.Invalid("reason", "退回时请写明原因（2至200字）")
)

// MaxReviewBatch is the most entries one review may take.
const MaxReviewBatch = 200

// ReviewActivities approves, or rejects with a reason, the entries ids, all
// or none: an entry of a deputy outside the scope (or no entry) is
// ErrActivityNotFound for the whole batch, an entry of a closed year is
// ErrActivityLocked. An entry already reviewed may be reviewed again while
// its year is open (a correction); an entry already in the wanted state is
// left as it is. n is how many entries changed. Each change is audited.
func ReviewActivities(ctx context.Context, db *gorm.DB, scope models.StaffScope, reviewerID uint64, ids []uint64,
	approve bool, reason string, now time.Time) (n int, err error) {
	ids = models.UniqueIDs(ids)
	if len(ids) == 0 {
		return 0, ErrReviewNothing
	}
	if len(ids) > MaxReviewBatch {
		return 0, models.Invalid("ids", fmt.Sprintf("一次最多审核%d条记录", MaxReviewBatch))
	}
	reason = strings.TrimSpace(models.CleanLine(reason))
	to := models.ActivityApproved
	if !approve {
		to = models.ActivityRejected
		if c := utf8.RuneCountInString(reason); c < 2 || c > 200 {
			return 0, ErrReviewReason
		}
	} else {
		reason = ""
	}
	err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
		n = 0
		var acts []models.Activity
		if err := models.LockingUpdate(tx).Where("id IN ?", ids).Order("id").Find(&acts).Error; err != nil {
			return models.Translate(err)
		}
		if len(acts) != len(ids) {
			return ErrActivityNotFound
		}
		deps := map[uint64]models.Deputy{}
		closed := map[string]bool{}
		for _, a := range acts {
			d, ok := deps[a.DeputyID]
			if !ok {
				if err := tx.First(&d, a.DeputyID).Error; err != nil {
					return models.NotFoundAs(err, ErrActivityNotFound)
				}
				in, err := deputyInScope(tx, scope, d)
				if err != nil {
					return err
				}
				if !in {
					return ErrActivityNotFound
				}
				deps[a.DeputyID] = d
			}
			key := fmt.Sprint(a.DeputyID, "/", dateYear(a.Date))
			c, seen := closed[key]
			if !seen {
				var err error
				if c, err = yearClosed(tx, d, dateYear(a.Date)); err != nil {
					return err
				}
				closed[key] = c
			}
			if c {
				return ErrActivityLocked
			}
		}
		at := now.UTC()
		for _, a := range acts {
			if a.Status == to && a.RejectReason == reason {
				continue
			}
			res := tx.Model(&models.Activity{}).Where("id = ?", a.ID).Updates(map[string]any{
				"status": to, "reject_reason": reason, "reviewer_id": reviewerID, "reviewed_at": at, "updated_at": at})
			if res.Error != nil {
				return models.Translate(res.Error)
			}
			if err := models.Audit(ctx, tx, now, scope.Actor, "activity.review", "activity", a.ID,
				string(a.Status), string(to), reason); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// ActivityQuery selects entries for a list.
type ActivityQuery struct {
	// DeputyIDs keeps the entries of these deputies (nil: any).
	DeputyIDs []uint64
	// StationIDs keeps the entries of deputies whose primary or other
	// station is one of these; nil: any station, empty: none. InScope sets
	// it from a staff scope.
	StationIDs []uint64
	Status     models.ActivityStatus
	Type       models.ActivityType
	// Year keeps the entries dated that year (0: any).
	Year int
	// BeforeID pages on: entries with a smaller id (0: from the newest).
	BeforeID uint64
	// Limit is the page size (default 50, at most 200).
	Limit int
	// Loc writes the review times (nil: UTC+8).
	Loc *time.Location
}

// InScope restricts q to the deputies of a staff scope's stations.
func (q ActivityQuery) InScope(s models.StaffScope) ActivityQuery {
	if s.All {
		return q
	}
	ids := append([]uint64{}, s.StationIDs...)
	if q.StationIDs != nil {
		ids = slices.DeleteFunc(append([]uint64{}, q.StationIDs...), func(id uint64) bool { return !s.Allows(id) })
	}
	q.StationIDs = ids
	return q
}

// ActivityFileView is an evidence file as the record shows it.
type ActivityFileView struct {
	ID   uint64 `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ActivityView is an entry as pages show it: labels in Chinese, the date
// written the Chinese way.
type ActivityView struct {
	ID          uint64                `json:"id"`
	DeputyID    uint64                `json:"deputy_id"`
	DeputyName  string                `json:"deputy_name"`
	Type        models.ActivityType   `json:"type"`
	TypeLabel   string                `json:"type_label"`
	Date        string                `json:"date"`
	DateText    string                `json:"date_text"`
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Voters      int                   `json:"voters"`
	Source      models.ActivitySource `json:"source"`
	SourceLabel string                `json:"source_label"`
	Status      models.ActivityStatus `json:"status"`
	StatusLabel string                `json:"status_label"`
	// RejectReason says why a rejected entry does not count.
	RejectReason string `json:"reject_reason,omitempty"`
	// ReviewerName and ReviewedText (Chinese time) tell who reviewed it.
	ReviewerName string `json:"reviewer_name,omitempty"`
	ReviewedText string `json:"reviewed_text,omitempty"`
	// EnteredByName is the staff member who entered it (SourceStaff).
	EnteredByName string             `json:"entered_by_name,omitempty"`
	Files         []ActivityFileView `json:"files"`
}

// ListActivities lists entries, newest first (by id); next is the BeforeID
// of the following page, 0 at the end.
func ListActivities(ctx context.Context, db *gorm.DB, q ActivityQuery) ([]ActivityView, uint64, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	tx := db.WithContext(ctx).Model(&models.Activity{})
	if q.DeputyIDs != nil {
		tx = tx.Where("deputy_id IN ?", append(append([]uint64{}, q.DeputyIDs...), 0))
	}
	if q.StationIDs != nil {
		st := append(append([]uint64{}, q.StationIDs...), 0)
		tx = tx.Where("deputy_id IN (?) OR deputy_id IN (?)",
			db.Model(&models.Deputy{}).Select("id").Where("station_id IN ?", st),
			db.Table("deputy_stations").Select("deputy_id").Where("station_id IN ?", st))
	}
	if q.Status != "" {
		tx = tx.Where("status = ?", q.Status)
	}
	if q.Type != "" {
		tx = tx.Where("type = ?", q.Type)
	}
	if q.Year > 0 {
		tx = tx.Where("date >= ? AND date <= ?", fmt.Sprintf("%04d-01-01", q.Year), fmt.Sprintf("%04d-12-31", q.Year))
	}
	if q.BeforeID > 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	var rows []models.Activity
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, 0, models.Translate(err)
	}
	var next uint64
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	views, err := activityViews(ctx, db, rows, q.Loc)
	return views, next, err
}

// activityViews describes rows, with names and files.
func activityViews(ctx context.Context, db *gorm.DB, rows []models.Activity, loc *time.Location) ([]ActivityView, error) {
	out := make([]ActivityView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	tx := db.WithContext(ctx)
	var depIDs, staffIDs, actIDs []uint64
	for _, a := range rows {
		depIDs = append(depIDs, a.DeputyID)
		actIDs = append(actIDs, a.ID)
		if a.ReviewerID != nil {
			staffIDs = append(staffIDs, *a.ReviewerID)
		}
		if a.EnteredByStaffID != nil {
			staffIDs = append(staffIDs, *a.EnteredByStaffID)
		}
	}
	var deps []models.Deputy
	if err := tx.Select("id", "name").Where("id IN ?", models.UniqueIDs(depIDs)).Find(&deps).Error; err != nil {
		return nil, models.Translate(err)
	}
	depName := map[uint64]string{}
	for _, d := range deps {
		depName[d.ID] = d.Name
	}
	staffName := map[uint64]string{}
	if len(staffIDs) > 0 {
		var staff []models.Staff
		if err := tx.Select("id", "name").Where("id IN ?", models.UniqueIDs(staffIDs)).Find(&staff).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, s := range staff {
			staffName[s.ID] = s.Name
		}
	}
	var files []models.ActivityFile
	if err := tx.Where("activity_id IN ?", actIDs).Order("id").Find(&files).Error; err != nil {
		return nil, models.Translate(err)
	}
	byAct := map[uint64][]ActivityFileView{}
	for _, f := range files {
		byAct[f.ActivityID] = append(byAct[f.ActivityID], ActivityFileView{ID: f.ID, Kind: f.Kind, Name: f.Name, Size: f.Size})
	}
	for _, a := range rows {
		v := ActivityView{ID: a.ID, DeputyID: a.DeputyID, DeputyName: depName[a.DeputyID], Type: a.Type,
			TypeLabel: a.Type.Label(), Date: a.Date, DateText: models.CalendarFullDateText(a.Date), Title: a.Title,
			Description: a.Description, Voters: a.Voters, Source: a.Source, SourceLabel: a.Source.Label(),
			Status: a.Status, StatusLabel: a.Status.Label(), RejectReason: a.RejectReason, Files: byAct[a.ID]}
		if v.Files == nil {
			v.Files = []ActivityFileView{}
		}
		if a.ReviewerID != nil {
			v.ReviewerName = staffName[*a.ReviewerID]
		}
		if a.ReviewedAt != nil {
			v.ReviewedText = models.DateTimeText(*a.ReviewedAt, loc)
		}
		if a.EnteredByStaffID != nil {
			v.EnteredByName = staffName[*a.EnteredByStaffID]
		}
		out = append(out, v)
	}
	return out, nil
}
