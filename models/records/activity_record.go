package records

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"

	"gorm.io/gorm"
)

// Manual entries of a deputy's record (docs/ARCHITECTURE.md#deputies-records):
// staff of the deputy's stations enter activities for them, and the deputy
// submits their own; both wait for review (activity_review.go).

// Evidence limits of an activity: photos follow the opinions' image rules
// (CheckReplyFile: 5 MB, 25 megapixels), PDFs are at most 10 MB, kept as
// they are and only ever served as downloads.
const (
	MaxActivityFiles = 6
	// ActivityFileDir is where evidence lives under the data directory.
	ActivityFileDir = "uploads/activity"
	// Kinds of evidence (the same as a department reply's).
	ActivityFilePhoto = models.ReplyFilePhoto
	ActivityFilePDF   = models.ReplyFilePDF
)

// Errors of the records.
var (
	ErrActivityNotFound = models.Coded(models.ErrNotFound, "activity_not_found", "没有找到这条履职记录")
	// ErrActivityLocked refuses a change to an entry of a year whose
	// evaluation is closed.
	ErrActivityLocked       = models.Coded(models.ErrConflict, "activity_locked", "该年度考评已结束，记录已锁定")
	ErrActivityFileNotFound = models.Coded(models.ErrNotFound, "activity_file_not_found", "没有找到这份佐证材料")
)

// ActivityFileInput is a stored evidence file to record with an activity
// (the console stores and checks the upload, then passes it here).
type ActivityFileInput struct {
	// Kind is ActivityFilePhoto or ActivityFilePDF.
	Kind string
	// Name is the uploaded file's cleaned name (CleanFileName).
	Name string
	// Path is relative to the data directory, under ActivityFileDir.
	Path string
	Size int64
}

// ActivityInput is a manual entry.
type ActivityInput struct {
	DeputyID uint64
	Type     models.ActivityType
	// Date is the local date the activity happened ("2006-01-02").
	Date        string
	Title       string
	Description string
	Files       []ActivityFileInput
	// Loc is the local time zone the date is read in (nil: UTC+8).
	Loc *time.Location
}

// Limits of a manual entry's text.
const (
	activityTitleMin = 2
	activityTitleMax = 100
	activityDescMax  = 2000
)

// normalize cleans in and checks what needs no database.
func (in *ActivityInput) normalize(now time.Time) (time.Time, error) {
	in.Title = strings.TrimSpace(models.CleanLine(in.Title))
	in.Description = strings.TrimSpace(models.CleanText(in.Description))
	in.Date = strings.TrimSpace(in.Date)
	if !in.Type.Valid() {
		return time.Time{}, models.Invalid("type", "请选择活动类型")
	}
	if in.Type == models.ActReception {
		// Reception days come from the desk's sign-in (AccrueActivities);
		// a manual one would count the same day twice.
		return time.Time{}, models.Invalid("type", "接待选民由接待日签到自动记录，请选择其他类型（如走访选民、联系群众）")
	}
	loc := models.OrLoc(in.Loc)
	d, err := time.ParseInLocation(models.DateLayout, in.Date, loc)
	if err != nil {
		return time.Time{}, models.Invalid("date", "请填写活动日期")
	}
	today := now.In(loc).Format(models.DateLayout)
	switch {
	case in.Date > today:
		return d, models.Invalid("date", "活动日期不能晚于今天")
	case d.Year() < now.In(loc).Year()-1:
		return d, models.Invalid("date", "只能录入本年度或上一年度的活动")
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n < activityTitleMin:
		return d, models.Invalid("title", "请填写活动名称（至少2个字）")
	case n > activityTitleMax:
		return d, models.Invalid("title", "活动名称不能超过100个字")
	}
	if utf8.RuneCountInString(in.Description) > activityDescMax {
		return d, models.Invalid("description", "活动情况不能超过2000字")
	}
	if len(in.Files) > MaxActivityFiles {
		return d, models.Invalid("files", fmt.Sprintf("佐证材料最多%d个", MaxActivityFiles))
	}
	for _, f := range in.Files {
		if (f.Kind != ActivityFilePhoto && f.Kind != ActivityFilePDF) ||
			!strings.HasPrefix(f.Path, ActivityFileDir+"/") || strings.Contains(f.Path, "..") {
			return d, models.Invalid("files", "佐证材料只能是照片或PDF文件")
		}
	}
	return d, nil
}

// deputyStationIDs is a deputy's primary station and other stations.
func deputyStationIDs(tx *gorm.DB, d models.Deputy) ([]uint64, error) {
	ids := []uint64{d.StationID}
	var others []uint64
	if err := tx.Table("deputy_stations").Where("deputy_id = ?", d.ID).Pluck("station_id", &others).Error; err != nil {
		return nil, models.Translate(err)
	}
	return append(ids, others...), nil
}

// deputyInScope reports whether a staff scope covers a deputy: their
// primary station or one of their other stations.
func deputyInScope(tx *gorm.DB, scope models.StaffScope, d models.Deputy) (bool, error) {
	if scope.All {
		return true, nil
	}
	ids, err := deputyStationIDs(tx, d)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if scope.Allows(id) {
			return true, nil
		}
	}
	return false, nil
}

// DeputyInScope returns a deputy the scope covers (primary station or one
// of their other stations); any other is ErrDeputyNotFound.
func DeputyInScope(ctx context.Context, db *gorm.DB, scope models.StaffScope, deputyID uint64) (models.Deputy, error) {
	var d models.Deputy
	tx := db.WithContext(ctx)
	if err := tx.First(&d, deputyID).Error; err != nil {
		return d, models.NotFoundAs(err, models.ErrDeputyNotFound)
	}
	ok, err := deputyInScope(tx, scope, d)
	if err != nil {
		return d, err
	}
	if !ok {
		return models.Deputy{}, models.ErrDeputyNotFound
	}
	return d, nil
}

// yearClosed reports whether the evaluation of year that the deputy
// belongs to (evaluationKeyOf: their level, and township for a township
// deputy) is closed, which locks the deputy's entries of that year.
func yearClosed(tx *gorm.DB, d models.Deputy, year int) (bool, error) {
	level, town, ok, err := evaluationKeyOf(tx, d)
	if err != nil || !ok {
		return false, err
	}
	var n int64
	err = tx.Model(&models.Evaluation{}).Where("year = ? AND level = ? AND township = ? AND status = ?",
		year, level, town, models.EvaluationClosed).Count(&n).Error
	return n > 0, models.Translate(err)
}

// dateYear is the year of a "2006-01-02" date (0 if it is not one).
func dateYear(date string) int {
	if len(date) < 4 {
		return 0
	}
	y, _ := strconv.Atoi(date[:4])
	return y
}

// addActivity checks and stores a manual entry, pending review.
func addActivity(ctx context.Context, db *gorm.DB, scope *models.StaffScope, in ActivityInput, src models.ActivitySource,
	staffID *uint64, now time.Time) (models.Activity, error) {
	d, err := in.normalize(now)
	if err != nil {
		return models.Activity{}, err
	}
	var a models.Activity
	err = models.RunTx(ctx, db, func(tx *gorm.DB) error {
		var dep models.Deputy
		if err := tx.First(&dep, in.DeputyID).Error; err != nil {
			return models.NotFoundAs(err, models.ErrDeputyNotFound)
		}
		if scope != nil {
			ok, err := deputyInScope(tx, *scope, dep)
			if err != nil {
				return err
			}
			if !ok {
				return models.ErrDeputyNotFound
			}
		}
		if dep.TermStart != "" && in.Date < dep.TermStart {
			return models.Invalid("date", "活动日期早于这位代表的任期开始日期（"+models.CalendarFullDateText(dep.TermStart)+"）")
		}
		if dep.TermEnd != "" && in.Date > dep.TermEnd {
			return models.Invalid("date", "活动日期晚于这位代表的任期结束日期（"+models.CalendarFullDateText(dep.TermEnd)+"）")
		}
		closed, err := yearClosed(tx, dep, d.Year())
		if err != nil {
			return err
		}
		if closed {
			return models.Invalid("date", fmt.Sprintf("%d年度考评已结束，不能再录入该年度的活动", d.Year()))
		}
		a = models.Activity{DeputyID: dep.ID, Type: in.Type, Date: in.Date, Title: in.Title, Description: in.Description,
			Source: src, Status: models.ActivityPending, EnteredByStaffID: staffID}
		if err := tx.Create(&a).Error; err != nil {
			return models.Translate(err)
		}
		for _, f := range in.Files {
			name := models.CleanFileName(f.Name)
			if name == "" {
				name = "佐证材料"
			}
			row := models.ActivityFile{ActivityID: a.ID, Kind: f.Kind, Name: name, Path: f.Path, Size: f.Size}
			if err := tx.Create(&row).Error; err != nil {
				return models.Translate(err)
			}
		}
		actor := models.Actor{Kind: "deputy", ID: dep.ID}
		if scope != nil {
			actor = scope.Actor
		}
		return models.Audit(ctx, tx, now, actor, "activity.add", "activity", a.ID, "", string(models.ActivityPending),
			fmt.Sprintf("deputy %d %s %s", dep.ID, in.Type, in.Date))
	})
	return a, err
}

// AddStaffActivity enters an activity for a deputy of the staff member's
// stations (primary or other; any other deputy is ErrDeputyNotFound),
// pending review. The date must be a real day, not in the future, within
// the deputy's term, of this or last year, and of a year whose evaluation
// is still open. Reception days are not entered by hand (they accrue from
// the desk). Audited.
func AddStaffActivity(ctx context.Context, db *gorm.DB, scope models.StaffScope, staffID uint64, in ActivityInput, now time.Time) (models.Activity, error) {
	id := staffID
	return addActivity(ctx, db, &scope, in, models.SourceStaff, &id, now)
}

// AddDeputyActivity records an activity the deputy submits themselves
// (in.DeputyID must be the signed-in deputy), pending review; the same
// rules as AddStaffActivity. Audited.
func AddDeputyActivity(ctx context.Context, db *gorm.DB, deputyID uint64, in ActivityInput, now time.Time) (models.Activity, error) {
	in.DeputyID = deputyID
	return addActivity(ctx, db, nil, in, models.SourceDeputy, nil, now)
}

// StaffActivityFile returns an evidence file of an activity of a deputy
// the scope covers; any other is ErrActivityFileNotFound.
func StaffActivityFile(ctx context.Context, db *gorm.DB, scope models.StaffScope, fileID uint64) (models.ActivityFile, error) {
	f, a, err := activityFile(ctx, db, fileID)
	if err != nil {
		return f, err
	}
	if _, err := DeputyInScope(ctx, db, scope, a.DeputyID); err != nil {
		return models.ActivityFile{}, models.NotFoundAs(err, ErrActivityFileNotFound)
	}
	return f, nil
}

// DeputyActivityFile returns an evidence file of one of the deputy's own
// activities; any other is ErrActivityFileNotFound.
func DeputyActivityFile(ctx context.Context, db *gorm.DB, deputyID, fileID uint64) (models.ActivityFile, error) {
	f, a, err := activityFile(ctx, db, fileID)
	if err != nil {
		return f, err
	}
	if a.DeputyID != deputyID {
		return models.ActivityFile{}, ErrActivityFileNotFound
	}
	return f, nil
}

func activityFile(ctx context.Context, db *gorm.DB, fileID uint64) (models.ActivityFile, models.Activity, error) {
	var f models.ActivityFile
	var a models.Activity
	tx := db.WithContext(ctx)
	if err := tx.First(&f, fileID).Error; err != nil {
		return f, a, models.NotFoundAs(err, ErrActivityFileNotFound)
	}
	if err := tx.Select("id", "deputy_id").First(&a, f.ActivityID).Error; err != nil {
		return f, a, models.NotFoundAs(err, ErrActivityFileNotFound)
	}
	return f, a, nil
}

// DeputyChoice is a deputy to pick in a form or a filter.
type DeputyChoice struct {
	ID          uint64
	Name        string
	StationName string
	LevelLabel  string
}

// RecordDeputies lists the active deputies of the scope's stations (primary
// or other), by name.
func RecordDeputies(ctx context.Context, db *gorm.DB, scope models.StaffScope) ([]DeputyChoice, error) {
	tx := db.WithContext(ctx)
	q := tx.Model(&models.Deputy{}).Where("status = ?", models.DeputyActive)
	if !scope.All {
		st := append(append([]uint64{}, scope.StationIDs...), 0)
		q = q.Where("station_id IN ? OR id IN (?)", st,
			db.Table("deputy_stations").Select("deputy_id").Where("station_id IN ?", st))
	}
	var deps []models.Deputy
	if err := q.Order("name, id").Find(&deps).Error; err != nil {
		return nil, models.Translate(err)
	}
	names, err := stationNames(tx)
	if err != nil {
		return nil, err
	}
	out := make([]DeputyChoice, len(deps))
	for i, d := range deps {
		out[i] = DeputyChoice{ID: d.ID, Name: d.Name, StationName: names[d.StationID], LevelLabel: d.Level.Label()}
	}
	return out, nil
}
