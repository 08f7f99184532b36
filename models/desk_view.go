package models

import (
	"context"
	"sort"
	"time"

	"gorm.io/gorm"
)

// DeskView is one reception day as the desk sees it: its slots with their
// bookings and walk-ins, the roster with who signed in, the invited guests.
type DeskView struct {
	ID          uint64
	Status      DayStatus
	Station     StationView
	Date        string
	DateText    string // "2026年12月10日"
	SpanText    string // "09:00～11:30"
	Today       bool
	CheckinOpen bool // check-in and walk-ins are taken now
	Closed      bool
	Slots       []DeskSlot
	Roster      []DeskDeputy
	Guests      []DeskGuest
	// Addable are the active deputies not on the roster, the station's own
	// first: those staff may add when one comes unscheduled.
	Addable []DeskDeputy
	// Totals over the day.
	Booked, CheckedIn, WalkIns, NoShows, Waitlisted int
}

// DeskSlot is one slot at the desk.
type DeskSlot struct {
	ID                    uint64
	Label                 string // "09:00～09:30"
	Capacity, Confirmed   int
	WalkInSeats, WalkInsN int
	Ended                 bool
	Bookings              []DeskBooking
	WalkIns               []DeskWalkIn
}

// DeskBooking is one booking at the desk; the phone is masked.
type DeskBooking struct {
	ID          uint64
	Code        string
	Status      BookingStatus
	StatusLabel string // 已预约, 已签到, 未到, 候补
	Phone       string // masked, "" when the voter gave none
	Topic       string
	CheckedIn   string // "09:05", "" unless checked in
	// CanMarkNoShow: confirmed, and its slot has ended on an open day.
	CanMarkNoShow bool
}

// DeskWalkIn is one walk-in at the desk.
type DeskWalkIn struct {
	ID          uint64
	Name, Topic string
	At          string // "09:40"
	BeyondSeats bool
}

// DeskDeputy is one deputy of the roster at the desk.
type DeskDeputy struct {
	ID         uint64
	Name       string
	LevelLabel string
	AtDesk     bool
	SignedIn   bool
	// SignedInText is "09:05 工作人员签到" or "09:05 扫码签到".
	SignedInText string
}

// DeskGuest is one invited guest at the desk.
type DeskGuest struct {
	ReceptionGuest
	SignedInText string // "09:05"
}

// bookingStatusLabels are the desk's words for a booking's state.
var bookingStatusLabels = map[BookingStatus]string{
	BookingConfirmed:  "已预约",
	BookingCheckedIn:  "已签到",
	BookingNoShow:     "未到",
	BookingWaitlisted: "候补",
	BookingCancelled:  "已取消",
}

// Label is the desk's Chinese word for a booking status.
func (s BookingStatus) Label() string { return bookingStatusLabels[s] }

// DeskDay loads a day's desk for a staff member; a day outside the scope
// is ErrReceptionDayNotFound.
func DeskDay(ctx context.Context, db *gorm.DB, scope StaffScope, dayID uint64, now time.Time, loc *time.Location) (DeskView, error) {
	db = db.WithContext(ctx)
	loc = orLoc(loc)
	var d ReceptionDay
	if err := db.First(&d, dayID).Error; err != nil || !scope.Allows(d.StationID) {
		return DeskView{}, notFoundAs(orRefuse(err, gorm.ErrRecordNotFound), ErrReceptionDayNotFound)
	}
	stations, err := stationViewsByID(db, []uint64{d.StationID})
	if err != nil {
		return DeskView{}, err
	}
	v := DeskView{ID: d.ID, Status: d.Status, Station: stations[d.StationID], Date: d.Date,
		DateText: CalendarFullDateText(d.Date), SpanText: ClockText(d.StartsAt, loc) + "～" + ClockText(d.EndsAt, loc),
		Today: localDate(now, loc) == d.Date, Closed: d.Status == DayClosed,
		CheckinOpen: d.Status == DayOpen && !now.Before(d.StartsAt.Add(-CheckinLead))}

	var slots []Slot
	if err := db.Where("day_id = ?", dayID).Order("seq").Find(&slots).Error; err != nil {
		return DeskView{}, translate(err)
	}
	var bookings []Booking
	if err := db.Where("day_id = ? AND status <> ?", dayID, BookingCancelled).
		Order("slot_id, waitlist_seq, id").Find(&bookings).Error; err != nil {
		return DeskView{}, translate(err)
	}
	var walkIns []WalkIn
	if err := db.Where("day_id = ?", dayID).Order("id").Find(&walkIns).Error; err != nil {
		return DeskView{}, translate(err)
	}
	voterIDs := make([]uint64, 0, len(bookings))
	for _, b := range bookings {
		voterIDs = append(voterIDs, b.VoterID)
	}
	var voters []Voter
	if err := db.Select("id", "phone_masked").Where("id IN ?", append(voterIDs, 0)).Find(&voters).Error; err != nil {
		return DeskView{}, translate(err)
	}
	phones := map[uint64]string{}
	for _, vt := range voters {
		phones[vt.ID] = vt.PhoneMasked
	}
	bySlot := map[uint64]*DeskSlot{}
	v.Slots = make([]DeskSlot, len(slots))
	for i, s := range slots {
		v.Slots[i] = DeskSlot{ID: s.ID, Label: ClockText(s.StartAt, loc) + "～" + ClockText(s.EndAt, loc),
			Capacity: s.Capacity, Confirmed: s.Confirmed, WalkInSeats: s.WalkInSeats, WalkInsN: s.WalkIns,
			Ended: !now.Before(s.EndAt)}
		bySlot[s.ID] = &v.Slots[i]
	}
	for _, b := range bookings {
		s := bySlot[b.SlotID]
		if s == nil {
			continue
		}
		row := DeskBooking{ID: b.ID, Code: b.CheckinCode, Status: b.Status, StatusLabel: b.Status.Label(),
			Phone: phones[b.VoterID], Topic: b.Topic,
			CanMarkNoShow: b.Status == BookingConfirmed && s.Ended && d.Status == DayOpen}
		if b.CheckedInAt != nil {
			row.CheckedIn = ClockText(*b.CheckedInAt, loc)
		}
		s.Bookings = append(s.Bookings, row)
		switch b.Status {
		case BookingConfirmed:
			v.Booked++
		case BookingCheckedIn:
			v.Booked++
			v.CheckedIn++
		case BookingNoShow:
			v.Booked++
			v.NoShows++
		case BookingWaitlisted:
			v.Waitlisted++
		}
	}
	for _, w := range walkIns {
		if s := bySlot[w.SlotID]; s != nil {
			s.WalkIns = append(s.WalkIns, DeskWalkIn{ID: w.ID, Name: w.Name, Topic: w.Topic,
				At: ClockText(w.CreatedAt, loc), BeyondSeats: w.BeyondSeats})
		}
		v.WalkIns++
	}

	if v.Roster, err = deskRoster(db, dayID, loc); err != nil {
		return DeskView{}, err
	}
	if v.Addable, err = addableDeputies(db, d, v.Roster); err != nil {
		return DeskView{}, err
	}
	var guests []ReceptionGuest
	if err := db.Where("day_id = ?", dayID).Order("id").Find(&guests).Error; err != nil {
		return DeskView{}, translate(err)
	}
	for _, g := range guests {
		dg := DeskGuest{ReceptionGuest: g}
		if g.SignedInAt != nil {
			dg.SignedInText = ClockText(*g.SignedInAt, loc)
		}
		v.Guests = append(v.Guests, dg)
	}
	return v, nil
}

// deskRoster lists a day's deputies, by level then name order of the roster.
func deskRoster(db *gorm.DB, dayID uint64, loc *time.Location) ([]DeskDeputy, error) {
	var entries []RosterEntry
	if err := db.Where("day_id = ?", dayID).Order("id").Find(&entries).Error; err != nil {
		return nil, translate(err)
	}
	ids := make([]uint64, len(entries))
	for i, e := range entries {
		ids[i] = e.DeputyID
	}
	var deps []Deputy
	if err := db.Where("id IN ?", append(ids, 0)).Find(&deps).Error; err != nil {
		return nil, translate(err)
	}
	byID := map[uint64]Deputy{}
	for _, d := range deps {
		byID[d.ID] = d
	}
	out := make([]DeskDeputy, 0, len(entries))
	for _, e := range entries {
		dep, ok := byID[e.DeputyID]
		if !ok {
			continue
		}
		dd := DeskDeputy{ID: dep.ID, Name: dep.Name, LevelLabel: dep.Level.Label(), AtDesk: e.AtDesk, SignedIn: e.SignedInAt != nil}
		if e.SignedInAt != nil {
			how := "工作人员签到"
			if e.SignInVia == SignInByScan {
				how = "扫码签到"
			}
			dd.SignedInText = ClockText(*e.SignedInAt, loc) + " " + how
		}
		out = append(out, dd)
	}
	sort.SliceStable(out, func(a, b int) bool {
		return levelRank(byID[out[a].ID].Level) < levelRank(byID[out[b].ID].Level)
	})
	return out, nil
}

// DeskDays are the reception days of a staff member's stations for the
// desk's list: today's, then upcoming, then recently finished.
type DeskDays struct {
	Today, Upcoming, Recent []DeskDayBrief
}

// DeskDayBrief is one day in DeskDays.
type DeskDayBrief struct {
	ID          uint64
	StationName string
	Date        string
	DateText    string // "12月10日"
	SpanText    string // "09:00～11:30"
	Status      DayStatus
	Deputies    int
}

// ListDeskDays lists the days of the scope's stations around now: today's,
// the next upcoming ones and the last finished ones (a few each).
func ListDeskDays(ctx context.Context, db *gorm.DB, scope StaffScope, now time.Time, loc *time.Location) (DeskDays, error) {
	db = db.WithContext(ctx)
	loc = orLoc(loc)
	today := localDate(now, loc)
	base := func() *gorm.DB {
		tx := db.Model(&ReceptionDay{})
		if !scope.All {
			tx = tx.Where("station_id IN ?", append(append([]uint64{}, scope.StationIDs...), 0))
		}
		return tx
	}
	var out DeskDays
	var err error
	for _, part := range []struct {
		dst   *[]DeskDayBrief
		where string
		order string
		limit int
	}{
		{&out.Today, "date = ?", "station_id", 100},
		{&out.Upcoming, "date > ?", "date, station_id", 20},
		{&out.Recent, "date < ?", "date DESC, station_id", 20},
	} {
		var days []ReceptionDay
		if err = base().Where(part.where, today).Order(part.order).Limit(part.limit).Find(&days).Error; err != nil {
			return out, translate(err)
		}
		if *part.dst, err = deskBriefs(db, days, loc); err != nil {
			return out, err
		}
	}
	return out, nil
}

func deskBriefs(db *gorm.DB, days []ReceptionDay, loc *time.Location) ([]DeskDayBrief, error) {
	out := []DeskDayBrief{}
	if len(days) == 0 {
		return out, nil
	}
	ids, stIDs := make([]uint64, len(days)), make([]uint64, len(days))
	for i, d := range days {
		ids[i], stIDs[i] = d.ID, d.StationID
	}
	var sts []Station
	if err := db.Select("id", "name").Where("id IN ?", uniqueIDs(stIDs)).Find(&sts).Error; err != nil {
		return nil, translate(err)
	}
	names := map[uint64]string{}
	for _, s := range sts {
		names[s.ID] = s.Name
	}
	type count struct {
		DayID uint64
		N     int
	}
	var counts []count
	if err := db.Model(&RosterEntry{}).Select("day_id, COUNT(*) AS n").Where("day_id IN ?", ids).
		Group("day_id").Scan(&counts).Error; err != nil {
		return nil, translate(err)
	}
	n := map[uint64]int{}
	for _, c := range counts {
		n[c.DayID] = c.N
	}
	for _, d := range days {
		out = append(out, DeskDayBrief{ID: d.ID, StationName: names[d.StationID], Date: d.Date,
			DateText: CalendarDateText(d.Date), SpanText: ClockText(d.StartsAt, loc) + "～" + ClockText(d.EndsAt, loc),
			Status: d.Status, Deputies: n[d.ID]})
	}
	return out, nil
}

// CheckInNotice is the desk's confirmation of a check-in:
// "已签到：138****5678，09:00～09:30" (the code when no phone was given).
func CheckInNotice(ctx context.Context, db *gorm.DB, b Booking, loc *time.Location) string {
	db = db.WithContext(ctx)
	who := "签到码" + b.CheckinCode
	var v Voter
	if err := db.Select("id", "phone_masked").First(&v, b.VoterID).Error; err == nil && v.PhoneMasked != "" {
		who = v.PhoneMasked
	}
	var s Slot
	if err := db.First(&s, b.SlotID).Error; err != nil {
		return "已签到：" + who
	}
	return "已签到：" + who + "，" + ClockText(s.StartAt, orLoc(loc)) + "～" + ClockText(s.EndAt, orLoc(loc))
}

// addableDeputies lists the active deputies not on a day's roster, the
// day's station's own first.
func addableDeputies(db *gorm.DB, d ReceptionDay, roster []DeskDeputy) ([]DeskDeputy, error) {
	on := []uint64{0}
	for _, r := range roster {
		on = append(on, r.ID)
	}
	var deps []Deputy
	if err := db.Where("status = ? AND id NOT IN ?", DeputyActive, on).Order("id").Limit(1000).Find(&deps).Error; err != nil {
		return nil, translate(err)
	}
	sort.SliceStable(deps, func(a, b int) bool {
		return deps[a].StationID == d.StationID && deps[b].StationID != d.StationID
	})
	out := make([]DeskDeputy, len(deps))
	for i, dep := range deps {
		out[i] = DeskDeputy{ID: dep.ID, Name: dep.Name, LevelLabel: dep.Level.Label()}
	}
	return out, nil
}
