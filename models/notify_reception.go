package models

// Reception-day notices: the reminder and the staff roster.
//
// The reminder says: the station, the slot's time, the check-in code, the
// deputies on duty, the station's address and "明天请准时到场，凭签到码签到"
// (NotifyField*). It goes to every voter with a confirmed booking for the
// next day whose slot has not begun, at 18:00 the day before (the reminder
// job, when booking closes by default, so the list is final), through the
// mini-program subscribe template Reception.ReceptionReminder
// (DEPUTYLINK_TPL_RECEPTION_REMINDER), opening the booking's page, as the
// voter notice NoticeReceptionReminder: the consent rule (reserveConsent)
// spends one of the voter's consents for that template with the row, or
// checks a long-term one; a voter without a mini-program openid or a
// consent is skipped. Its template is its own, so the reminder never
// spends the consent of a booking result.
//
// The roster says: 明日接待安排 (今日… for a run after midnight), the
// station, the date and hours, the deputies on duty, how many voters
// booked and wait, in total and per slot (the console lists the names). It
// goes at 17:00 (the roster job) to every active staff member bound to the
// station of an open reception day the next day who has bound WeChat,
// through the official-account template Reception.StaffRoster
// (DEPUTYLINK_TPL_STAFF_ROSTER). It spends no consent. Tapping it opens
// the day's desk in the console (ConsoleDeskURL), when DEPUTYLINK_PUBLIC_URL
// is set.
//
// The dedupe keys "remind:<booking id>" and "roster:<day id>:<staff id>"
// make a second run queue nothing more.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/config"

	"gorm.io/gorm"
)

// NotifyReceptionReminders queues the reminder of the reception on date
// ("2006-01-02") to every voter with a confirmed booking (see the top of
// this file); slots that have begun by now (a late run) are skipped. It
// writes each reminder with its consent in a transaction of its own in db
// (a savepoint when db is a transaction) and returns how many it queued.
func NotifyReceptionReminders(ctx context.Context, db *gorm.DB, cfg NotifyConfig, date string, now time.Time) (int, error) {
	log := cfg.log()
	spec := cfg.Reception.ReceptionReminder
	if !spec.Configured() {
		log.DebugContext(ctx, "No reception reminder template configured ("+config.EnvTplReceptionReminder+"); no reminders")
		return 0, nil
	}
	bookings, err := ListBookingsOn(ctx, db, date, BookingConfirmed)
	if err != nil || len(bookings) == 0 {
		return 0, err
	}
	info, err := loadDayInfo(ctx, db, bookings)
	if err != nil {
		return 0, err
	}
	created := 0
	for _, b := range bookings {
		slot, st := info.slots[b.SlotID], info.stations[b.StationID]
		openid := info.openids[b.VoterID]
		if !slot.StartAt.After(now) || openid == "" {
			continue
		}
		values := map[string]string{
			NotifyFieldStation:  Thing(st.Name),
			NotifyFieldTime:     SlotTime(slot.StartAt, slot.EndAt, cfg.loc()),
			NotifyFieldCode:     b.CheckinCode,
			NotifyFieldDeputies: joinThing(info.deputies[b.DayID], "、"),
			NotifyFieldNote:     Thing("明天请准时到场，凭签到码签到"),
		}
		if st.Address != "" {
			values[NotifyFieldAddress] = Thing(st.Address)
		}
		stationID := b.StationID
		var res voterNoticeResult
		// The consent and the row commit together, one booking at a time.
		err := RunTx(ctx, db, func(tx *gorm.DB) error {
			var err error
			res, err = queueVoterNotice(ctx, tx, cfg, NoticeReceptionReminder, 1, NotificationInput{
				ToUser: openid, URL: fmt.Sprintf("%s?id=%d", BookingPage, b.ID), DedupeKey: fmt.Sprintf("remind:%d", b.ID),
				StationID: &stationID,
			}, values, now, fmt.Sprintf("reminder of booking %d", b.ID))
			return err
		})
		if err != nil {
			return created, err
		}
		if res == noticeNoConsent {
			log.DebugContext(ctx, "No consent left for the reminder; skipped", "booking_id", b.ID)
		}
		ok := res == noticeQueued
		if ok {
			created++
		}
	}
	if created > 0 {
		log.InfoContext(ctx, "Reception reminders queued", "date", date, "count", created, "bookings", len(bookings))
	}
	return created, nil
}

// NotifyStaffRoster queues the roster of every open reception day on date
// ("2006-01-02") not over by now to the station's bound staff (see the top
// of this file). It writes in db and returns how many messages it queued.
func NotifyStaffRoster(ctx context.Context, db *gorm.DB, cfg NotifyConfig, date string, now time.Time) (int, error) {
	log := cfg.log()
	loc := cfg.loc()
	spec := cfg.Reception.StaffRoster
	if !spec.Configured() {
		log.DebugContext(ctx, "No staff roster template configured ("+config.EnvTplStaffRoster+"); no rosters")
		return 0, nil
	}
	var days []ReceptionDay
	if err := db.WithContext(ctx).Where("date = ? AND status = ? AND ends_at > ?", date, DayOpen, now.UTC()).
		Order("id").Find(&days).Error; err != nil {
		return 0, fmt.Errorf("load reception days of %s: %w", date, err)
	}
	if len(days) == 0 {
		return 0, nil
	}
	var staff []Staff
	if err := db.WithContext(ctx).Preload("Stations").
		Where("active = ? AND oa_openid IS NOT NULL AND oa_openid <> ''", true).Order("id").Find(&staff).Error; err != nil {
		return 0, fmt.Errorf("load staff: %w", err)
	}
	byStation := map[uint64][]Staff{}
	for _, s := range staff {
		for _, st := range s.Stations {
			byStation[st.ID] = append(byStation[st.ID], s)
		}
	}
	info, err := loadRosterInfo(ctx, db, days)
	if err != nil {
		return 0, err
	}
	title := "明日接待安排"
	if date == now.In(loc).Format(DateLayout) {
		title = "今日接待安排"
	}
	created := 0
	for _, day := range days {
		var booked, waiting int
		var perSlot []string
		for _, s := range info.slots[day.ID] {
			booked += s.Confirmed
			waiting += s.Waitlisted
			perSlot = append(perSlot, fmt.Sprintf("%s %d人", ClockText(s.StartAt, loc), s.Confirmed))
		}
		values := map[string]string{
			NotifyFieldTitle:      title,
			NotifyFieldStation:    Thing(info.stations[day.StationID].Name),
			NotifyFieldDate:       KeywordDateText(day.StartsAt, loc),
			NotifyFieldTime:       SlotTime(day.StartsAt, day.EndsAt, loc),
			NotifyFieldDeputies:   joinThing(info.deputies[day.ID], "、"),
			NotifyFieldBooked:     strconv.Itoa(booked),
			NotifyFieldWaitlisted: strconv.Itoa(waiting),
			NotifyFieldSummary:    Thing(fmt.Sprintf("已约%d人，候补%d人", booked, waiting)),
			NotifyFieldSlots:      joinThing(perSlot, " "),
		}
		stationID := day.StationID
		for _, s := range byStation[day.StationID] {
			ok, err := queue(ctx, db, NotificationInput{
				Channel: ChannelTemplate, ToUser: *s.OAOpenID, TemplateID: spec.ID, Fields: fill(spec, values),
				URL:       ConsoleDeskURL(cfg.Opinion.PublicURL, day.ID),
				DedupeKey: fmt.Sprintf("roster:%d:%d", day.ID, s.ID), StationID: &stationID,
			}, now, fmt.Sprintf("roster of day %d for staff %d", day.ID, s.ID))
			if err != nil {
				return created, err
			}
			if ok {
				created++
			}
		}
		if len(byStation[day.StationID]) == 0 {
			log.InfoContext(ctx, "No bound staff to send the roster to", "day", day.ID, "station", day.StationID)
		}
	}
	if created > 0 {
		log.InfoContext(ctx, "Staff rosters queued", "date", date, "days", len(days), "count", created)
	}
	return created, nil
}

// joinThing joins whole items into a thing value, ending in "…" when some
// did not fit; "无" when there are none.
func joinThing(items []string, sep string) string {
	if len(items) == 0 {
		return "无"
	}
	if all := strings.Join(items, sep); utf8.RuneCountInString(all) <= ThingMax {
		return all
	}
	out := ""
	for _, it := range items {
		next := it
		if out != "" {
			next = out + sep + it
		}
		if utf8.RuneCountInString(next)+1 > ThingMax {
			break
		}
		out = next
	}
	if out == "" { // the first item alone is too long
		return Thing(items[0])
	}
	return out + "…"
}

// dayInfo is what the reminders and rosters read besides the bookings:
// slots, stations, deputies on duty by day, and voters' openids.
type dayInfo struct {
	slots    map[uint64]Slot
	stations map[uint64]Station
	deputies map[uint64][]string // day id → names
	openids  map[uint64]string   // voter id → mini-program openid
}

func loadDayInfo(ctx context.Context, db *gorm.DB, bookings []Booking) (dayInfo, error) {
	var slotIDs, stationIDs, dayIDs, voterIDs []uint64
	for _, b := range bookings {
		slotIDs, stationIDs = append(slotIDs, b.SlotID), append(stationIDs, b.StationID)
		dayIDs, voterIDs = append(dayIDs, b.DayID), append(voterIDs, b.VoterID)
	}
	info := dayInfo{slots: map[uint64]Slot{}, openids: map[uint64]string{}}
	db = db.WithContext(ctx)
	var slots []Slot
	if err := db.Where("id IN ?", slotIDs).Find(&slots).Error; err != nil {
		return info, fmt.Errorf("load slots: %w", err)
	}
	for _, s := range slots {
		info.slots[s.ID] = s
	}
	var voters []Voter
	if err := db.Select("id", "mp_openid").Where("id IN ?", voterIDs).Find(&voters).Error; err != nil {
		return info, fmt.Errorf("load voters: %w", err)
	}
	for _, v := range voters {
		if v.MPOpenID != nil {
			info.openids[v.ID] = *v.MPOpenID
		}
	}
	var err error
	if info.stations, err = loadStations(ctx, db, stationIDs); err != nil {
		return info, err
	}
	info.deputies, err = loadRosters(ctx, db, dayIDs)
	return info, err
}

// rosterInfo is what the staff roster reads besides the days.
type rosterInfo struct {
	slots    map[uint64][]Slot // day id → slots in order
	stations map[uint64]Station
	deputies map[uint64][]string
}

func loadRosterInfo(ctx context.Context, db *gorm.DB, days []ReceptionDay) (rosterInfo, error) {
	var dayIDs, stationIDs []uint64
	for _, day := range days {
		dayIDs, stationIDs = append(dayIDs, day.ID), append(stationIDs, day.StationID)
	}
	info := rosterInfo{slots: map[uint64][]Slot{}}
	var slots []Slot
	if err := db.WithContext(ctx).Where("day_id IN ?", dayIDs).Order("day_id, seq").Find(&slots).Error; err != nil {
		return info, fmt.Errorf("load slots: %w", err)
	}
	for _, s := range slots {
		info.slots[s.DayID] = append(info.slots[s.DayID], s)
	}
	var err error
	if info.stations, err = loadStations(ctx, db, stationIDs); err != nil {
		return info, err
	}
	info.deputies, err = loadRosters(ctx, db, dayIDs)
	return info, err
}

func loadStations(ctx context.Context, db *gorm.DB, ids []uint64) (map[uint64]Station, error) {
	var rows []Station
	if err := db.WithContext(ctx).Select("id", "name", "address").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load stations: %w", err)
	}
	out := make(map[uint64]Station, len(rows))
	for _, s := range rows {
		out[s.ID] = s
	}
	return out, nil
}

// loadRosters returns the names of the deputies on duty per day, in the
// order they were put on the roster.
func loadRosters(ctx context.Context, db *gorm.DB, dayIDs []uint64) (map[uint64][]string, error) {
	db = db.WithContext(ctx)
	var entries []RosterEntry
	if err := db.Where("day_id IN ?", dayIDs).Order("id").Find(&entries).Error; err != nil {
		return nil, fmt.Errorf("load rosters: %w", err)
	}
	ids := make([]uint64, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.DeputyID)
	}
	var deps []Deputy
	if err := db.Select("id", "name").Where("id IN ?", append(ids, 0)).Find(&deps).Error; err != nil {
		return nil, fmt.Errorf("load deputies: %w", err)
	}
	names := make(map[uint64]string, len(deps))
	for _, dep := range deps {
		names[dep.ID] = dep.Name
	}
	out := map[uint64][]string{}
	for _, e := range entries {
		if n, ok := names[e.DeputyID]; ok {
			out[e.DayID] = append(out[e.DayID], n)
		}
	}
	return out, nil
}
