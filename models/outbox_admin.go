package models

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The outbox as the county office sees it: the notices given up on (dead)
// and those stuck (still waiting well past their due time, as the daily
// digest counts them), with a retry that sends a notice again. A township
// user sees its stations' notices, without the retry.

// OutboxStuckAfter is how long past its due time a notice may wait before
// the console calls it stuck: the digest's default (jobs.Options.OverdueAfter).
const OutboxStuckAfter = time.Hour

// OutboxView is which notices the outbox page lists.
type OutboxView string

// The outbox views.
const (
	OutboxDead  OutboxView = "dead"
	OutboxStuck OutboxView = "stuck"
)

// OutboxFilter narrows the outbox list.
type OutboxFilter struct {
	View      OutboxView
	Channel   NotifyChannel
	StationID uint64
	// Offset and Limit page the list (Limit 0: 50).
	Offset, Limit int
}

// OutboxRow is a notice in the outbox list.
type OutboxRow struct {
	ID           uint64
	Channel      NotifyChannel
	ChannelLabel string
	// Recipient is the staff member's name, or "群众" with the start of
	// the openid.
	Recipient string
	// Title is the notice's title or the start of its text.
	Title string
	// Event is the dedupe key: what the notice reports.
	Event       string
	Status      NotifyStatus
	StatusLabel string
	Attempts    int
	LastError   string
	// ErrorText is the Chinese meaning of LastError, "" when unknown.
	ErrorText string
	Station   string
	CreatedAt time.Time
	UpdatedAt time.Time
	// NextAttemptAt is when a waiting notice is due.
	NextAttemptAt time.Time
	// Retryable is true for dead and failed notices.
	Retryable bool
}

// OutboxList is one page of the outbox, with the scope's totals.
type OutboxList struct {
	Rows        []OutboxRow
	More        bool
	Dead, Stuck int64
}

// NotifyStatusLabel is the Chinese name of a status.
func NotifyStatusLabel(s NotifyStatus) string {
	switch s {
	case NotifyQueued:
		return "待发送"
	case NotifySending:
		return "发送中"
	case NotifySent:
		return "已发送"
	case NotifyFailed:
		return "发送失败，等待重试"
	case NotifyDead:
		return "已放弃"
	}
	return string(s)
}

// retryableStatuses may be sent again from the console: a sending row
// belongs to a worker, and a queued one is already due.
var retryableStatuses = []NotifyStatus{NotifyDead, NotifyFailed}

// outboxQuery is the scope's and filter's notices.
func outboxQuery(db *gorm.DB, sc ManageScope, f OutboxFilter, now time.Time) *gorm.DB {
	q := db.Model(&Notification{})
	if !sc.All {
		q = q.Where("station_id IN (?)", db.Model(&Station{}).Select("id").Where("district = ?", sc.Township))
	}
	if f.StationID != 0 {
		q = q.Where("station_id = ?", f.StationID)
	}
	if f.Channel != "" {
		q = q.Where("channel = ?", f.Channel)
	}
	if f.View == OutboxStuck {
		return q.Where("status IN ? AND next_attempt_at < ?", dueStatuses, now.UTC().Add(-OutboxStuckAfter))
	}
	return q.Where("status = ?", NotifyDead)
}

// ListOutbox lists one page of the scope's dead (newest first) or stuck
// (oldest first) notices, with the totals of both.
func ListOutbox(ctx context.Context, db *gorm.DB, sc ManageScope, f OutboxFilter, now time.Time) (OutboxList, error) {
	if !sc.All && sc.Township == "" {
		return OutboxList{}, ErrManageForbidden
	}
	db = db.WithContext(ctx)
	if f.View != OutboxStuck {
		f.View = OutboxDead
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out OutboxList
	for _, v := range []struct {
		view OutboxView
		n    *int64
	}{{OutboxDead, &out.Dead}, {OutboxStuck, &out.Stuck}} {
		g := f
		g.View = v.view
		if err := outboxQuery(db, sc, g, now).Count(v.n).Error; err != nil {
			return OutboxList{}, translate(err)
		}
	}
	order := "updated_at DESC, id DESC"
	if f.View == OutboxStuck {
		order = "next_attempt_at, id"
	}
	var rows []Notification
	if err := outboxQuery(db, sc, f, now).Order(order).Offset(f.Offset).Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return OutboxList{}, translate(err)
	}
	if len(rows) > f.Limit {
		out.More, rows = true, rows[:f.Limit]
	}
	var err error
	out.Rows, err = outboxRows(db, rows)
	return out, err
}

// outboxRows resolves the recipients and stations of notices.
func outboxRows(db *gorm.DB, rows []Notification) ([]OutboxRow, error) {
	var openids []string
	var stIDs []uint64
	for _, n := range rows {
		openids = append(openids, n.ToUser)
		if n.StationID != nil {
			stIDs = append(stIDs, *n.StationID)
		}
	}
	staff := map[string]string{}
	if len(openids) > 0 {
		var ss []Staff
		if err := db.Select("id", "name", "role", "oa_openid").Where("oa_openid IN ?", openids).Find(&ss).Error; err != nil {
			return nil, translate(err)
		}
		for _, s := range ss {
			staff[*s.OAOpenID] = s.Name + "（" + s.Role.Label() + "）"
		}
	}
	sts := map[uint64]string{}
	if len(stIDs) > 0 {
		var ss []Station
		if err := db.Select("id", "name").Where("id IN ?", uniqueIDs(stIDs)).Find(&ss).Error; err != nil {
			return nil, translate(err)
		}
		for _, s := range ss {
			sts[s.ID] = s.Name
		}
	}
	out := make([]OutboxRow, 0, len(rows))
	for _, n := range rows {
		r := OutboxRow{ID: n.ID, Channel: n.Channel, ChannelLabel: NotifyChannelLabel(n.Channel), Event: n.DedupeKey,
			Status: n.Status, StatusLabel: NotifyStatusLabel(n.Status), Attempts: n.Attempts, LastError: n.LastError,
			ErrorText: NotifyErrorText(n.LastError), CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt,
			NextAttemptAt: n.NextAttemptAt, Retryable: n.Status == NotifyDead || n.Status == NotifyFailed}
		if name, ok := staff[n.ToUser]; ok {
			r.Recipient = name
		} else {
			r.Recipient = "群众（" + Shorten(n.ToUser, 8, "…") + "）"
		}
		if n.StationID != nil {
			r.Station = sts[*n.StationID]
		}
		r.Title = noticeTitle(n)
		out = append(out, r)
	}
	return out, nil
}

// noticeTitle is a notice's title field, its text, or its first field.
func noticeTitle(n Notification) string {
	data, err := n.Data()
	if err != nil {
		return ""
	}
	for _, k := range []string{"title", "text", "thing1", "first"} {
		if v := strings.TrimSpace(data[k]); v != "" {
			return Shorten(v, 40, "…")
		}
	}
	return ""
}

// errcodeRe finds WeChat's errcode in a redacted error text.
var errcodeRe = regexp.MustCompile(`errcode"?\s*[=:]\s*(-?\d+)`)

// notifyErrcodes are the Chinese meanings of WeChat's errcodes a send may
// answer (docs/WECHAT.md).
var notifyErrcodes = map[int]string{
	-1:    "微信系统繁忙，稍后重试即可",
	40001: "公众号或小程序的接口凭证（access_token）无效，系统会自动刷新",
	40003: "接收人的 openid 无效：不是本公众号或小程序的用户",
	40014: "接口凭证（access_token）不合法，系统会自动刷新",
	40037: "消息模板 ID 无效：请检查公众号后台的模板设置",
	41030: "小程序页面路径不正确：请检查配置的页面",
	42001: "接口凭证（access_token）已过期，系统会自动刷新",
	43004: "接收人没有关注公众号，无法接收模板消息",
	43101: "群众没有订阅这条消息，或订阅次数已用完",
	45009: "接口调用次数超过当日上限",
	45015: "群众超过48小时没有与公众号互动，无法发送客服消息",
	45047: "客服消息超过下发条数上限",
	47003: "模板参数不符合要求（内容过长或格式不对）",
	48001: "公众号没有这个接口的权限",
}

// NotifyErrorText is the Chinese meaning of a notice's last error, "" when
// there is none or it is not known.
func NotifyErrorText(lastError string) string {
	switch {
	case lastError == "":
		return ""
	case strings.Contains(lastError, "no subscribe consent"):
		return "群众没有剩余的订阅授权，消息未发送"
	case strings.Contains(lastError, "not configured"):
		return "没有配置公众号或小程序，消息无法发送"
	}
	if m := errcodeRe.FindStringSubmatch(lastError); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			if t, ok := notifyErrcodes[n]; ok {
				return t
			}
			return fmt.Sprintf("微信返回错误码 %d", n)
		}
	}
	switch {
	case strings.Contains(lastError, "transport"), strings.Contains(lastError, "deadline exceeded"), strings.Contains(lastError, "timeout"):
		return "连接微信服务器失败或超时"
	case strings.Contains(lastError, "gave up after"):
		return "多次重试仍未成功，已放弃"
	}
	return ""
}

// ErrRetryAdminOnly refuses a township user the outbox's retry.
var ErrRetryAdminOnly = Coded(ErrForbidden, "admin_only", "只有县人大常委会办公室可以重新发送通知")

// RetryNotifications sends the chosen dead or failed notices of the scope
// again now: each becomes queued with a new attempt counter and due at
// once, keeping its dedupe key (so the event is still told once) and its
// settled consent (a retry spends none). Notices in another status (sent,
// queued, or claimed by a worker meanwhile) are left alone. Each retry is
// audited. It returns how many notices will be sent again.
func RetryNotifications(ctx context.Context, db *gorm.DB, sc ManageScope, ids []uint64, now time.Time) (int, error) {
	if !sc.All {
		return 0, ErrRetryAdminOnly
	}
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return 0, nil
	}
	now = now.UTC()
	done := 0
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		var rows []Notification
		if err := lockingUpdate(tx).Select("id", "status", "attempts", "last_error").
			Where("id IN ? AND status IN ?", ids, retryableStatuses).Order("id").Find(&rows).Error; err != nil {
			return translate(err)
		}
		for _, n := range rows {
			res := tx.Model(&Notification{}).Where("id = ? AND status = ?", n.ID, n.Status).Updates(map[string]any{
				"status": NotifyQueued, "attempts": 0, "next_attempt_at": now, "lease_until": nil, "updated_at": now,
			})
			if res.Error != nil {
				return translate(res.Error)
			}
			if res.RowsAffected == 0 {
				continue
			}
			note := fmt.Sprintf("重新发送（此前尝试%d次）", n.Attempts)
			if t := NotifyErrorText(n.LastError); t != "" {
				note += "：" + t
			}
			if err := Audit(ctx, tx, now, sc.Actor, "notification.retry", "notification", n.ID,
				string(n.Status), string(NotifyQueued), note); err != nil {
				return err
			}
			done++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return done, nil
}

// RetryAllDead sends again every dead notice of the filter (at most 500 a
// call), as RetryNotifications.
func RetryAllDead(ctx context.Context, db *gorm.DB, sc ManageScope, f OutboxFilter, now time.Time) (int, error) {
	if !sc.All {
		return 0, ErrRetryAdminOnly
	}
	f.View = OutboxDead
	var ids []uint64
	if err := outboxQuery(db.WithContext(ctx), sc, f, now).Order("id").Limit(500).Pluck("id", &ids).Error; err != nil {
		return 0, translate(err)
	}
	return RetryNotifications(ctx, db, sc, ids, now)
}
