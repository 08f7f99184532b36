package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"
)

// DayStatus is where a reception day is in its life.
type DayStatus string

// Reception day statuses.
const (
	DayOpen   DayStatus = "open"
	DayClosed DayStatus = "closed" // finished: no-shows marked, records written
)

// ReceptionDay is one station's reception on one local date, generated from
// its rule. The booking window and waitlist settings are a snapshot of the
// rule taken when the day was (re)generated.
type ReceptionDay struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	StationID uint64 `gorm:"not null;uniqueIndex:idx_day_station_date,priority:1;uniqueIndex:idx_day_station_period,priority:1" json:"station_id"`
	// Date is the local date; Period the month of the rule it fulfils.
	Date            string    `gorm:"size:10;not null;uniqueIndex:idx_day_station_date,priority:2;index" json:"date"`
	Period          string    `gorm:"size:7;not null;uniqueIndex:idx_day_station_period,priority:2" json:"period"`
	Status          DayStatus `gorm:"size:16;not null;index" json:"status"`
	StartsAt        time.Time `gorm:"not null" json:"starts_at"`
	EndsAt          time.Time `gorm:"not null;index" json:"ends_at"`
	BookingOpensAt  time.Time `gorm:"not null" json:"booking_opens_at"`
	BookingClosesAt time.Time `gorm:"not null" json:"booking_closes_at"`
	Waitlist        bool      `gorm:"not null" json:"waitlist"`
	WaitlistMax     int       `gorm:"not null" json:"waitlist_max"`
	// RuleHash fingerprints RuleSnapshot (the rule plus the date it gave).
	RuleHash     string     `gorm:"size:64;not null" json:"-"`
	RuleSnapshot string     `gorm:"type:text;not null" json:"-"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CreatedAt    time.Time  `json:"-"`
	UpdatedAt    time.Time  `json:"-"`
}

// ErrReceptionDayNotFound is an unknown reception day, or one outside the
// caller's stations.
var ErrReceptionDayNotFound = Coded(ErrNotFound, "reception_day_not_found", "没有找到这个接待日")

// ErrBookingClosed is a booking attempt outside the day's booking window.
var ErrBookingClosed = Coded(ErrConflict, "booking_closed", "现在不在该接待日的预约时间内")

// CheckBookingWindow is the pure window rule: booking is open from
// BookingOpensAt (inclusive) until BookingClosesAt (exclusive), on open days.
func (d ReceptionDay) CheckBookingWindow(now time.Time) error {
	if d.Status != DayOpen || now.Before(d.BookingOpensAt) || !now.Before(d.BookingClosesAt) {
		return ErrBookingClosed
	}
	return nil
}

// Slot is one time slot of a reception day.
//
// Confirmed always equals the number of the slot's bookings that hold a
// seat (confirmed, checked_in or no_show) and Waitlisted the number of
// waitlisted ones: both change only in the transaction that changes a
// booking's status, and Confirmed only through a conditional UPDATE, so it
// can never pass Capacity; a CHECK constraint backs that up.
type Slot struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	DayID     uint64    `gorm:"not null;uniqueIndex:idx_slot_day_seq,priority:1" json:"day_id"`
	Seq       int       `gorm:"not null;uniqueIndex:idx_slot_day_seq,priority:2" json:"seq"`
	StationID uint64    `gorm:"not null;index" json:"station_id"`
	StartAt   time.Time `gorm:"not null" json:"start"`
	EndAt     time.Time `gorm:"not null" json:"end"`
	// Capacity is the seats bookable online.
	Capacity   int `gorm:"not null;check:chk_slot_seats,confirmed >= 0 AND confirmed <= capacity AND waitlisted >= 0" json:"capacity"`
	Confirmed  int `gorm:"not null;default:0" json:"confirmed"`
	Waitlisted int `gorm:"not null;default:0" json:"waitlisted"`
	// QueueSeq numbers waitlist entries in arrival order (FIFO promotion).
	QueueSeq    int64 `gorm:"not null;default:0" json:"-"`
	WalkInSeats int   `gorm:"not null" json:"walk_in_seats"`
	WalkIns     int   `gorm:"not null;default:0" json:"walk_ins"`
}

// Remaining is the number of seats still bookable online.
func (s Slot) Remaining() int { return max(0, s.Capacity-s.Confirmed) }

// Admission is the pure capacity rule on one reading of a slot's counters:
// a new booking gets a seat while one is free, else a waitlist place when
// the day has a waitlist with room, else ErrSlotFull. BookSlot uses it to
// turn requests for a full slot away without taking the slot's lock; the
// conditional UPDATEs in takeSeat have the final say.
func (s Slot) Admission(d ReceptionDay) (BookingStatus, error) {
	switch {
	case s.Confirmed < s.Capacity:
		return BookingConfirmed, nil
	case d.Waitlist && (d.WaitlistMax == 0 || s.Waitlisted < d.WaitlistMax):
		return BookingWaitlisted, nil
	}
	return "", ErrSlotFull
}

// RosterEntry puts a deputy on duty for a reception day.
//
// Being on the roster is not attending: a deputy attended only once signed
// in at the desk (SignedInAt), by staff or by scanning the desk's code
// (desk_attendance.go), and only that counts in their record.
type RosterEntry struct {
	ID        uint64    `gorm:"primaryKey"`
	DayID     uint64    `gorm:"not null;uniqueIndex:idx_roster_day_deputy,priority:1"`
	DeputyID  uint64    `gorm:"not null;uniqueIndex:idx_roster_day_deputy,priority:2;index"`
	CreatedAt time.Time `gorm:"not null"`
	// AtDesk marks a deputy added at the desk on the day (came unscheduled).
	AtDesk bool `gorm:"not null;default:false"`
	// SignedInAt is when the deputy was signed in at the desk; nil: not (yet) come.
	SignedInAt *time.Time
	// SignedInBy is the staff member who signed the deputy in; nil when
	// the deputy scanned the desk's code (SignInVia says which).
	SignedInBy *uint64
	SignInVia  string `gorm:"size:8;not null;default:''"`
}

// DayPlan is what a rule gives for one month: the pure part of generation.
type DayPlan struct {
	Period, Date                    string
	StartsAt, EndsAt                time.Time // UTC
	BookingOpensAt, BookingClosesAt time.Time // UTC
	Waitlist                        bool
	WaitlistMax                     int
	Slots                           []SlotPlan
	Hash, Snapshot                  string
}

// SlotPlan is one planned slot.
type SlotPlan struct {
	StartAt, EndAt        time.Time // UTC
	Capacity, WalkInSeats int
}

// PlanReceptionDay computes the day rule r gives in the given month: the
// nominal day moved to the next working day, its slots and booking window.
func PlanReceptionDay(r ReceptionRule, cal *Calendar, year int, month time.Month, loc *time.Location) (DayPlan, error) {
	if err := r.Validate(); err != nil {
		return DayPlan{}, err
	}
	day := cal.NextWorkingDay(time.Date(year, month, r.DayOfMonth, 0, 0, 0, 0, loc))
	at := func(d time.Time, clock string) time.Time {
		h, m, _ := parseClock(clock)
		y, mo, dd := d.Date()
		return time.Date(y, mo, dd, h, m, 0, 0, loc).UTC()
	}
	p := DayPlan{
		Period: time.Date(year, month, 1, 0, 0, 0, 0, loc).Format("2006-01"), Date: day.Format(DateLayout),
		StartsAt: at(day, r.StartTime), BookingClosesAt: at(day.AddDate(0, 0, -1), r.ClosesAt),
		BookingOpensAt: midnight(day).AddDate(0, 0, -r.OpensDaysBefore).UTC(),
		Waitlist:       r.Waitlist, WaitlistMax: r.WaitlistMax,
	}
	length := time.Duration(r.SlotMinutes) * time.Minute
	end := at(day, r.EndTime)
	for s := p.StartsAt; !s.Add(length).After(end); s = s.Add(length) {
		p.Slots = append(p.Slots, SlotPlan{StartAt: s, EndAt: s.Add(length),
			Capacity: r.SeatsPerSlot - r.WalkInSeats, WalkInSeats: r.WalkInSeats})
		p.EndsAt = s.Add(length)
	}
	snap := struct {
		ReceptionRule
		ID, StationID        uint64    `json:"-"`
		CreatedAt, UpdatedAt time.Time `json:"-"`
		Date                 string    `json:"date"`
		StartsAt             time.Time `json:"starts_at"`
	}{ReceptionRule: r, Date: p.Date, StartsAt: p.StartsAt}
	b, err := json.Marshal(snap)
	if err != nil {
		return DayPlan{}, err
	}
	sum := sha256.Sum256(b)
	p.Snapshot, p.Hash = string(b), hex.EncodeToString(sum[:16])
	return p, nil
}

// GenerateReport says what GenerateReceptionDays did.
type GenerateReport struct {
	Created, Unchanged, Regenerated, Removed int
	// Conflicts lists days whose rule changed but that have bookings: they
	// keep their old shape, and an admin decides what to do.
	Conflicts []string
}

func (r *GenerateReport) add(o GenerateReport) {
	r.Created += o.Created
	r.Unchanged += o.Unchanged
	r.Regenerated += o.Regenerated
	r.Removed += o.Removed
	r.Conflicts = append(r.Conflicts, o.Conflicts...)
}

// GenerateReceptionDays keeps every station's reception days generated for
// the current month and the next `months` months (a job; run it daily and
// after rule or calendar edits). It is idempotent: a day whose rule and
// date are unchanged is left alone. A future day without bookings follows a
// changed rule or calendar (Regenerated, or Removed when the rule is off); a
// day with bookings never changes and is listed in Conflicts. Today's and
// past days are history and never touched. Each station is one transaction,
// and unique (station_id, date) and (station_id, period) keep two replicas
// running it at once from creating a day twice.
func GenerateReceptionDays(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location, months int) (GenerateReport, error) {
	var rep GenerateReport
	db = db.WithContext(ctx)
	cal, err := LoadCalendar(ctx, db)
	if err != nil {
		return rep, err
	}
	var rules []ReceptionRule
	if err := db.Order("station_id").Find(&rules).Error; err != nil {
		return rep, translate(err)
	}
	var stations []Station
	if err := db.Select("id", "name").Find(&stations).Error; err != nil {
		return rep, translate(err)
	}
	names := map[uint64]string{}
	for _, s := range stations {
		names[s.ID] = s.Name
	}
	today, local := localDate(now, loc), now.In(loc)
	for _, r := range rules {
		plans := map[string]*DayPlan{}
		var periods []string
		for k := 0; k <= max(months, 0); k++ {
			pm := time.Date(local.Year(), local.Month()+time.Month(k), 1, 0, 0, 0, 0, loc)
			periods = append(periods, pm.Format("2006-01"))
			if !r.Active {
				continue
			}
			p, err := PlanReceptionDay(r, cal, pm.Year(), pm.Month(), loc)
			if err != nil {
				return rep, fmt.Errorf("station %d rule: %w", r.StationID, err)
			}
			if p.Date > today {
				plans[p.Period] = &p
			}
		}
		var part GenerateReport
		sync := func(tx *gorm.DB) error {
			part = GenerateReport{}
			return syncStationDays(tx, r.StationID, names[r.StationID], periods, plans, today, now, &part)
		}
		err := runTxOpts(ctx, db, readCommitted(db), sync)
		if errors.Is(err, ErrConflict) { // another replica created the day first
			err = runTxOpts(ctx, db, readCommitted(db), sync)
		}
		if err != nil {
			return rep, fmt.Errorf("generate reception days of station %d: %w", r.StationID, err)
		}
		rep.add(part)
	}
	return rep, nil
}

// syncStationDays brings one station's days for the given periods in line
// with the plans (a missing plan means "no day").
func syncStationDays(tx *gorm.DB, stationID uint64, name string, periods []string, plans map[string]*DayPlan, today string, now time.Time, rep *GenerateReport) error {
	var days []ReceptionDay
	if err := tx.Where("station_id = ? AND period IN ?", stationID, periods).Find(&days).Error; err != nil {
		return translate(err)
	}
	byPeriod := map[string]ReceptionDay{}
	for _, d := range days {
		byPeriod[d.Period] = d
	}
	for _, period := range periods {
		plan, d := plans[period], byPeriod[period]
		switch {
		case d.ID == 0 && plan == nil:
		case d.ID == 0:
			d = ReceptionDay{StationID: stationID, Status: DayOpen, CreatedAt: now.UTC()}
			applyPlan(&d, plan, now)
			if err := tx.Create(&d).Error; err != nil {
				return translate(err)
			}
			var deputies []uint64
			if err := tx.Model(&Deputy{}).Where("station_id = ? AND status = ?", stationID, DeputyActive).
				Order("id").Pluck("id", &deputies).Error; err != nil {
				return translate(err)
			}
			if err := createSlots(tx, d, plan); err != nil {
				return err
			}
			if err := createRoster(tx, d.ID, deputies, now); err != nil {
				return err
			}
			rep.Created++
		case d.Date <= today || d.Status != DayOpen:
			// Today's and past days are history, whatever the rule says now.
		case plan != nil && plan.Hash == d.RuleHash:
			rep.Unchanged++
		default:
			n, err := lockedBookingCount(tx, d.ID)
			if err != nil {
				return err
			}
			if n > 0 {
				rep.Conflicts = append(rep.Conflicts, fmt.Sprintf("%s（%s）：已有%d条预约，接待规则或日历的变更未应用到这一天", name, CalendarDateText(d.Date), n))
				continue
			}
			if err := tx.Where("day_id = ?", d.ID).Delete(&Slot{}).Error; err != nil {
				return translate(err)
			}
			if plan == nil {
				if err := tx.Where("day_id = ?", d.ID).Delete(&RosterEntry{}).Error; err != nil {
					return translate(err)
				}
				if err := tx.Delete(&ReceptionDay{}, d.ID).Error; err != nil {
					return translate(err)
				}
				rep.Removed++
				continue
			}
			// The day keeps its id and roster; only its shape changes.
			applyPlan(&d, plan, now)
			if err := tx.Select("*").Omit("id", "station_id", "status", "created_at").Updates(&d).Error; err != nil {
				return translate(err)
			}
			if err := createSlots(tx, d, plan); err != nil {
				return err
			}
			rep.Regenerated++
		}
	}
	return nil
}

func applyPlan(d *ReceptionDay, p *DayPlan, now time.Time) {
	d.Date, d.Period, d.StartsAt, d.EndsAt = p.Date, p.Period, p.StartsAt, p.EndsAt
	d.BookingOpensAt, d.BookingClosesAt = p.BookingOpensAt, p.BookingClosesAt
	d.Waitlist, d.WaitlistMax = p.Waitlist, p.WaitlistMax
	d.RuleHash, d.RuleSnapshot, d.UpdatedAt = p.Hash, p.Snapshot, now.UTC()
}

func createSlots(tx *gorm.DB, d ReceptionDay, p *DayPlan) error {
	rows := make([]Slot, len(p.Slots))
	for i, s := range p.Slots {
		rows[i] = Slot{DayID: d.ID, Seq: i + 1, StationID: d.StationID, StartAt: s.StartAt, EndAt: s.EndAt,
			Capacity: s.Capacity, WalkInSeats: s.WalkInSeats}
	}
	return translate(tx.Create(&rows).Error)
}

// lockedBookingCount locks a day's slots, then counts its bookings.
//
// Every booking transaction changes its slot's counter, under the slot's
// row lock, before it inserts or moves a booking, and holds that lock until
// it commits. So once we hold all the day's slot locks, a booking is either
// committed (and counted) or waits, and finds its slot gone after the day
// is reshaped. On MySQL this needs the READ COMMITTED transaction
// GenerateReceptionDays opens: under REPEATABLE READ the count would read
// the snapshot taken before the wait, and a locking count would leave gap
// locks on bookings that deadlock with bookers on the station's next day.
func lockedBookingCount(tx *gorm.DB, dayID uint64) (int64, error) {
	var slots []Slot
	if err := lockingUpdate(tx).Where("day_id = ?", dayID).Find(&slots).Error; err != nil {
		return 0, translate(err)
	}
	var n int64
	err := tx.Model(&Booking{}).Where("day_id = ?", dayID).Count(&n).Error
	return n, translate(err)
}

// ReceptionQuery filters ListReceptionDays. Date picks one date (every
// station's day, for a city-wide "find a free seat" page); From/To pick an
// inclusive range; with neither, days not yet over are listed.
type ReceptionQuery struct {
	StationID      *uint64
	From, To, Date string
	Limit          int
	Cursor         string
	// Loc renders times in the user's zone; nil means UTC.
	Loc *time.Location
}

// ReceptionDayView is the public form of a reception day (docs/ARCHITECTURE.md#contracts).
type ReceptionDayView struct {
	ID              uint64        `json:"id"`
	Date            string        `json:"date"`
	Status          DayStatus     `json:"status"`
	Station         StationView   `json:"station"`
	Deputies        []DeputyBrief `json:"deputies"`
	Slots           []SlotView    `json:"slots"`
	BookingOpensAt  time.Time     `json:"booking_opens_at"`
	BookingClosesAt time.Time     `json:"booking_closes_at"`
	// BookingOpen says whether the window is open at the time of the query.
	BookingOpen bool `json:"booking_open"`
	Waitlist    bool `json:"waitlist"`
}

// SlotView is the public form of a slot.
type SlotView struct {
	ID         uint64    `json:"id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Capacity   int       `json:"capacity"`
	Remaining  int       `json:"remaining"`
	Waitlisted int       `json:"waitlisted"`
}

func slotView(s Slot, loc *time.Location) SlotView {
	return SlotView{ID: s.ID, Start: inLoc(s.StartAt, loc), End: inLoc(s.EndAt, loc),
		Capacity: s.Capacity, Remaining: s.Remaining(), Waitlisted: s.Waitlisted}
}

// ListReceptionDays lists reception days by date, then id, with their
// roster and slots, and returns the cursor of the next page ("" at the end).
func ListReceptionDays(ctx context.Context, db *gorm.DB, q ReceptionQuery, now time.Time) ([]ReceptionDayView, string, error) {
	db = db.WithContext(ctx)
	tx := db.Model(&ReceptionDay{})
	if q.Date != "" {
		q.From, q.To = q.Date, q.Date
	}
	switch from, okF := parseDate(q.From, time.UTC); {
	case q.From == "" && q.To == "":
		tx = tx.Where("ends_at > ?", now.UTC())
	case !okF:
		return nil, "", Invalid("from", "日期格式不正确（例如2026-03-10）")
	default:
		to, okT := parseDate(q.To, time.UTC)
		if q.To == "" {
			to, okT = from.AddDate(0, 1, 0), true
		}
		if !okT || to.Before(from) || to.Sub(from) > 366*24*time.Hour {
			return nil, "", Invalid("to", "结束日期格式不正确（例如2026-03-10），且应在开始日期之后一年以内")
		}
		tx = tx.Where("date >= ? AND date <= ?", from.Format(DateLayout), to.Format(DateLayout))
	}
	if q.StationID != nil {
		tx = tx.Where("station_id = ?", *q.StationID)
	}
	if q.Cursor != "" {
		var date string
		var id uint64
		if n, _ := fmt.Sscanf(q.Cursor, "%10s_%d", &date, &id); n != 2 {
			return nil, "", Invalid("cursor", "分页参数无效")
		}
		tx = tx.Where("date > ? OR (date = ? AND id > ?)", date, date, id)
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var days []ReceptionDay
	if err := tx.Order("date, id").Limit(limit + 1).Find(&days).Error; err != nil {
		return nil, "", translate(err)
	}
	next := ""
	if len(days) > limit {
		days = days[:limit]
		next = fmt.Sprintf("%s_%d", days[limit-1].Date, days[limit-1].ID)
	}
	views, err := dayViews(db, days, now, q.Loc)
	return views, next, err
}

// GetReceptionDay returns one day's public view.
func GetReceptionDay(ctx context.Context, db *gorm.DB, dayID uint64, now time.Time, loc *time.Location) (ReceptionDayView, error) {
	var d ReceptionDay
	if err := db.WithContext(ctx).First(&d, dayID).Error; err != nil {
		return ReceptionDayView{}, notFoundAs(err, ErrReceptionDayNotFound)
	}
	views, err := dayViews(db.WithContext(ctx), []ReceptionDay{d}, now, loc)
	if err != nil {
		return ReceptionDayView{}, err
	}
	return views[0], nil
}

// dayViews loads the slots, rosters and stations of days in a few queries.
func dayViews(db *gorm.DB, days []ReceptionDay, now time.Time, loc *time.Location) ([]ReceptionDayView, error) {
	out := make([]ReceptionDayView, 0, len(days))
	if len(days) == 0 {
		return out, nil
	}
	ids, stationIDs := make([]uint64, len(days)), make([]uint64, len(days))
	for i, d := range days {
		ids[i], stationIDs[i] = d.ID, d.StationID
	}
	var slots []Slot
	if err := db.Where("day_id IN ?", ids).Order("day_id, seq").Find(&slots).Error; err != nil {
		return nil, translate(err)
	}
	var roster []RosterEntry
	if err := db.Where("day_id IN ?", ids).Order("id").Find(&roster).Error; err != nil {
		return nil, translate(err)
	}
	depIDs := make([]uint64, len(roster))
	for i, r := range roster {
		depIDs[i] = r.DeputyID
	}
	var deps []Deputy
	if err := db.Where("id IN ?", append(depIDs, 0)).Find(&deps).Error; err != nil {
		return nil, translate(err)
	}
	codes, err := PrimaryCodes(db.Statement.Context, db, CodeDeputy, depIDs)
	if err != nil {
		return nil, err
	}
	briefs := map[uint64]DeputyBrief{}
	for _, d := range deps {
		briefs[d.ID] = DeputyBrief{ID: d.ID, Name: d.Name, Level: d.Level, LevelLabel: d.Level.Label(), Code: codes[d.ID]}
	}
	stations, err := stationViewsByID(db, stationIDs)
	if err != nil {
		return nil, err
	}
	byDay := map[uint64]*ReceptionDayView{}
	for _, d := range days {
		out = append(out, ReceptionDayView{
			ID: d.ID, Date: d.Date, Status: d.Status, Station: stations[d.StationID],
			Deputies: []DeputyBrief{}, Slots: []SlotView{}, Waitlist: d.Waitlist,
			BookingOpensAt: inLoc(d.BookingOpensAt, loc), BookingClosesAt: inLoc(d.BookingClosesAt, loc),
			BookingOpen: d.CheckBookingWindow(now) == nil,
		})
	}
	for i := range out {
		byDay[out[i].ID] = &out[i]
	}
	for _, s := range slots {
		byDay[s.DayID].Slots = append(byDay[s.DayID].Slots, slotView(s, loc))
	}
	for _, r := range roster {
		if b, ok := briefs[r.DeputyID]; ok {
			byDay[r.DayID].Deputies = append(byDay[r.DayID].Deputies, b)
		}
	}
	for i := range out {
		sort.SliceStable(out[i].Deputies, func(a, b int) bool {
			return levelRank(out[i].Deputies[a].Level) < levelRank(out[i].Deputies[b].Level)
		})
	}
	return out, nil
}

// stationViewsByID loads stations with their codes, keyed by id.
func stationViewsByID(db *gorm.DB, ids []uint64) (map[uint64]StationView, error) {
	var sts []Station
	if err := db.Where("id IN ?", append(uniqueIDs(ids), 0)).Find(&sts).Error; err != nil {
		return nil, translate(err)
	}
	codes, err := PrimaryCodes(db.Statement.Context, db, CodeStation, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]StationView, len(sts))
	for _, st := range sts {
		out[st.ID] = stationView(st, codes[st.ID])
	}
	return out, nil
}
