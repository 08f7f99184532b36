package jobs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"deputylink/models"
)

// Our field names for the staff alert template (map them onto the granted
// template's keywords with DEPUTYLINK_TPL_STAFF_ALERT).
const (
	FieldTitle   = "title"   // e.g. "通知发送异常"
	FieldCount   = "count"   // dead + overdue, digits
	FieldDead    = "dead"    // dead since the previous digest, digits
	FieldOverdue = "overdue" // overdue now, digits
	FieldStation = "station" // the stations concerned, ≤ 20 characters
	FieldTime    = "time"    // "2006-01-02 15:04" local time
)

// StuckDigest is the daily digest job. It counts, per station, the
// notifications that went dead since the previous digest and those overdue
// by more than OverdueAfter, logs them, and enqueues one StaffAlertTemplate
// message to each active station head (for their stations) and each admin
// (for all) who has a bound official-account openid and something to hear
// about. The dedupe key "digest:<date>:<staff id>" makes a second run on
// the same day send nothing more. It returns how many messages it enqueued.
func StuckDigest(ctx context.Context, d Deps, now time.Time) (int, error) {
	opt := d.Opt.withDefaults()
	day := dailySlot(now, opt.DigestHour, opt.Location)
	since := day.AddDate(0, 0, -1)
	counts, err := models.StuckNotifications(ctx, d.DB, now, since, opt.OverdueAfter)
	if err != nil {
		return 0, fmt.Errorf("count stuck notifications: %w", err)
	}
	if len(counts) == 0 {
		return 0, nil
	}
	log := d.log().With("job", JobStuckDigest)
	byStation := make(map[uint64]models.StuckCount, len(counts))
	var all models.StuckCount
	for _, c := range counts {
		byStation[c.StationID] = c
		all.Dead += c.Dead
		all.Overdue += c.Overdue
		log.WarnContext(ctx, "Stuck notifications", "station", c.StationID, "dead", c.Dead, "overdue", c.Overdue)
	}
	if sample, err := models.ListStuck(ctx, d.DB, now, since, opt.OverdueAfter, 20); err == nil {
		for _, n := range sample {
			log.WarnContext(ctx, "Stuck notification", "notification", n.ID, "channel", n.Channel,
				"status", n.Status, "attempts", n.Attempts, "due", n.NextAttemptAt, "last_error", n.LastError)
		}
	}
	spec := opt.StaffAlertTemplate
	if !spec.Configured() {
		log.WarnContext(ctx, "No staff alert template configured (DEPUTYLINK_TPL_STAFF_ALERT): the digest is only logged")
		return 0, nil
	}

	var staff []models.Staff
	err = d.DB.WithContext(ctx).Preload("Stations").
		Where("active = ? AND oa_openid IS NOT NULL AND oa_openid <> '' AND role IN ?",
			true, []models.StaffRole{models.RoleHead, models.RoleAdmin}).
		Order("id").Find(&staff).Error
	if err != nil {
		return 0, fmt.Errorf("load digest recipients: %w", err)
	}
	date := day.Format("2006-01-02")
	at := now.In(opt.Location).Format("2006-01-02 15:04")
	created := 0
	for _, st := range staff {
		sum, label := all, "全部站点"
		if st.Role != models.RoleAdmin {
			sum, label = headSummary(st.Stations, byStation)
		}
		if sum.Dead+sum.Overdue == 0 {
			continue
		}
		values := map[string]string{
			FieldTitle:   fmt.Sprintf("通知发送异常%d条", sum.Dead+sum.Overdue),
			FieldCount:   strconv.FormatInt(sum.Dead+sum.Overdue, 10),
			FieldDead:    strconv.FormatInt(sum.Dead, 10),
			FieldOverdue: strconv.FormatInt(sum.Overdue, 10),
			FieldStation: label,
			FieldTime:    at,
		}
		_, ok, err := models.Enqueue(ctx, d.DB, models.NotificationInput{
			Channel: models.ChannelTemplate, ToUser: *st.OAOpenID, TemplateID: spec.ID,
			Fields: spec.Data(values), DedupeKey: fmt.Sprintf("digest:%s:%d", date, st.ID),
		}, now)
		if err != nil {
			return created, fmt.Errorf("enqueue digest for staff %d: %w", st.ID, err)
		}
		if ok {
			created++
			log.InfoContext(ctx, "Digest enqueued", "staff", st.ID, "dead", sum.Dead, "overdue", sum.Overdue)
		}
	}
	return created, nil
}

// headSummary adds up a station head's stations and names those with
// something stuck, in at most 20 characters (a template keyword's limit).
func headSummary(stations []models.Station, by map[uint64]models.StuckCount) (models.StuckCount, string) {
	var sum models.StuckCount
	var names []string
	for _, s := range stations {
		c, ok := by[s.ID]
		if !ok {
			continue
		}
		sum.Dead += c.Dead
		sum.Overdue += c.Overdue
		names = append(names, s.Name)
	}
	label := strings.Join(names, "、")
	if utf8.RuneCountInString(label) <= 20 {
		return sum, label
	}
	first := []rune(names[0])
	if len(names) == 1 {
		return sum, string(first[:20])
	}
	suffix := fmt.Sprintf("等%d个站点", len(names))
	if keep := 20 - utf8.RuneCountInString(suffix); len(first) > keep {
		first = first[:keep]
	}
	label = string(first) + suffix
	return sum, label
}
