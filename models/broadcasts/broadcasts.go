// Package broadcasts holds the rules of the office's broadcasts to deputies
// (空中讲堂) over the data model in models (broadcast.go): who may send to
// whom, the recipients and their notices (written in one transaction with
// the article), the deputy's list and article page that record the read,
// a training's sign-ups and the attendance staff tick at the session,
// which goes into the deputy's record as 学习培训.
// docs/ARCHITECTURE.md#broadcasts.
package broadcasts

import (
	"context"
	"errors"
	"strconv"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// errTODO marks a rule not written yet (this file is the contract the
// pages are built against).
var errTODO = errors.New("broadcasts: not implemented yet")

// AttachmentDir is where attachments live under the data directory
// (the console stores and checks the upload, then passes it in NewBroadcast).
const AttachmentDir = "uploads/broadcasts"

// Attachment is a stored attachment: a PDF or a photo, checked by the
// console like a department reply's file (models.CheckReplyFile).
type Attachment struct {
	// Kind is models.ReplyFilePDF or models.ReplyFilePhoto.
	Kind string
	// Name is the uploaded file's cleaned name (models.CleanFileName).
	Name string
	// Path is relative to the data directory, under AttachmentDir.
	Path string
	Size int64
}

// NewBroadcast is what the office fills in to send an article.
type NewBroadcast struct {
	Kind  models.BroadcastKind
	Title string // 2 to 100 characters
	Body  string // up to 20,000 characters; plain text, paragraphs by blank lines
	// Attachment is optional.
	Attachment *Attachment
	// Audience: AudienceAll (every active deputy of the sender's scope),
	// AudienceGroup (GroupID's active members; a township office only its
	// own township's groups) or AudienceStations (the active deputies whose
	// primary or other station is one of StationIDs, all in the scope).
	Audience   models.BroadcastAudience
	GroupID    uint64
	StationIDs []uint64
	// A training (BroadcastTraining) needs its session: when (after now),
	// where, and until when sign-ups are taken (after now, not after the
	// session; zero: until the session starts). Other kinds leave them zero.
	SessionAt    time.Time
	SessionPlace string
	SignupUntil  time.Time
}

// Sent is what Create did.
type Sent struct {
	Broadcast models.Broadcast
	// Recipients is how many deputies got the article; Notified of them got
	// a notice queued, Capped were held back by the weekly cap, Unbound have
	// no bound openid (they still see it in their list).
	Recipients, Notified, Capped, Unbound int
}

// Summary is one broadcast in the office's list, with its counts.
type Summary struct {
	Broadcast models.Broadcast
	// AudienceText says whom it went to: "全体代表", "城关镇代表小组",
	// "东门联络站、西关联络站的代表".
	AudienceText string
	Recipients   int
	Notified     int
	Capped       int
	Read         int
	SignedUp     int
	Attended     int
}

// RecipientRow is one recipient deputy in the office's view of a broadcast.
type RecipientRow struct {
	models.BroadcastRecipient
	Name    string
	Station string // their primary station's name
	// Bound: the deputy has a bound openid (could be notified).
	Bound bool
}

// Detail is one broadcast for the office: the summary and every recipient,
// signed-up ones first (the check-in list), then by name order of entry.
type Detail struct {
	Summary
	Rows []RecipientRow
}

// DeputyItem is one broadcast in a deputy's list.
type DeputyItem struct {
	Broadcast  models.Broadcast
	ReadAt     *time.Time
	SignedUpAt *time.Time
	AttendedAt *time.Time
}

// Article is a broadcast as the deputy's page shows it, with their own row.
type Article struct {
	Broadcast models.Broadcast
	Recipient models.BroadcastRecipient
	// CanSignUp: a training whose sign-up is still open and that the
	// deputy has not signed up for; CanCancel: signed up, sign-up still open,
	// not yet attended.
	CanSignUp, CanCancel bool
}

// AudienceChoices are what a sender may choose from: their scope's groups
// and stations, and how many active deputies "all" reaches.
type AudienceChoices struct {
	AllCount int
	Groups   []models.GroupSummary
	Stations []models.Station
}

// Errors.
var (
	ErrNotFound = models.Coded(models.ErrNotFound, "broadcast_not_found", "没有找到这篇文章")
	// ErrNoRecipients: the audience holds no active deputy.
	ErrNoRecipients = models.Coded(models.ErrInvalid, "broadcast_no_recipients", "所选范围内没有在职代表，请重新选择发送对象")
	// ErrNotTraining: signing up for or attending an article that is not a training.
	ErrNotTraining = models.Coded(models.ErrConflict, "broadcast_not_training", "这篇文章不是培训通知，无需报名")
	// ErrSignupClosed: the sign-up time has passed.
	ErrSignupClosed = models.Coded(models.ErrConflict, "broadcast_signup_closed", "报名已截止")
	// ErrAttended: a deputy marked as attended cannot cancel.
	ErrAttended = models.Coded(models.ErrConflict, "broadcast_attended", "您已签到参加培训，不能取消报名")
	// ErrNotRecipient: attendance for a deputy the article did not go to.
	ErrNotRecipient = models.Coded(models.ErrInvalid, "broadcast_not_recipient", "所选代表不在这篇培训通知的发送范围内")
	// ErrBeforeSession: attendance ticked before the session's day.
	ErrBeforeSession = models.Coded(models.ErrConflict, "broadcast_before_session", "培训尚未开始，不能签到")
)

// Choices lists the audiences the scope may send to.
func Choices(ctx context.Context, db *gorm.DB, sc models.ManageScope) (AudienceChoices, error) {
	return AudienceChoices{}, errTODO
}

// Create sends an article at once: in one transaction it writes the
// broadcast, one recipient row per active deputy of the audience, and a
// template notice through the outbox (models.QueueBroadcastNotices) for
// each bound deputy under the weekly cap. A validation error names the
// field; nothing is written on any error.
func Create(ctx context.Context, db *gorm.DB, sc models.ManageScope, in NewBroadcast, cfg models.NotifyConfig, now time.Time) (Sent, error) {
	return Sent{}, errTODO
}

// List lists the broadcasts the scope sent (the county office: all; a
// township office: its township's), newest first, at most limit (default
// and most 200), with their counts.
func List(ctx context.Context, db *gorm.DB, sc models.ManageScope, limit int) ([]Summary, error) {
	return nil, errTODO
}

// Get is one broadcast of the scope with every recipient; ErrNotFound
// for one outside it.
func Get(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) (Detail, error) {
	return Detail{}, errTODO
}

// ForDeputy lists the broadcasts a deputy received (capped or not),
// newest first, at most limit (default and most 100).
func ForDeputy(ctx context.Context, db *gorm.DB, deputyID uint64, limit int) ([]DeputyItem, error) {
	return nil, errTODO
}

// Unread is how many broadcasts the deputy has not read.
func Unread(ctx context.Context, db *gorm.DB, deputyID uint64) (int, error) {
	return 0, errTODO
}

// Read opens a broadcast for the deputy it went to and records the read:
// the first read's time is kept (later and concurrent reads change
// nothing). ErrNotFound for an article that did not go to them.
func Read(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	return Article{}, errTODO
}

// SignUp signs the deputy up for a training (idempotent): ErrNotTraining,
// ErrSignupClosed after SignupUntil (or the session's start).
func SignUp(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	return Article{}, errTODO
}

// CancelSignUp withdraws the deputy's sign-up (idempotent) while sign-up
// is open; ErrAttended once staff ticked them as attended.
func CancelSignUp(ctx context.Context, db *gorm.DB, deputyID, id uint64, now time.Time) (Article, error) {
	return Article{}, errTODO
}

// MarkAttendance is the check-in at the session: staff of the scope tick
// the recipients present (signed up or not) on the broadcast's page. Each
// newly ticked deputy gets AttendedAt and one approved 学习培训 entry in
// their record (models.ActStudy, SourceStaff, entered by the actor,
// SourceKey BroadcastSourceKey(id, deputy), dated the session's local
// day), unless that year's evaluation is closed. Idempotent: a deputy
// ticked twice gets one entry. ErrNotTraining, ErrNotRecipient,
// ErrBeforeSession (before the session's local day). marked is how many
// were newly ticked.
func MarkAttendance(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64, deputyIDs []uint64, now time.Time) (marked int, err error) {
	return 0, errTODO
}

// UnmarkAttendance undoes a wrong tick: AttendedAt is cleared and the
// entry MarkAttendance wrote is removed (refused once its year's
// evaluation is closed: records.ErrActivityLocked).
func UnmarkAttendance(ctx context.Context, db *gorm.DB, sc models.ManageScope, id, deputyID uint64, now time.Time) error {
	return errTODO
}

// StaffAttachment is the broadcast whose attachment the scope's staff
// download; ErrNotFound when outside the scope or without an attachment.
func StaffAttachment(ctx context.Context, db *gorm.DB, sc models.ManageScope, id uint64) (models.Broadcast, error) {
	return models.Broadcast{}, errTODO
}

// DeputyAttachment is the broadcast whose attachment a recipient deputy
// downloads; ErrNotFound otherwise.
func DeputyAttachment(ctx context.Context, db *gorm.DB, deputyID, id uint64) (models.Broadcast, error) {
	return models.Broadcast{}, errTODO
}

// BroadcastSourceKey is the SourceKey of a deputy's 学习培训 entry for
// attending broadcast id: "broadcast:<id>:<deputy id>".
func BroadcastSourceKey(id, deputyID uint64) string {
	return "broadcast:" + strconv.FormatUint(id, 10) + ":" + strconv.FormatUint(deputyID, 10)
}
