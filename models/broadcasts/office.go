package broadcasts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"deputylink/models"
	"deputylink/models/records"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The office's side: what it may send to, the list of what it sent with
// reads, sign-ups and attendance, and the check-in at a training.

// AuditAttendance is the audit action of a tick or untick at a training.
const AuditAttendance = "broadcast.attendance"

// Choices lists the audiences the scope may send to.
func Choices(ctx context.Context, db *gorm.DB, sc models.ManageScope) (AudienceChoices, error) {
	if !sc.All && sc.Township == "" {
		return AudienceChoices{}, models.ErrManageForbidden
	}
	tx := db.WithContext(ctx)
	var c AudienceChoices
	var n int64
	if err := inScope(tx, tx.Table("deputies").Where("deputies.status = ?", models.DeputyActive), sc).Count(&n).Error; err != nil {
		return c, models.Translate(err)
	}
	c.AllCount = int(n)
	var err error
	if c.Groups, err = models.ListGroups(ctx, db, sc, models.GroupQuery{}); err != nil {
		return c, err
	}
	q := tx.Order("district, id")
	if !sc.All {
		q = q.Where("district = ?", sc.Township)
	}
	if err := q.Find(&c.Stations).Error; err != nil {
		return c, models.Translate(err)
	}
	return c, nil
}

// scoped keeps the broadcasts the scope sees: every one for the county
// office, its township's for a township office.
func scoped(tx *gorm.DB, sc models.ManageScope) *gorm.DB {
	if sc.All {
		return tx
	}
	return tx.Where("township = ?", sc.Township)
}

// List lists the broadcasts the scope sent (the county office: all; a
// township office: its township's), newest first, at most limit (default
// and most 200), with their counts.
func List(ctx context.Context, db *gorm.DB, sc models.ManageScope, limit int) ([]Summary, error) {
	if !sc.All && sc.Township == "" {
		return nil, models.ErrManageForbidden
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	tx := db.WithContext(ctx)
	var bs []models.Broadcast
	if err := scoped(tx, sc).Order("id DESC").Limit(limit).Find(&bs).Error; err != nil {
		return nil, models.Translate(err)
	}
	return summarize(tx, bs)
}

// counts are one broadcast's recipient figures.
type counts struct {
	BroadcastID uint64
	Recipients  int `gorm:"column:n_recipients"`
	Notified    int `gorm:"column:n_notified"`
	Capped      int `gorm:"column:n_capped"`
	Read        int `gorm:"column:n_read"`
	SignedUp    int `gorm:"column:n_signed_up"`
	Attended    int `gorm:"column:n_attended"`
}

// summarize adds the counts and the audience's words to bs.
func summarize(tx *gorm.DB, bs []models.Broadcast) ([]Summary, error) {
	out := make([]Summary, len(bs))
	if len(bs) == 0 {
		return out, nil
	}
	ids := make([]uint64, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	var cs []counts
	if err := tx.Model(&models.BroadcastRecipient{}).Select("broadcast_id, COUNT(*) AS n_recipients, "+
		"COUNT(notified_at) AS n_notified, SUM(CASE WHEN capped THEN 1 ELSE 0 END) AS n_capped, "+
		"COUNT(read_at) AS n_read, COUNT(signed_up_at) AS n_signed_up, COUNT(attended_at) AS n_attended").
		Where("broadcast_id IN ?", ids).Group("broadcast_id").Scan(&cs).Error; err != nil {
		return nil, models.Translate(err)
	}
	by := map[uint64]counts{}
	for _, c := range cs {
		by[c.BroadcastID] = c
	}
	names, err := audienceNames(tx, bs)
	if err != nil {
		return nil, err
	}
	for i, b := range bs {
		c := by[b.ID]
		out[i] = Summary{Broadcast: b, AudienceText: names[b.ID],
			Recipients: c.Recipients, Notified: c.Notified, Capped: c.Capped,
			Read: c.Read, SignedUp: c.SignedUp, Attended: c.Attended}
	}
	return out, nil
}

// audienceNames says whom each broadcast went to.
func audienceNames(tx *gorm.DB, bs []models.Broadcast) (map[uint64]string, error) {
	var groupIDs, stationIDs []uint64
	for _, b := range bs {
		switch b.Audience {
		case models.AudienceGroup:
			groupIDs = append(groupIDs, splitIDs(b.AudienceIDs)...)
		case models.AudienceStations:
			stationIDs = append(stationIDs, splitIDs(b.AudienceIDs)...)
		}
	}
	groups, stations := map[uint64]string{}, map[uint64]string{}
	if len(groupIDs) > 0 {
		var gs []models.DeputyGroup
		if err := tx.Select("id", "name").Where("id IN ?", models.UniqueIDs(groupIDs)).Find(&gs).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, g := range gs {
			groups[g.ID] = g.Name
		}
	}
	if len(stationIDs) > 0 {
		var sts []models.Station
		if err := tx.Select("id", "name").Where("id IN ?", models.UniqueIDs(stationIDs)).Find(&sts).Error; err != nil {
			return nil, models.Translate(err)
		}
		for _, s := range sts {
			stations[s.ID] = s.Name
		}
	}
	out := make(map[uint64]string, len(bs))
	for _, b := range bs {
		switch b.Audience {
		case models.AudienceGroup:
			name := groups[splitIDs(b.AudienceIDs)[0]]
			if name == "" {
				name = "已删除的代表小组"
			}
			out[b.ID] = name
		case models.AudienceStations:
			var ns []string
			for _, id := range splitIDs(b.AudienceIDs) {
				if n := stations[id]; n != "" {
					ns = append(ns, n)
				}
			}
			if len(ns) > 3 {
				out[b.ID] = fmt.Sprintf("%s等%d个联络站的代表", strings.Join(ns[:3], "、"), len(ns))
			} else {
				out[b.ID] = strings.Join(ns, "、") + "的代表"
			}
		default:
			if b.Township != "" {
				out[b.ID] = b.Township + "全体代表"
			} else {
				out[b.ID] = "全体代表"
			}
		}
	}
	return out, nil
}

// office loads a broadcast of the scope; ErrNotFound otherwise.
func office(tx *gorm.DB, sc models.ManageScope, id uint64) (models.Broadcast, error) {
	if !sc.All && sc.Township == "" {
		return models.Broadcast{}, models.ErrManageForbidden
	}
	var b models.Broadcast
	if !models.ValidID(id) {
		return b, ErrNotFound
	}
	if err := scoped(tx, sc).Take(&b, id).Error; err != nil {
		return b, models.NotFoundAs(err, ErrNotFound)
	}
	return b, nil
}

// Get is one broadcast of the scope with every recipient; ErrNotFound
// for one outside it.
func Get(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) (Detail, error) {
	tx := db.WithContext(ctx)
	b, err := office(tx, sc, id)
	if err != nil {
		return Detail{}, err
	}
	sums, err := summarize(tx, []models.Broadcast{b})
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Summary: sums[0]}
	var rows []struct {
		models.BroadcastRecipient
		Name    string
		Station string
		OpenID  *string
	}
	if err := tx.Table("broadcast_recipients r").Joins("JOIN deputies d ON d.id = r.deputy_id").
		Joins("LEFT JOIN stations s ON s.id = d.station_id").
		Select("r.*, d.name AS name, s.name AS station, d.oa_openid AS open_id").Where("r.broadcast_id = ?", b.ID).
		Order("CASE WHEN r.signed_up_at IS NULL THEN 1 ELSE 0 END, r.deputy_id").Scan(&rows).Error; err != nil {
		return Detail{}, models.Translate(err)
	}
	d.Rows = make([]RecipientRow, len(rows))
	for i, r := range rows {
		d.Rows[i] = RecipientRow{BroadcastRecipient: r.BroadcastRecipient, Name: r.Name, Station: r.Station,
			Bound: r.OpenID != nil && *r.OpenID != ""}
	}
	return d, nil
}

// BroadcastSourceKey is the SourceKey of a deputy's 学习培训 entry for
// attending broadcast id: "broadcast:<id>:<deputy id>".
func BroadcastSourceKey(id, deputyID uint64) string {
	return "broadcast:" + strconv.FormatUint(id, 10) + ":" + strconv.FormatUint(deputyID, 10)
}

// sessionDate is the session's local date, "2006-01-02".
func sessionDate(b models.Broadcast, loc *time.Location) string {
	return b.SessionAt.In(models.OrLoc(loc)).Format(time.DateOnly)
}

// MarkAttendance is the check-in at the session: staff of the scope tick
// the recipients present (signed up or not) on the broadcast's page. Each
// newly ticked deputy gets AttendedAt and one approved 学习培训 entry in
// their record (models.ActStudy, SourceStaff, entered and approved by the
// actor, SourceKey BroadcastSourceKey(id, deputy), dated the session's
// local day in loc), unless that year's evaluation is closed (the record
// is locked; the tick still counts here). Idempotent: a deputy ticked
// twice gets one entry. ErrNotTraining, ErrNotRecipient (nothing is
// written), ErrBeforeSession (before the session's local day). marked is
// how many were newly ticked.
func MarkAttendance(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, deputyIDs []uint64, now time.Time, loc *time.Location) (marked int, err error) {
	ids := models.UniqueIDs(deputyIDs)
	if len(ids) == 0 {
		return 0, models.Invalid("deputy_ids", "请勾选到场的代表")
	}
	err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
		marked = 0
		b, err := trainingOf(tx, sc, id, now, loc)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&models.BroadcastRecipient{}).Where("broadcast_id = ? AND deputy_id IN ?", b.ID, ids).Count(&n).Error; err != nil {
			return models.Translate(err)
		}
		if int(n) != len(ids) {
			return ErrNotRecipient
		}
		date := sessionDate(b, loc)
		var ticked []uint64
		for _, dep := range ids {
			res := tx.Model(&models.BroadcastRecipient{}).
				Where("broadcast_id = ? AND deputy_id = ? AND attended_at IS NULL", b.ID, dep).
				Update("attended_at", now.UTC())
			if res.Error != nil {
				return models.Translate(res.Error)
			}
			if res.RowsAffected == 0 {
				continue // ticked before
			}
			marked++
			if err := recordStudy(ctx, tx, sc, b, dep, date, now, loc); err != nil {
				return err
			}
			ticked = append(ticked, dep)
		}
		if marked == 0 {
			return nil
		}
		return auditAttendance(ctx, tx, sc, b.ID, ticked, "", "attended", "签到代表：", now)
	})
	if err != nil {
		return 0, err
	}
	return marked, nil
}

// trainingOf loads a training of the scope whose session day has come.
func trainingOf(tx *gorm.DB, sc models.ManageScope, id uint64, now time.Time, loc *time.Location) (models.Broadcast, error) {
	b, err := office(tx, sc, id)
	if err != nil {
		return b, err
	}
	if b.Kind != models.BroadcastTraining || b.SessionAt == nil {
		return b, ErrNotTraining
	}
	if now.In(models.OrLoc(loc)).Format(time.DateOnly) < sessionDate(b, loc) {
		return b, ErrBeforeSession
	}
	return b, nil
}

// recordStudy writes the deputy's 学习培训 entry for attending b, unless
// it exists or its year is locked.
func recordStudy(ctx context.Context, tx *gorm.DB, sc models.ManageScope, b models.Broadcast, deputyID uint64, date string, now time.Time, loc *time.Location) error {
	locked, err := records.EvaluationLocked(ctx, tx, deputyID, date)
	if err != nil || locked {
		return err
	}
	key := BroadcastSourceKey(b.ID, deputyID)
	staff := sc.Actor.ID
	a := models.Activity{
		DeputyID: deputyID, Type: models.ActStudy, Date: date,
		Title: models.Shorten("参加培训："+b.Title, 100, "…"),
		Description: models.Shorten(fmt.Sprintf("%s举办的培训，%s在%s。", b.Sender(),
			models.DateTimeText(*b.SessionAt, models.OrLoc(loc)), b.SessionPlace), 2000, "…"),
		Source: models.SourceStaff, SourceKey: &key, Status: models.ActivityApproved,
		ReviewerID: &staff, ReviewedAt: ptr(now.UTC()), EnteredByStaffID: &staff,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}
	return models.Translate(tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&a).Error)
}

// UnmarkAttendance undoes a wrong tick: AttendedAt is cleared and the
// entry MarkAttendance wrote is removed; refused once its year's
// evaluation is closed (records.ErrActivityLocked). Unticking a deputy
// who was not ticked changes nothing.
func UnmarkAttendance(ctx context.Context, db *gorm.DB, sc models.ManageScope, id, deputyID uint64, now time.Time, loc *time.Location) error {
	return models.RunTx(ctx, db, func(tx *gorm.DB) error {
		b, err := office(tx, sc, id)
		if err != nil {
			return err
		}
		if b.Kind != models.BroadcastTraining || b.SessionAt == nil {
			return ErrNotTraining
		}
		var r models.BroadcastRecipient
		found, err := models.LockFind(tx, &r, "broadcast_id = ? AND deputy_id = ?", b.ID, deputyID)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotRecipient
		}
		if r.AttendedAt == nil {
			return nil
		}
		locked, err := records.EvaluationLocked(ctx, tx, deputyID, sessionDate(b, loc))
		if err != nil {
			return err
		}
		if locked {
			return records.ErrActivityLocked
		}
		if err := tx.Model(&models.BroadcastRecipient{}).Where("broadcast_id = ? AND deputy_id = ?", b.ID, deputyID).
			Update("attended_at", nil).Error; err != nil {
			return models.Translate(err)
		}
		if err := tx.Where("source_key = ?", BroadcastSourceKey(b.ID, deputyID)).Delete(&models.Activity{}).Error; err != nil {
			return models.Translate(err)
		}
		return auditAttendance(ctx, tx, sc, b.ID, []uint64{deputyID}, "attended", "", "撤销签到：", now)
	})
}

// auditAttendance writes who was ticked or unticked, by name.
func auditAttendance(ctx context.Context, tx *gorm.DB, sc models.ManageScope, id uint64, deputyIDs []uint64, from, to, what string, now time.Time) error {
	var names []string
	if err := tx.Model(&models.Deputy{}).Where("id IN ?", deputyIDs).Order("id").Pluck("name", &names).Error; err != nil {
		return models.Translate(err)
	}
	return models.Audit(ctx, tx, now, sc.Actor, AuditAttendance, "broadcast", id, from, to,
		models.Shorten(what+strings.Join(names, "、"), 1000, "…"))
}

// StaffAttachment is the broadcast whose attachment the scope's staff
// download; ErrNotFound when outside the scope or without an attachment.
func StaffAttachment(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) (models.Broadcast, error) {
	b, err := office(db.WithContext(ctx), sc, id)
	if err == nil && b.AttachmentPath == "" {
		err = ErrNotFound
	}
	return b, err
}
