package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// OpinionStatus is where an opinion is in its handling (docs/ARCHITECTURE.md#opinion-handling).
type OpinionStatus string

// Opinion statuses. See Transition for the allowed moves.
const (
	// OpinionSubmitted is filed and routed, waiting for the station to accept it.
	OpinionSubmitted OpinionStatus = "submitted"
	// OpinionAccepted is accepted (受理) by the station.
	OpinionAccepted OpinionStatus = "accepted"
	// OpinionTransferred is transferred (转办) to a government department.
	OpinionTransferred OpinionStatus = "transferred"
	// OpinionReplied has a public reply (答复) for its current round.
	OpinionReplied OpinionStatus = "replied"
	// OpinionClosed is finished (办结): a satisfied result or an admin's close.
	OpinionClosed OpinionStatus = "closed"
	// OpinionReturned was returned (退办) by a station and re-routed; it
	// waits for the new station to accept it, like a submitted item.
	OpinionReturned OpinionStatus = "returned"
	// OpinionReopened is in a further round of handling (二次办理) after the
	// voter said the result was unsatisfactory; it counts as accepted.
	OpinionReopened OpinionStatus = "reopened"
)

// OpinionStatuses lists every status.
var OpinionStatuses = []OpinionStatus{OpinionSubmitted, OpinionAccepted, OpinionTransferred,
	OpinionReplied, OpinionClosed, OpinionReturned, OpinionReopened}

// Label is the Chinese name shown to voters and staff.
func (s OpinionStatus) Label() string {
	switch s {
	case OpinionSubmitted:
		return "待受理"
	case OpinionAccepted:
		return "已受理"
	case OpinionTransferred:
		return "已转办"
	case OpinionReplied:
		return "已答复"
	case OpinionClosed:
		return "已办结"
	case OpinionReturned:
		return "已改派，待受理"
	case OpinionReopened:
		return "二次办理中"
	}
	return string(s)
}

// Valid reports whether s is a known status.
func (s OpinionStatus) Valid() bool {
	for _, k := range OpinionStatuses {
		if s == k {
			return true
		}
	}
	return false
}

// awaitingAccept are the statuses whose accept deadline runs.
var awaitingAccept = []OpinionStatus{OpinionSubmitted, OpinionReturned}

// awaitingReply are the statuses whose reply deadline runs.
var awaitingReply = []OpinionStatus{OpinionSubmitted, OpinionReturned, OpinionAccepted, OpinionTransferred, OpinionReopened}

// Opinion is a voter's opinion or suggestion (意见建议) and its handling.
// Times are stored in UTC.
type Opinion struct {
	ID uint64 `gorm:"primaryKey" json:"id"`
	// TrackingNo is the readable number, e.g. YJ20261123-0042: the local
	// filing date and that day's sequence.
	TrackingNo string `gorm:"size:24;not null;uniqueIndex" json:"tracking_no"`
	VoterID    uint64 `gorm:"not null;uniqueIndex:idx_opinion_idem,priority:1;index:idx_opinion_voter,priority:1" json:"voter_id"`
	// IdempotencyKey makes a repeated POST return the same opinion; unique per voter.
	IdempotencyKey *string `gorm:"size:64;uniqueIndex:idx_opinion_idem,priority:2" json:"-"`
	// Source is where it was filed: "miniprogram" or "chat", or how staff
	// received it offline (OfflineSources).
	Source     string `gorm:"size:16;not null" json:"source"`
	CategoryID uint64 `gorm:"not null;index" json:"category_id"`
	Content    string `gorm:"type:text;not null" json:"content"`
	// Anonymous hides the voter from the public, never from the handling staff.
	Anonymous bool `gorm:"not null" json:"anonymous"`
	// StationID is the routed station; 0 is the congress office queue.
	StationID uint64 `gorm:"not null;index:idx_opinion_station,priority:1" json:"station_id"`
	// DeputyID is the serving deputy whose code the voter scanned.
	DeputyID    *uint64  `gorm:"index" json:"deputy_id,omitempty"`
	RouteRule   string   `gorm:"size:32;not null" json:"route_rule"`
	RouteReason string   `gorm:"size:255;not null" json:"route_reason"`
	CommunityID *uint64  `json:"community_id,omitempty"`
	Lat         *float64 `json:"lat,omitempty"`
	Lng         *float64 `json:"lng,omitempty"`
	Code        string   `gorm:"size:8;not null" json:"code,omitempty"`
	// ReturnedFrom lists the stations that returned the item, "|"-separated,
	// so re-routing never sends it back to them.
	ReturnedFrom string        `gorm:"size:255;not null" json:"-"`
	ReturnCount  int           `gorm:"not null" json:"return_count"`
	Status       OpinionStatus `gorm:"size:16;not null;index:idx_opinion_station,priority:2;index:idx_opinion_status_accept,priority:1;index:idx_opinion_status_reply,priority:1" json:"status"`
	// Round is 1 for the first handling, 2 after a reopening (二次办理), ….
	Round int `gorm:"not null" json:"round"`
	// HandlerStaffID is the staff member responsible (PickHandler, or the
	// lead chosen at transfer).
	HandlerStaffID *uint64 `gorm:"index" json:"handler_staff_id,omitempty"`
	// DepartmentID is the lead department of the latest transfer (转办); the
	// co-handling departments are OpinionDepartment rows.
	DepartmentID  *uint64    `gorm:"index" json:"department_id,omitempty"`
	TransferDueAt *time.Time `json:"transfer_due_at,omitempty"`
	// ReplyText is the public reply of the current round.
	ReplyText   string     `gorm:"type:text;not null" json:"reply_text"`
	RepliedAt   *time.Time `json:"replied_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	Escalated   bool       `gorm:"not null;index" json:"escalated"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	// AcceptDays and ReplyDays are the category's working-day limits when
	// the item was filed; later category edits do not move its deadlines.
	AcceptDays int `gorm:"not null" json:"accept_days"`
	ReplyDays  int `gorm:"not null" json:"reply_days"`
	// AcceptStartAt is when the accept clock started (filing, or the last
	// return); AcceptDueAt = AcceptDays working days after it.
	AcceptStartAt time.Time  `gorm:"not null" json:"accept_start_at"`
	AcceptDueAt   time.Time  `gorm:"not null;index:idx_opinion_status_accept,priority:2" json:"accept_due_at"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	// ReplyStartAt is when the reply clock of the current round started
	// (filing, or the reopening); ReplyDueAt = ReplyDays working days after it.
	ReplyStartAt time.Time `gorm:"not null" json:"reply_start_at"`
	ReplyDueAt   time.Time `gorm:"not null;index:idx_opinion_status_reply,priority:2" json:"reply_due_at"`
	// The overdue job's marks, one per stage and audience, so each is told once.
	AcceptOverdueAt   *time.Time `json:"-"`
	AcceptEscalatedAt *time.Time `json:"-"`
	ReplyOverdueAt    *time.Time `json:"-"`
	ReplyEscalatedAt  *time.Time `json:"-"`
	// ResultAskedAt is when the voter was asked "解决了吗?" in this round.
	ResultAskedAt *time.Time `json:"-"`
	// EnteredByStaffID is the staff member who entered an opinion received
	// offline (FileOfflineOpinion); nil for a voter's own filing, whose
	// VoterID is set. An offline opinion has VoterID 0.
	EnteredByStaffID *uint64 `json:"entered_by_staff_id,omitempty"`
	// ReceivedOn is the local date (YYYY-MM-DD) an offline opinion reached
	// the station; "" for a voter's filing.
	ReceivedOn string `gorm:"size:10;not null;default:''" json:"received_on,omitempty"`
	// ReceptionDayID is the reception day it was raised at, if any.
	ReceptionDayID *uint64 `gorm:"index" json:"reception_day_id,omitempty"`
	// ContactName and the sealed ContactPhoneEnc (label contactPhoneLabel)
	// identify the person behind an offline opinion, when they gave them;
	// they fall under the voters' retention and deletion.
	ContactName        string `gorm:"size:40;not null;default:''" json:"-"`
	ContactPhoneEnc    []byte `gorm:"type:blob" json:"-"`
	ContactPhoneMasked string `gorm:"size:20;not null;default:''" json:"-"`
	// Version grows with every change; workflow updates check it.
	Version   int       `gorm:"not null" json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Replayed is set (not stored) when FileOpinion returned an opinion
	// filed earlier with the same idempotency key.
	Replayed bool `gorm:"-" json:"-"`
	// filed holds what FileOpinionThen wrote with the row (FiledView).
	filed *filedParts
}

// OpinionCounter is the per-day sequence behind tracking numbers.
type OpinionCounter struct {
	Day string `gorm:"primaryKey;size:8"` // local date, YYYYMMDD
	Seq int    `gorm:"not null"`
}

// TableName is explicit: tracking numbers use it in raw SQL.
func (OpinionCounter) TableName() string { return "opinion_counters" }

// OpinionPhoto is an uploaded photo attached to an opinion.
type OpinionPhoto struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	OpinionID uint64 `gorm:"not null;index" json:"opinion_id"`
	// Path is indexed for the upload clean-up, which keeps every upload an
	// opinion refers to.
	Path      string    `gorm:"size:255;not null;index" json:"-"`
	SHA256    string    `gorm:"column:sha256;size:64;not null" json:"sha256"`
	CreatedAt time.Time `json:"-"`
}

// OpinionNote is an internal note, seen by staff only, never by the voter.
type OpinionNote struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	OpinionID uint64    `gorm:"not null;index" json:"opinion_id"`
	StaffID   uint64    `gorm:"not null" json:"staff_id"`
	Text      string    `gorm:"size:2000;not null" json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// OpinionTimelineEntry is one public step of an opinion, shown to the voter:
// no internal notes, no staff names.
type OpinionTimelineEntry struct {
	ID        uint64    `gorm:"primaryKey" json:"-"`
	OpinionID uint64    `gorm:"not null;index" json:"-"`
	At        time.Time `gorm:"not null" json:"at"`
	// Kind is submitted, accepted, transferred, replied, returned, reopened,
	// escalated or closed; published or unpublished for the public results
	// (publication.go).
	Kind  string `gorm:"size:16;not null" json:"kind"`
	Round int    `gorm:"not null" json:"round"`
	Text  string `gorm:"size:255;not null" json:"text"`
	// Detail carries the reply text of a "replied" step.
	Detail string `gorm:"type:text;not null" json:"detail,omitempty"`
}

// TableName keeps the table name explicit.
func (OpinionTimelineEntry) TableName() string { return "opinion_timeline" }

// OpinionDepartment is a department an opinion was transferred to in its
// latest transfer: the lead (主办) or a co-handler (协办).
type OpinionDepartment struct {
	ID           uint64 `gorm:"primaryKey" json:"-"`
	OpinionID    uint64 `gorm:"not null;uniqueIndex:idx_opinion_dept,priority:1" json:"-"`
	DepartmentID uint64 `gorm:"not null;uniqueIndex:idx_opinion_dept,priority:2;index" json:"department_id"`
	Role         string `gorm:"size:8;not null" json:"role"` // lead or co
	// Note is the transfer's note to the departments (转办说明), printed on
	// the transfer slip.
	Note      string    `gorm:"size:2000;not null;default:''" json:"-"`
	CreatedAt time.Time `json:"-"`
}

// Errors of the opinion API.
var (
	ErrOpinionNotFound    = Coded(ErrNotFound, "opinion_not_found", "没有找到这条意见")
	ErrInvalidCategory    = Invalid("category", "请选择有效的意见类别")
	ErrIdempotencyReused  = Coded(ErrConflict, "idempotency_key_reused", "同一个请求标识已用于提交另一条意见")
	ErrInvalidTransition  = Coded(ErrConflict, "invalid_transition", "当前状态不能进行此操作")
	ErrAdminOnly          = Coded(ErrForbidden, "admin_only", "只有人大常委会办公室的管理员可以进行此操作")
	ErrConcurrentUpdate   = Coded(ErrConflict, "concurrent_update", "意见刚被其他人处理过，请刷新后重试")
	ErrDepartmentNotFound = Coded(ErrInvalid, "invalid_department", "请选择有效的承办单位")
)

// CategoryByCode loads a category by its code; an unknown code is ErrInvalidCategory.
func CategoryByCode(ctx context.Context, db *gorm.DB, code string) (Category, error) {
	var c Category
	code = strings.TrimSpace(code)
	if code == "" {
		return Category{}, ErrInvalidCategory
	}
	err := db.WithContext(ctx).Where("code = ?", code).First(&c).Error
	if cur, renamed := demoRenamedCategories[code]; renamed && errors.Is(err, gorm.ErrRecordNotFound) {
		// a former code, from a mini-program build or chat that predates the rename
		err = db.WithContext(ctx).Where("code = ?", cur).First(&c).Error
	}
	if err != nil {
		return Category{}, notFoundAs(err, ErrInvalidCategory)
	}
	return c, nil
}

// ListCategories lists the categories in display order.
func ListCategories(ctx context.Context, db *gorm.DB) ([]Category, error) {
	var rows []Category
	err := db.WithContext(ctx).Order("sort_order, id").Find(&rows).Error
	return rows, translate(err)
}

// addTimeline appends a public step.
func addTimeline(tx *gorm.DB, op Opinion, kind, text, detail string, now time.Time) error {
	row := OpinionTimelineEntry{OpinionID: op.ID, At: now.UTC(), Kind: kind, Round: op.Round,
		Text: Shorten(text, 255, ""), Detail: detail}
	return translate(tx.Create(&row).Error)
}

// stationName names a station, or the office for 0; a station that no
// longer exists is named by its id.
func stationName(tx *gorm.DB, id uint64) (string, error) {
	if id == officeStation {
		return OfficeName, nil
	}
	var names []string
	if err := tx.Model(&Station{}).Where("id = ?", id).Pluck("name", &names).Error; err != nil {
		return "", translate(err)
	}
	if len(names) == 0 {
		return fmt.Sprintf("联络站（编号%d）", id), nil
	}
	return names[0], nil
}
