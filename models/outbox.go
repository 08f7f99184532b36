package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// NotifyChannel is how a notification reaches its recipient.
type NotifyChannel string

// The delivery channels.
const (
	// ChannelTemplate is an official-account template message (to staff).
	ChannelTemplate NotifyChannel = "template"
	// ChannelSubscribe is a mini-program subscribe message (to voters); it
	// needs one recorded consent per send.
	ChannelSubscribe NotifyChannel = "subscribe"
	// ChannelCustom is an official-account customer-service text message;
	// Fields["text"] holds the text.
	ChannelCustom NotifyChannel = "custom"
)

// NotifyChannelLabel is the Chinese name of a channel.
func NotifyChannelLabel(c NotifyChannel) string {
	switch c {
	case ChannelTemplate:
		return "公众号模板消息"
	case ChannelSubscribe:
		return "小程序订阅消息"
	case ChannelCustom:
		return "公众号客服消息"
	}
	return string(c)
}

// NotifyStatus is where a notification is in its life.
type NotifyStatus string

// Notification statuses. failed means "waiting for another attempt"; dead
// is final.
const (
	NotifyQueued  NotifyStatus = "queued"
	NotifySending NotifyStatus = "sending"
	NotifySent    NotifyStatus = "sent"
	NotifyFailed  NotifyStatus = "failed"
	NotifyDead    NotifyStatus = "dead"
)

// NotifyStatuses lists every status, for metrics and reports.
var NotifyStatuses = []NotifyStatus{NotifyQueued, NotifySending, NotifySent, NotifyFailed, NotifyDead}

// ErrStaleClaim is returned by the Mark functions when the row was claimed
// again after the caller's lease ran out: the newer claim owns it now.
var ErrStaleClaim = fmt.Errorf("%w: notification was claimed again", ErrConflict)

// Notification is one row of the transactional outbox.
//
// The caller writes it with Enqueue inside the transaction that makes the
// change it reports; the dispatcher delivers it later. NextAttemptAt is the
// time the row is next due: for a queued or failed row the next attempt,
// for a sending row the end of its lease (equal to LeaseUntil), so one index
// (status, next_attempt_at) finds every row the dispatcher should pick up.
type Notification struct {
	ID      uint64        `gorm:"primaryKey"`
	Channel NotifyChannel `gorm:"size:16;not null"`
	// ToUser is the recipient's openid (official account for template and
	// custom, mini-program for subscribe).
	ToUser     string `gorm:"column:to_user;size:64;not null;index"`
	TemplateID string `gorm:"size:64;not null;default:''"`
	// Fields is a JSON object of keyword → value, already mapped onto the
	// template's keywords.
	Fields string `gorm:"type:text;not null"`
	// URL is the template message's link or the subscribe message's page.
	URL string `gorm:"column:url;size:500;not null;default:''"`
	// MiniPage is the mini-program page a template message opens.
	MiniPage string `gorm:"size:255;not null;default:''"`
	// DedupeKey makes a repeated Enqueue of the same event harmless.
	DedupeKey     string       `gorm:"size:150;not null;uniqueIndex"`
	Status        NotifyStatus `gorm:"size:16;not null;index:idx_notification_due,priority:1"`
	Attempts      int          `gorm:"not null;default:0"`
	NextAttemptAt time.Time    `gorm:"not null;index:idx_notification_due,priority:2"`
	LeaseUntil    *time.Time
	// ConsentUsed records that the row's subscribe consent is settled: spent
	// (one-time) or checked (long-term) when the row was queued, or by the
	// dispatcher for a row queued before that; a retry spends none.
	ConsentUsed bool `gorm:"not null;default:false"`
	// LastError is redacted and truncated; it never holds a token or secret.
	LastError string     `gorm:"size:500;not null;default:''"`
	MsgID     int64      `gorm:"column:wechat_msgid;not null;default:0;index"`
	SentAt    *time.Time `gorm:"index"`
	// DeliveryStatus is WeChat's TEMPLATESENDJOBFINISH status, e.g. "success".
	DeliveryStatus string  `gorm:"size:64;not null;default:''"`
	StationID      *uint64 `gorm:"index"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Data decodes Fields.
func (n Notification) Data() (map[string]string, error) {
	out := map[string]string{}
	if n.Fields == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(n.Fields), &out); err != nil {
		return nil, fmt.Errorf("notification %d: fields: %w", n.ID, err)
	}
	return out, nil
}

// NotificationInput is what a caller asks to be sent.
type NotificationInput struct {
	Channel    NotifyChannel
	ToUser     string
	TemplateID string
	Fields     map[string]string
	URL        string
	MiniPage   string
	// DedupeKey names the event, e.g. "booking:42:confirmed". Required.
	DedupeKey string
	StationID *uint64
	// NotBefore delays the first attempt (e.g. a reminder); zero = at once.
	NotBefore time.Time
	// consentHeld: the consent rule already settled this subscribe row's
	// consent in the same transaction (queueVoterNotice); it is written as
	// ConsentUsed so the dispatcher spends none.
	consentHeld bool
}

// Enqueue writes a notification. Call it with the caller's transaction so
// the notification exists exactly when the change that caused it commits.
//
// A second Enqueue with the same DedupeKey writes nothing and returns the
// existing row's id with created=false. It does so with INSERT … ON CONFLICT
// DO NOTHING on SQLite and INSERT IGNORE on MySQL, never by catching a
// unique-key error, so it does not break the caller's transaction. (Not ON
// DUPLICATE KEY UPDATE: with MariaDB's RETURNING it reports the existing row
// as inserted. INSERT IGNORE would also turn an over-long value into a
// warning, so validate checks every length first.)
func Enqueue(ctx context.Context, tx *gorm.DB, in NotificationInput, now time.Time) (id uint64, created bool, err error) {
	if err := in.validate(); err != nil {
		return 0, false, err
	}
	fields := in.Fields
	if fields == nil {
		fields = map[string]string{}
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return 0, false, err
	}
	now = now.UTC()
	due := now
	if in.NotBefore.After(now) {
		due = in.NotBefore.UTC()
	}
	row := Notification{
		Channel: in.Channel, ToUser: in.ToUser, TemplateID: in.TemplateID, Fields: string(b),
		URL: in.URL, MiniPage: in.MiniPage, DedupeKey: in.DedupeKey, Status: NotifyQueued,
		NextAttemptAt: due, StationID: in.StationID, ConsentUsed: in.consentHeld, CreatedAt: now, UpdatedAt: now,
	}
	db := tx.WithContext(ctx)
	ins := db.Clauses(clause.OnConflict{DoNothing: true})
	if DialectOf(db) == MySQL {
		ins = db.Clauses(clause.Insert{Modifier: "IGNORE"})
	}
	res := ins.Create(&row)
	if res.Error != nil {
		return 0, false, translate(res.Error)
	}
	if res.RowsAffected == 1 && row.ID != 0 {
		return row.ID, true, nil
	}
	// On MySQL a locking read sees the latest committed row even inside a
	// REPEATABLE READ snapshot taken before the other writer committed. It
	// is a shared lock: the ignored insert already holds one on that row, and
	// two callers upgrading to FOR UPDATE would deadlock each other.
	q := "SELECT id FROM notifications WHERE dedupe_key = ?"
	if DialectOf(db) == MySQL {
		q += " LOCK IN SHARE MODE"
	}
	var ids []uint64
	if err := db.Raw(q, in.DedupeKey).Scan(&ids).Error; err != nil {
		return 0, false, translate(err)
	}
	if len(ids) == 0 {
		return 0, false, fmt.Errorf("enqueue %q: neither inserted nor found", in.DedupeKey)
	}
	return ids[0], false, nil
}

func (in NotificationInput) validate() error {
	switch in.Channel {
	case ChannelTemplate, ChannelSubscribe:
		if in.TemplateID == "" {
			return Invalid("template_id", "缺少消息模板")
		}
	case ChannelCustom:
		if in.Fields["text"] == "" {
			return Invalid("text", "缺少消息内容")
		}
	default:
		return Invalid("channel", "未知的通知渠道")
	}
	if in.ToUser == "" {
		return Invalid("to_user", "缺少接收人")
	}
	if in.DedupeKey == "" || len(in.DedupeKey) > 150 {
		return Invalid("dedupe_key", "去重键为空或过长")
	}
	if len(in.ToUser) > 64 || len(in.TemplateID) > 64 || len(in.URL) > 500 || len(in.MiniPage) > 255 {
		return Invalid("notification", "通知内容过长")
	}
	size := 0
	for k, v := range in.Fields {
		size += len(k) + len(v) + 6
	}
	if size > 60000 {
		return Invalid("fields", "通知内容过长")
	}
	return nil
}

// dueStatuses are the statuses a claim may pick up once next_attempt_at has
// passed; for sending that time is the end of the lease.
var dueStatuses = []NotifyStatus{NotifyQueued, NotifyFailed, NotifySending}

// Claim takes up to batch due notifications for this worker: queued or
// failed rows whose next attempt has come, and sending rows whose lease ran
// out (their worker died or stalled). The claimed rows become sending with
// a lease until now+lease and one more attempt; Attempts is the claim's
// generation, which MarkSent, MarkRetry, MarkDead and Release check.
//
// On MySQL the rows are read FOR UPDATE SKIP LOCKED in a READ COMMITTED
// transaction, so concurrent workers take disjoint rows without waiting and
// without gap locks that would block Enqueue. On SQLite the transaction
// begins IMMEDIATE (see Open), which serialises claims.
func Claim(ctx context.Context, db *gorm.DB, now time.Time, batch int, lease time.Duration) ([]Notification, error) {
	if batch <= 0 {
		return nil, nil
	}
	now = now.UTC()
	until := now.Add(lease)
	var rows []Notification
	var opts []*sql.TxOptions
	mysql := DialectOf(db) == MySQL
	if mysql {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("status IN ? AND next_attempt_at <= ?", dueStatuses, now).Limit(batch)
		if mysql {
			// No ORDER BY: a sort would make InnoDB read (and lock) every
			// due row before the LIMIT; the index scan stops at batch rows.
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		} else {
			q = q.Order("next_attempt_at, id")
		}
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]uint64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		res := tx.Model(&Notification{}).Where("id IN ?", ids).Updates(map[string]any{
			"status": NotifySending, "attempts": gorm.Expr("attempts + 1"),
			"lease_until": until, "next_attempt_at": until, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(rows)) {
			return fmt.Errorf("claim: updated %d of %d rows", res.RowsAffected, len(rows))
		}
		return nil
	}, opts...)
	if err != nil {
		return nil, translate(err)
	}
	for i := range rows {
		rows[i].Status = NotifySending
		rows[i].Attempts++
		rows[i].LeaseUntil = &until
		rows[i].NextAttemptAt = until
		rows[i].UpdatedAt = now
	}
	return rows, nil
}

// NextDue reports when the earliest queued or failed notification is due
// (found false when none waits). The dispatcher uses it to go on at that
// time instead of at its next tick. Rows being sent are left out: their
// lease ends long after a tick. One ORDER BY … LIMIT 1 per status reads the
// (status, next_attempt_at) index from its start, on both dialects.
func NextDue(ctx context.Context, db *gorm.DB) (due time.Time, found bool, err error) {
	for _, s := range []NotifyStatus{NotifyQueued, NotifyFailed} {
		var rows []Notification
		err := db.WithContext(ctx).Select("next_attempt_at").Where("status = ?", s).
			Order("next_attempt_at").Limit(1).Find(&rows).Error
		if err != nil {
			return time.Time{}, false, translate(err)
		}
		if len(rows) == 1 && (!found || rows[0].NextAttemptAt.Before(due)) {
			due, found = rows[0].NextAttemptAt, true
		}
	}
	return due, found, nil
}

// markClaimed updates the row only if it is still in the claim generation n
// was claimed with.
func markClaimed(ctx context.Context, db *gorm.DB, n Notification, set map[string]any) error {
	res := db.WithContext(ctx).Model(&Notification{}).
		Where("id = ? AND status = ? AND attempts = ?", n.ID, NotifySending, n.Attempts).Updates(set)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrStaleClaim
	}
	return nil
}

// MarkSent records a delivery with WeChat's msgid (0 when the API gives none).
func MarkSent(ctx context.Context, db *gorm.DB, n Notification, msgID int64, now time.Time) error {
	now = now.UTC()
	return markClaimed(ctx, db, n, map[string]any{
		"status": NotifySent, "wechat_msgid": msgID, "sent_at": now,
		"lease_until": nil, "last_error": "", "updated_at": now,
	})
}

// MarkRetry records a failed attempt and when to try again.
func MarkRetry(ctx context.Context, db *gorm.DB, n Notification, cause string, next, now time.Time) error {
	return markClaimed(ctx, db, n, map[string]any{
		"status": NotifyFailed, "next_attempt_at": next.UTC(), "lease_until": nil,
		"last_error": RedactError(cause), "updated_at": now.UTC(),
	})
}

// MarkDead gives up on a notification for good.
func MarkDead(ctx context.Context, db *gorm.DB, n Notification, cause string, now time.Time) error {
	return markClaimed(ctx, db, n, map[string]any{
		"status": NotifyDead, "lease_until": nil, "last_error": RedactError(cause), "updated_at": now.UTC(),
	})
}

// Release hands a claimed but unsent notification back (at shutdown): it is
// due again at once and the attempt it did not make is given back.
func Release(ctx context.Context, db *gorm.DB, n Notification, now time.Time) error {
	status := NotifyFailed
	if n.Attempts <= 1 {
		status = NotifyQueued
	}
	now = now.UTC()
	return markClaimed(ctx, db, n, map[string]any{
		"status": status, "attempts": gorm.Expr("attempts - 1"), "next_attempt_at": now,
		"lease_until": nil, "updated_at": now,
	})
}

// UpdateDeliveryStatus stores the status of a TEMPLATESENDJOBFINISH push
// ("success", "failed:user block", …) on the notification with that msgid.
// It reports whether a notification matched.
func UpdateDeliveryStatus(ctx context.Context, db *gorm.DB, msgID int64, status string) (bool, error) {
	if msgID == 0 {
		return false, nil
	}
	res := db.WithContext(ctx).Model(&Notification{}).Where("wechat_msgid = ?", msgID).
		UpdateColumn("delivery_status", truncateRunes(status, 64))
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected > 0, nil
}

// FindNotification loads one notification.
func FindNotification(ctx context.Context, db *gorm.DB, id uint64) (Notification, error) {
	var n Notification
	err := db.WithContext(ctx).First(&n, id).Error
	return n, translate(err)
}

var secretRe = regexp.MustCompile(`(?i)(access_token|appsecret|secret|js_code|session_key|refresh_token)(["']?\s*[=:]\s*["']?)[^&\s"',]*`)

// RedactError removes tokens and secrets from an error text and truncates
// it to fit Notification.LastError.
func RedactError(s string) string {
	return truncateRunes(secretRe.ReplaceAllString(s, "${1}${2}REDACTED"), 500)
}

// truncateRunes cuts s to at most n bytes without splitting a character.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimSpace(s)
}

// RetryDelay is the default backoff: the wait after failed attempt n
// (1-based) before the next one: 1 min, 5 min, 30 min, 2 h, 6 h, then 12 h.
// The first attempt is made at once.
func RetryDelay(attempt int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour}
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(steps) {
		attempt = len(steps)
	}
	return steps[attempt-1]
}
