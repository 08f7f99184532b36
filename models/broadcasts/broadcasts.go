// Package broadcasts holds the rules of the office's broadcasts to deputies
// (空中讲堂) over the data model in models (broadcast.go): who may send to
// whom, the recipients and their notices (written in one transaction with
// the article), the deputy's list and article page that record the read,
// a training's sign-ups and the attendance staff tick at the session,
// which goes into the deputy's record as 学习培训.
// docs/ARCHITECTURE.md#broadcasts.
package broadcasts

import (
	"time"

	"deputylink/models"
)

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
