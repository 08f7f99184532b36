package models

import (
	"context"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"
)

// The office's Excel ledgers (台账): the opinions of a period, the bookings
// and the reception records, for the stations of a staff member's scope.
// WriteExport reads the rows from the database in batches by id and hands
// them to excelize's StreamWriter, which keeps at most its 16 MB chunk of
// the sheet in memory and spills the rest to a temporary file; excelize
// then builds the zip in memory (about 100 bytes a row) before it is sent
// (docs/BENCHMARKS.md#excel-export). Times are local and written the
// Chinese way; phone numbers only masked.

// ExportKind is which ledger to write.
type ExportKind string

// The ledgers.
const (
	ExportOpinions   ExportKind = "opinions"
	ExportBookings   ExportKind = "bookings"
	ExportReceptions ExportKind = "receptions"
)

// ExportKinds lists the ledgers in the order the page offers them.
var ExportKinds = []ExportKind{ExportOpinions, ExportBookings, ExportReceptions}

// Valid reports whether k is a known ledger.
func (k ExportKind) Valid() bool {
	return k == ExportOpinions || k == ExportBookings || k == ExportReceptions
}

// Label is the ledger's Chinese name.
func (k ExportKind) Label() string {
	switch k {
	case ExportOpinions:
		return "意见建议台账"
	case ExportBookings:
		return "预约接待登记"
	case ExportReceptions:
		return "代表接待记录"
	}
	return string(k)
}

// exportHeaders are the ledgers' columns.
var exportHeaders = map[ExportKind][]string{
	ExportOpinions: {"编号", "提交时间", "渠道", "类别", "联络站", "代表", "村（社区）", "内容", "是否匿名", "联系人", "联系电话",
		"状态", "办理轮次", "受理期限", "受理时间", "答复期限", "答复时间", "办结时间", "承办部门", "答复内容",
		"答复满意度", "结果满意度", "是否超期"},
	ExportBookings:   {"接待日期", "时段", "联络站", "状态", "群众电话", "反映事项", "预约时间", "签到时间", "取消时间", "取消原因"},
	ExportReceptions: {"接待日期", "联络站", "代表", "层级", "接待群众（人次）", "预约签到", "现场登记", "预约未到"},
}

// ExportHeaders are the Chinese column headers of a ledger.
func ExportHeaders(kind ExportKind) []string { return exportHeaders[kind] }

// ExportQuery says which rows a ledger holds.
type ExportQuery struct {
	Kind  ExportKind
	Scope StaffScope
	// StationID narrows to one station of the scope; 0 is every station in
	// it (with the office's own queue for an admin).
	StationID uint64
	// From and To are local dates (DateLayout), both included: the filing
	// date of an opinion, the reception date of a booking or a record.
	From, To string
	Loc      *time.Location
	// Now decides which open items are overdue.
	Now time.Time
}

// MaxExportDays is the longest period one ledger covers.
const MaxExportDays = 3*366 + 1

// ErrExportStation is a station outside the scope, as absent as a missing one.
var ErrExportStation = Coded(ErrNotFound, "station_not_found", "没有找到这个联络站，或者您没有导出它的权限")

// Check validates the query: a known ledger, dates in order within
// MaxExportDays, a station of the scope.
func (q ExportQuery) Check() error {
	if !q.Kind.Valid() {
		return Invalid("kind", "请选择要导出的台账")
	}
	from, err1 := time.Parse(DateLayout, q.From)
	to, err2 := time.Parse(DateLayout, q.To)
	if err1 != nil || err2 != nil {
		return Invalid("from", "请填写开始和结束日期")
	}
	if to.Before(from) {
		return Invalid("to", "结束日期不能早于开始日期")
	}
	if to.Sub(from) > MaxExportDays*24*time.Hour {
		return Invalid("to", "一次最多导出三年的台账，请缩短时间段")
	}
	if q.StationID != 0 && !q.Scope.Allows(q.StationID) {
		return ErrExportStation
	}
	return nil
}

// ExportFileName is the file's name: "意见建议台账_2026-11-01至2026-11-30.xlsx",
// with the station's name when it is for one station.
func ExportFileName(q ExportQuery, station string) string {
	name := q.Kind.Label()
	if station != "" {
		name += "_" + station
	}
	return name + "_" + q.From + "至" + q.To + ".xlsx"
}

// exportBatch is how many rows one query reads.
const exportBatch = 1000

// WriteExport writes the ledger of q as an .xlsx file to w and returns how
// many data rows it wrote. Call q.Check first: its errors are the caller's
// to show before any byte is written.
func WriteExport(ctx context.Context, db *gorm.DB, q ExportQuery, w io.Writer) (int, error) {
	if err := q.Check(); err != nil {
		return 0, err
	}
	q.Loc = orLoc(q.Loc)
	db = db.WithContext(ctx)
	f := excelize.NewFile()
	defer f.Close()
	sheet := q.Kind.Label()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return 0, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return 0, err
	}
	headers := ExportHeaders(q.Kind)
	for i, h := range headers {
		width := 14.0
		switch h {
		case "内容", "答复内容", "反映事项":
			width = 50
		case "编号", "提交时间", "受理期限", "受理时间", "答复期限", "答复时间", "办结时间", "预约时间", "签到时间", "取消时间", "联络站":
			width = 22
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return 0, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, err
	}
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return 0, err
	}
	row := 1
	n, err := exportRows(db, q, func(vals []any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	return n, f.Write(w)
}

// exportRows reads the rows of q and hands each to put, in id order.
func exportRows(db *gorm.DB, q ExportQuery, put func([]any) error) (int, error) {
	q.Loc = orLoc(q.Loc)
	x := exporter{db: db, q: q, sink: put}
	if err := x.lookups(); err != nil {
		return 0, err
	}
	var err error
	switch q.Kind {
	case ExportOpinions:
		err = x.opinions()
	case ExportBookings:
		err = x.bookings()
	case ExportReceptions:
		err = x.receptions()
	}
	return x.rows, err
}

// exporter writes one ledger.
type exporter struct {
	db   *gorm.DB
	q    ExportQuery
	sink func([]any) error
	rows int
	// The small tables, by id.
	stations    map[uint64]string
	categories  map[uint64]string
	departments map[uint64]string
	communities map[uint64]string
	deputies    map[uint64]Deputy
}

func (x *exporter) lookups() error {
	x.stations = map[uint64]string{officeStation: OfficeName}
	x.categories, x.departments, x.communities = map[uint64]string{}, map[uint64]string{}, map[uint64]string{}
	x.deputies = map[uint64]Deputy{}
	type named struct {
		ID   uint64
		Name string
	}
	for _, t := range []struct {
		model any
		into  map[uint64]string
	}{{&Station{}, x.stations}, {&Category{}, x.categories}, {&Department{}, x.departments}, {&Community{}, x.communities}} {
		var rows []named
		if err := x.db.Model(t.model).Select("id", "name").Find(&rows).Error; err != nil {
			return translate(err)
		}
		for _, r := range rows {
			t.into[r.ID] = r.Name
		}
	}
	var ds []Deputy
	if err := x.db.Select("id", "name", "level").Find(&ds).Error; err != nil {
		return translate(err)
	}
	for _, d := range ds {
		x.deputies[d.ID] = d
	}
	return nil
}

// scoped narrows a query of a table with station_id to the query's stations.
func (x *exporter) scoped(tx *gorm.DB) (*gorm.DB, bool) {
	switch {
	case x.q.StationID != 0:
		return tx.Where("station_id = ?", x.q.StationID), true
	case x.q.Scope.All:
		return tx, true
	case len(x.q.Scope.StationIDs) == 0:
		return tx, false
	}
	return tx.Where("station_id IN ?", x.q.Scope.StationIDs), true
}

func (x *exporter) put(vals ...any) error {
	x.rows++
	return x.sink(vals)
}

// when writes a time as "2026年11月24日 09:00", "" for none.
func (x *exporter) when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return FullDateText(*t, x.q.Loc) + " " + ClockText(*t, x.q.Loc)
}

// batches reads model rows of q by id cursor, exportBatch at a time.
func batches[T any](x *exporter, base func(*gorm.DB) *gorm.DB, id func(T) uint64, each func([]T) error) error {
	var after uint64
	for {
		var rows []T
		tx, ok := x.scoped(base(x.db))
		if !ok {
			return nil
		}
		if err := tx.Where("id > ?", after).Order("id").Limit(exportBatch).Find(&rows).Error; err != nil {
			return translate(err)
		}
		if len(rows) == 0 {
			return nil
		}
		if err := each(rows); err != nil {
			return err
		}
		after = id(rows[len(rows)-1])
		if len(rows) < exportBatch {
			return nil
		}
	}
}

func (x *exporter) opinions() error {
	from, _ := time.ParseInLocation(DateLayout, x.q.From, x.q.Loc)
	to, _ := time.ParseInLocation(DateLayout, x.q.To, x.q.Loc)
	to = to.AddDate(0, 0, 1)
	base := func(db *gorm.DB) *gorm.DB {
		return db.Model(&Opinion{}).Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC())
	}
	return batches(x, base, func(o Opinion) uint64 { return o.ID }, func(ops []Opinion) error {
		ids := make([]uint64, len(ops))
		var voters []uint64
		for i, o := range ops {
			ids[i] = o.ID
			if o.VoterID != 0 {
				voters = append(voters, o.VoterID)
			}
		}
		var ratings []OpinionRating
		if err := x.db.Select("opinion_id", "round", "stage", "score").Where("opinion_id IN ?", ids).
			Order("round").Find(&ratings).Error; err != nil {
			return translate(err)
		}
		type rated struct{ reply, result string }
		scores := map[uint64]rated{}
		for _, r := range ratings {
			s := scores[r.OpinionID]
			if r.Stage == StageReply {
				s.reply = ScoreLabel(r.Score)
			} else {
				s.result = ResultLabel(r.Score)
			}
			scores[r.OpinionID] = s
		}
		phones := map[uint64]string{}
		if len(voters) > 0 {
			var vs []Voter
			if err := x.db.Select("id", "phone_masked").Where("id IN ?", voters).Find(&vs).Error; err != nil {
				return translate(err)
			}
			for _, v := range vs {
				phones[v.ID] = v.PhoneMasked
			}
		}
		for _, o := range ops {
			deputy, community, dept := "", "", ""
			if o.DeputyID != nil {
				deputy = x.deputies[*o.DeputyID].Name
			}
			if o.CommunityID != nil {
				community = x.communities[*o.CommunityID]
			}
			if o.DepartmentID != nil {
				dept = x.departments[*o.DepartmentID]
			}
			phone := o.ContactPhoneMasked
			if phone == "" {
				phone = phones[o.VoterID]
			}
			anon := "否"
			if o.Anonymous {
				anon = "是"
			}
			filed := o.CreatedAt
			err := x.put(o.TrackingNo, x.when(&filed), SourceLabel(o.Source), x.categories[o.CategoryID],
				x.stations[o.StationID], deputy, community, o.Content, anon, o.ContactName, phone,
				o.Status.Label(), o.Round, x.when(&o.AcceptDueAt), x.when(o.AcceptedAt), x.when(&o.ReplyDueAt),
				x.when(o.RepliedAt), x.when(o.ClosedAt), dept, o.ReplyText,
				scores[o.ID].reply, scores[o.ID].result, overdueText(o, x.q.Now))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// overdueText says which deadlines of an item were missed: marked by the
// overdue job, met late, or running past due at now.
func overdueText(o Opinion, now time.Time) string {
	acceptNow, replyNow := o.Overdue(now)
	accept := acceptNow || o.AcceptOverdueAt != nil || (o.AcceptedAt != nil && o.AcceptedAt.After(o.AcceptDueAt))
	reply := replyNow || o.ReplyOverdueAt != nil || (o.RepliedAt != nil && o.RepliedAt.After(o.ReplyDueAt))
	switch {
	case accept && reply:
		return "受理、答复超期"
	case accept:
		return "受理超期"
	case reply:
		return "答复超期"
	}
	return "否"
}

// bookingStatusText names a booking's status in the ledger.
func bookingStatusText(s BookingStatus) string {
	switch s {
	case BookingConfirmed:
		return "已预约"
	case BookingWaitlisted:
		return "候补"
	case BookingCancelled:
		return "已取消"
	case BookingCheckedIn:
		return "已签到"
	case BookingNoShow:
		return "未到"
	}
	return string(s)
}

// cancelReasonText names why a booking was cancelled.
func cancelReasonText(r string) string {
	switch r {
	case CancelByVoter:
		return "群众取消"
	case CancelWaitlistExpired:
		return "候补未轮到"
	case CancelVoterErased:
		return "群众删除了个人信息"
	}
	return r
}

func (x *exporter) bookings() error {
	base := func(db *gorm.DB) *gorm.DB {
		return db.Model(&Booking{}).Where("date >= ? AND date <= ?", x.q.From, x.q.To)
	}
	return batches(x, base, func(b Booking) uint64 { return b.ID }, func(bs []Booking) error {
		var slotIDs, voterIDs []uint64
		for _, b := range bs {
			slotIDs, voterIDs = append(slotIDs, b.SlotID), append(voterIDs, b.VoterID)
		}
		var slots []Slot
		if err := x.db.Select("id", "start_at", "end_at").Where("id IN ?", uniqueIDs(slotIDs)).Find(&slots).Error; err != nil {
			return translate(err)
		}
		spans := make(map[uint64]string, len(slots))
		for _, s := range slots {
			spans[s.ID] = ClockText(s.StartAt, x.q.Loc) + "～" + ClockText(s.EndAt, x.q.Loc)
		}
		var vs []Voter
		if err := x.db.Select("id", "phone_masked").Where("id IN ?", uniqueIDs(voterIDs)).Find(&vs).Error; err != nil {
			return translate(err)
		}
		phones := make(map[uint64]string, len(vs))
		for _, v := range vs {
			phones[v.ID] = v.PhoneMasked
		}
		for _, b := range bs {
			made := b.CreatedAt
			err := x.put(CalendarFullDateText(b.Date), spans[b.SlotID], x.stations[b.StationID], bookingStatusText(b.Status),
				phones[b.VoterID], b.Topic, x.when(&made), x.when(b.CheckedInAt), x.when(b.CancelledAt), cancelReasonText(b.CancelReason))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (x *exporter) receptions() error {
	base := func(db *gorm.DB) *gorm.DB {
		return db.Model(&ReceptionRecord{}).Where("date >= ? AND date <= ?", x.q.From, x.q.To)
	}
	return batches(x, base, func(r ReceptionRecord) uint64 { return r.ID }, func(rs []ReceptionRecord) error {
		for _, r := range rs {
			d := x.deputies[r.DeputyID]
			err := x.put(CalendarFullDateText(r.Date), x.stations[r.StationID], d.Name, d.Level.Label(),
				r.VotersReceived, r.CheckedIn, r.WalkIns, r.NoShows)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ExportStationName is the name of a station for a ledger's file name.
func ExportStationName(ctx context.Context, db *gorm.DB, id uint64) (string, error) {
	if id == 0 {
		return "", nil
	}
	var s Station
	if err := db.WithContext(ctx).Select("id", "name").First(&s, id).Error; err != nil {
		return "", notFoundAs(err, ErrExportStation)
	}
	return s.Name, nil
}
