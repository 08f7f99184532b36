package jobs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/config"
	"deputylink/models"
)

// Reception-day job names.
const (
	JobReceptionDays      = "reception-days"
	JobCloseReceptionDays = "close-reception-days"
	JobReceptionReminders = "reception-reminders"
	JobStaffRoster        = "staff-roster"
)

// When the daily reception-day jobs run, in local hours.
const (
	// ReminderHour is when voters are reminded of tomorrow's booking: the
	// hour booking closes by default, so the list is final.
	ReminderHour = 18
	// RosterHour is when staff get tomorrow's roster and bookings.
	RosterHour = 17
	// closeHour closes yesterday's days (no-shows, reception records).
	closeHour = 1
	// generateHour keeps the coming reception days generated.
	generateHour = 2
)

// ReceptionMonthsAhead is how many months beyond the current one the
// reception-days job keeps generated.
const ReceptionMonthsAhead = 2

// dailyJob runs once a day at hour:00 local time. A process that starts
// after the hour runs the day's missed run at once, so the reminder and
// roster jobs work out the reception date from the run's period, not from
// now.
func dailyJob(name string, hour int, loc *time.Location, run func(context.Context, Deps, time.Time) (int, error)) Job {
	return Job{Name: name, Every: 24 * time.Hour, Run: run, poll: time.Minute,
		slot: func(now time.Time) time.Time { return dailySlot(now, hour, loc) }}
}

// GenerateReceptionDays keeps every station's reception days generated for
// this month and the next ReceptionMonthsAhead (models.GenerateReceptionDays,
// idempotent). Days whose rule changed but that have bookings keep their
// shape and are logged as conflicts for an admin. It returns how many days
// it created, regenerated or removed.
func GenerateReceptionDays(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	rep, err := models.GenerateReceptionDays(ctx, d.DB, now, opt.Location, ReceptionMonthsAhead)
	log := d.log().With("job", JobReceptionDays)
	for _, c := range rep.Conflicts {
		log.WarnContext(ctx, "Reception day not regenerated", "conflict", c)
	}
	if err != nil {
		return 0, err
	}
	log.InfoContext(ctx, "Reception days generated", "created", rep.Created, "regenerated", rep.Regenerated,
		"removed", rep.Removed, "unchanged", rep.Unchanged, "conflicts", len(rep.Conflicts))
	return rep.Created + rep.Regenerated + rep.Removed, nil
}

// CloseReceptionDays closes the open days dated before today: no-shows are
// marked, the waitlist expires and each deputy on duty gets a reception
// record (models.CloseFinishedDays). It returns how many days it closed.
func CloseReceptionDays(ctx context.Context, d Deps, now time.Time) (int, error) {
	return models.CloseFinishedDays(ctx, d.DB, now, d.Opt.withDefaults().Location)
}

// receptionDate is the date the run of the daily period holding now is
// about: the day after the period's start.
func receptionDate(now time.Time, hour int, loc *time.Location) string {
	return dailySlot(now, hour, loc).AddDate(0, 0, 1).Format(models.DateLayout)
}

// ReceptionReminders queues the reminder of tomorrow's reception to every
// voter with a confirmed booking (a subscribe message through the
// ReceptionReminder template). Voters without a mini-program openid or a
// consent left for the template, and slots that have begun (a late run),
// are skipped. The dedupe key "remind:<booking id>" makes a second run
// queue nothing more. It returns how many reminders it queued.
func ReceptionReminders(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	log := d.log().With("job", JobReceptionReminders)
	spec := opt.Reception.ReceptionReminder
	if !spec.Configured() {
		log.DebugContext(ctx, "No reception reminder template configured ("+config.EnvTplReceptionReminder+"); no reminders")
		return 0, nil
	}
	date := receptionDate(now, ReminderHour, opt.Location)
	bookings, err := models.ListBookingsOn(ctx, d.DB, date, models.BookingConfirmed)
	if err != nil || len(bookings) == 0 {
		return 0, err
	}
	info, err := loadDayInfo(ctx, d, bookings)
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
		left, err := models.ConsentsLeft(ctx, d.DB, openid, spec.ID)
		if err != nil {
			return created, err
		}
		if left < 1 {
			log.DebugContext(ctx, "No consent left for the reminder; skipped", "booking_id", b.ID)
			continue
		}
		values := map[string]string{
			config.NotifyFieldStation:  config.Thing(st.Name),
			config.NotifyFieldTime:     config.SlotTime(slot.StartAt, slot.EndAt, opt.Location),
			config.NotifyFieldCode:     b.CheckinCode,
			config.NotifyFieldDeputies: joinFit(info.deputies[b.DayID], "、"),
			config.NotifyFieldNote:     config.Thing("明天请准时到场，凭签到码签到"),
		}
		if st.Address != "" {
			values[config.NotifyFieldAddress] = config.Thing(st.Address)
		}
		stationID := b.StationID
		_, ok, err := models.Enqueue(ctx, d.DB, models.NotificationInput{
			Channel: models.ChannelSubscribe, ToUser: openid, TemplateID: spec.ID, Fields: spec.Data(values),
			URL: fmt.Sprintf("%s?id=%d", config.BookingPage, b.ID), DedupeKey: fmt.Sprintf("remind:%d", b.ID),
			StationID: &stationID,
		}, now)
		if err != nil {
			return created, fmt.Errorf("enqueue reminder of booking %d: %w", b.ID, err)
		}
		if ok {
			created++
		}
	}
	if created > 0 {
		log.InfoContext(ctx, "Reception reminders queued", "date", date, "count", created, "bookings", len(bookings))
	}
	return created, nil
}

// StaffRoster queues, for every open reception day tomorrow, an
// official-account template message to each active staff member bound to
// the station who has bound WeChat: the deputies on duty and how many
// voters booked and wait, in total and per slot (the console lists the
// names). The dedupe key "roster:<day id>:<staff id>" makes a second run
// queue nothing more. It returns how many messages it queued.
func StaffRoster(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	log := d.log().With("job", JobStaffRoster)
	spec := opt.Reception.StaffRoster
	if !spec.Configured() {
		log.DebugContext(ctx, "No staff roster template configured ("+config.EnvTplStaffRoster+"); no rosters")
		return 0, nil
	}
	date := receptionDate(now, RosterHour, opt.Location)
	var days []models.ReceptionDay
	if err := d.DB.WithContext(ctx).Where("date = ? AND status = ? AND ends_at > ?", date, models.DayOpen, now.UTC()).
		Order("id").Find(&days).Error; err != nil {
		return 0, fmt.Errorf("load reception days of %s: %w", date, err)
	}
	if len(days) == 0 {
		return 0, nil
	}
	var staff []models.Staff
	if err := d.DB.WithContext(ctx).Preload("Stations").
		Where("active = ? AND oa_openid IS NOT NULL AND oa_openid <> ''", true).Order("id").Find(&staff).Error; err != nil {
		return 0, fmt.Errorf("load staff: %w", err)
	}
	byStation := map[uint64][]models.Staff{}
	for _, s := range staff {
		for _, st := range s.Stations {
			byStation[st.ID] = append(byStation[st.ID], s)
		}
	}
	info, err := loadRosterInfo(ctx, d, days)
	if err != nil {
		return 0, err
	}
	title := "明日接待安排"
	if date == now.In(opt.Location).Format(models.DateLayout) {
		title = "今日接待安排"
	}
	created := 0
	for _, day := range days {
		var booked, waiting int
		var perSlot []string
		for _, s := range info.slots[day.ID] {
			booked += s.Confirmed
			waiting += s.Waitlisted
			perSlot = append(perSlot, fmt.Sprintf("%s %d人", s.StartAt.In(opt.Location).Format("15:04"), s.Confirmed))
		}
		values := map[string]string{
			config.NotifyFieldTitle:      title,
			config.NotifyFieldStation:    config.Thing(info.stations[day.StationID].Name),
			config.NotifyFieldDate:       day.Date,
			config.NotifyFieldTime:       config.SlotTime(day.StartsAt, day.EndsAt, opt.Location),
			config.NotifyFieldDeputies:   joinFit(info.deputies[day.ID], "、"),
			config.NotifyFieldBooked:     strconv.Itoa(booked),
			config.NotifyFieldWaitlisted: strconv.Itoa(waiting),
			config.NotifyFieldSummary:    config.Thing(fmt.Sprintf("已约%d人，候补%d人", booked, waiting)),
			config.NotifyFieldSlots:      joinFit(perSlot, " "),
		}
		stationID := day.StationID
		for _, s := range byStation[day.StationID] {
			_, ok, err := models.Enqueue(ctx, d.DB, models.NotificationInput{
				Channel: models.ChannelTemplate, ToUser: *s.OAOpenID, TemplateID: spec.ID, Fields: spec.Data(values),
				DedupeKey: fmt.Sprintf("roster:%d:%d", day.ID, s.ID), StationID: &stationID,
			}, now)
			if err != nil {
				return created, fmt.Errorf("enqueue roster of day %d for staff %d: %w", day.ID, s.ID, err)
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

// joinFit joins whole items into a thing value (config.ThingMax
// characters), ending in "…" when some did not fit; "无" when there are none.
func joinFit(items []string, sep string) string {
	if len(items) == 0 {
		return "无"
	}
	if all := strings.Join(items, sep); utf8.RuneCountInString(all) <= config.ThingMax {
		return all
	}
	out := ""
	for _, it := range items {
		next := it
		if out != "" {
			next = out + sep + it
		}
		if utf8.RuneCountInString(next)+1 > config.ThingMax {
			break
		}
		out = next
	}
	if out == "" { // the first item alone is too long
		return config.Thing(items[0])
	}
	return out + "…"
}

// dayInfo is what the reminders and rosters read besides the bookings:
// slots, stations, deputies on duty by day, and voters' openids.
type dayInfo struct {
	slots    map[uint64]models.Slot
	stations map[uint64]models.Station
	deputies map[uint64][]string // day id → names
	openids  map[uint64]string   // voter id → mini-program openid
}

func loadDayInfo(ctx context.Context, d Deps, bookings []models.Booking) (dayInfo, error) {
	var slotIDs, stationIDs, dayIDs, voterIDs []uint64
	for _, b := range bookings {
		slotIDs, stationIDs = append(slotIDs, b.SlotID), append(stationIDs, b.StationID)
		dayIDs, voterIDs = append(dayIDs, b.DayID), append(voterIDs, b.VoterID)
	}
	info := dayInfo{slots: map[uint64]models.Slot{}, openids: map[uint64]string{}}
	db := d.DB.WithContext(ctx)
	var slots []models.Slot
	if err := db.Where("id IN ?", slotIDs).Find(&slots).Error; err != nil {
		return info, fmt.Errorf("load slots: %w", err)
	}
	for _, s := range slots {
		info.slots[s.ID] = s
	}
	var voters []models.Voter
	if err := db.Select("id", "mp_openid").Where("id IN ?", voterIDs).Find(&voters).Error; err != nil {
		return info, fmt.Errorf("load voters: %w", err)
	}
	for _, v := range voters {
		if v.MPOpenID != nil {
			info.openids[v.ID] = *v.MPOpenID
		}
	}
	var err error
	if info.stations, err = loadStations(ctx, d, stationIDs); err != nil {
		return info, err
	}
	info.deputies, err = loadRosters(ctx, d, dayIDs)
	return info, err
}

// rosterInfo is what the staff roster reads besides the days.
type rosterInfo struct {
	slots    map[uint64][]models.Slot // day id → slots in order
	stations map[uint64]models.Station
	deputies map[uint64][]string
}

func loadRosterInfo(ctx context.Context, d Deps, days []models.ReceptionDay) (rosterInfo, error) {
	var dayIDs, stationIDs []uint64
	for _, day := range days {
		dayIDs, stationIDs = append(dayIDs, day.ID), append(stationIDs, day.StationID)
	}
	info := rosterInfo{slots: map[uint64][]models.Slot{}}
	var slots []models.Slot
	if err := d.DB.WithContext(ctx).Where("day_id IN ?", dayIDs).Order("day_id, seq").Find(&slots).Error; err != nil {
		return info, fmt.Errorf("load slots: %w", err)
	}
	for _, s := range slots {
		info.slots[s.DayID] = append(info.slots[s.DayID], s)
	}
	var err error
	if info.stations, err = loadStations(ctx, d, stationIDs); err != nil {
		return info, err
	}
	info.deputies, err = loadRosters(ctx, d, dayIDs)
	return info, err
}

func loadStations(ctx context.Context, d Deps, ids []uint64) (map[uint64]models.Station, error) {
	var rows []models.Station
	if err := d.DB.WithContext(ctx).Select("id", "name", "address").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load stations: %w", err)
	}
	out := make(map[uint64]models.Station, len(rows))
	for _, s := range rows {
		out[s.ID] = s
	}
	return out, nil
}

// loadRosters returns the names of the deputies on duty per day, in the
// order they were put on the roster.
func loadRosters(ctx context.Context, d Deps, dayIDs []uint64) (map[uint64][]string, error) {
	db := d.DB.WithContext(ctx)
	var entries []models.RosterEntry
	if err := db.Where("day_id IN ?", dayIDs).Order("id").Find(&entries).Error; err != nil {
		return nil, fmt.Errorf("load rosters: %w", err)
	}
	ids := make([]uint64, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.DeputyID)
	}
	var deps []models.Deputy
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
