package models

// The stuck-notifications digest.
//
// What it says: 通知发送异常<n>条, with how many notifications went dead
// since the previous digest and how many are overdue now, the stations
// concerned (全部站点 for an admin) and the time (DigestField*).
//
// To whom: each active station head (about their stations) and each admin
// (about all) who has a bound official-account openid and something to
// hear about, through the official-account template StaffAlert
// (DEPUTYLINK_TPL_STAFF_ALERT). It spends no consent. Without the template
// the digest is only logged.
//
// When: once a day at the digest hour (the stuck-digest job, which counts
// and logs the stuck notifications first). The dedupe key
// "digest:<date>:<staff id>" makes a second run on the same day send
// nothing more.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Our field names for the staff alert template (map them onto the granted
// template's keywords with DEPUTYLINK_TPL_STAFF_ALERT).
const (
	DigestFieldTitle   = "title"   // e.g. "通知发送异常"
	DigestFieldCount   = "count"   // dead + overdue, digits
	DigestFieldDead    = "dead"    // dead since the previous digest, digits
	DigestFieldOverdue = "overdue" // overdue now, digits
	DigestFieldStation = "station" // the stations concerned, ≤ 20 characters
	DigestFieldTime    = "time"    // "2026年3月10日 09:00" local time
)

// NotifyStuckDigest queues the digest of date ("2006-01-02") about counts
// (StuckNotifications, per station) to the heads and admins (see the top
// of this file). It writes in db and returns how many messages it queued.
func NotifyStuckDigest(ctx context.Context, db *gorm.DB, cfg NotifyConfig, date string, counts []StuckCount, now time.Time) (int, error) {
	log := cfg.log()
	if len(counts) == 0 {
		return 0, nil
	}
	spec := cfg.StaffAlert
	if !spec.Configured() {
		log.WarnContext(ctx, "No staff alert template configured (DEPUTYLINK_TPL_STAFF_ALERT): the digest is only logged")
		return 0, nil
	}
	byStation := make(map[uint64]StuckCount, len(counts))
	var all StuckCount
	for _, c := range counts {
		byStation[c.StationID] = c
		all.Dead += c.Dead
		all.Overdue += c.Overdue
	}
	var staff []Staff
	err := db.WithContext(ctx).Preload("Stations").
		Where("active = ? AND oa_openid IS NOT NULL AND oa_openid <> '' AND role IN ?",
			true, []StaffRole{RoleHead, RoleAdmin}).
		Order("id").Find(&staff).Error
	if err != nil {
		return 0, fmt.Errorf("load digest recipients: %w", err)
	}
	at := KeywordTimeText(now, cfg.loc())
	created := 0
	for _, st := range staff {
		sum, label := all, "全部站点"
		if st.Role != RoleAdmin {
			sum, label = headSummary(st.Stations, byStation)
		}
		if sum.Dead+sum.Overdue == 0 {
			continue
		}
		values := map[string]string{
			DigestFieldTitle:   fmt.Sprintf("通知发送异常%d条", sum.Dead+sum.Overdue),
			DigestFieldCount:   strconv.FormatInt(sum.Dead+sum.Overdue, 10),
			DigestFieldDead:    strconv.FormatInt(sum.Dead, 10),
			DigestFieldOverdue: strconv.FormatInt(sum.Overdue, 10),
			DigestFieldStation: label,
			DigestFieldTime:    at,
		}
		ok, err := queue(ctx, db, NotificationInput{
			Channel: ChannelTemplate, ToUser: *st.OAOpenID, TemplateID: spec.ID,
			Fields: fill(spec, values), DedupeKey: fmt.Sprintf("digest:%s:%d", date, st.ID),
		}, now, fmt.Sprintf("digest for staff %d", st.ID))
		if err != nil {
			return created, err
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
func headSummary(stations []Station, by map[uint64]StuckCount) (StuckCount, string) {
	var sum StuckCount
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
	if len(names) == 1 {
		return sum, Shorten(names[0], 20, "")
	}
	suffix := fmt.Sprintf("等%d个站点", len(names))
	return sum, Shorten(names[0], 20-utf8.RuneCountInString(suffix), "") + suffix
}
