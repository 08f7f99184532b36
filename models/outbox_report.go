package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Reports over the outbox: counts for the metrics gauges and the stuck
// notifications the daily digest lists.

// CountNotifications counts the outbox rows in each status.
func CountNotifications(ctx context.Context, db *gorm.DB) (map[NotifyStatus]int64, error) {
	var rows []struct {
		Status NotifyStatus
		N      int64
	}
	err := db.WithContext(ctx).Model(&Notification{}).Select("status, COUNT(*) AS n").
		Group("status").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[NotifyStatus]int64, len(NotifyStatuses))
	for _, s := range NotifyStatuses {
		out[s] = 0
	}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// StuckCount is how many notifications of one station are stuck.
type StuckCount struct {
	// StationID is 0 for notifications that belong to no station.
	StationID uint64
	// Dead counts notifications given up on since the window's start.
	Dead int64
	// Overdue counts notifications still waiting more than the allowed delay
	// past their due time (queued, failed, or sending with a lapsed lease).
	Overdue int64
}

// StuckNotifications counts, per station, the notifications that went dead
// at or after deadSince and those overdue by more than overdue at now.
func StuckNotifications(ctx context.Context, db *gorm.DB, now, deadSince time.Time, overdue time.Duration) ([]StuckCount, error) {
	var rows []struct {
		StationID *uint64
		Dead      int64
		Overdue   int64
	}
	late := now.UTC().Add(-overdue)
	err := db.WithContext(ctx).Model(&Notification{}).
		Select("station_id, "+
			"SUM(CASE WHEN status = ? THEN 1 ELSE 0 END) AS dead, "+
			"SUM(CASE WHEN status IN ? AND next_attempt_at < ? THEN 1 ELSE 0 END) AS overdue",
			NotifyDead, dueStatuses, late).
		Where("(status = ? AND updated_at >= ?) OR (status IN ? AND next_attempt_at < ?)",
			NotifyDead, deadSince.UTC(), dueStatuses, late).
		Group("station_id").Order("station_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]StuckCount, 0, len(rows))
	for _, r := range rows {
		c := StuckCount{Dead: r.Dead, Overdue: r.Overdue}
		if r.StationID != nil {
			c.StationID = *r.StationID
		}
		out = append(out, c)
	}
	return out, nil
}

// ListStuck returns up to limit stuck notifications (as StuckNotifications
// defines them), oldest first, for logs and the console.
func ListStuck(ctx context.Context, db *gorm.DB, now, deadSince time.Time, overdue time.Duration, limit int) ([]Notification, error) {
	var rows []Notification
	late := now.UTC().Add(-overdue)
	err := db.WithContext(ctx).
		Where("(status = ? AND updated_at >= ?) OR (status IN ? AND next_attempt_at < ?)",
			NotifyDead, deadSince.UTC(), dueStatuses, late).
		Order("id").Limit(limit).Find(&rows).Error
	return rows, translate(err)
}
