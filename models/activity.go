package models

import (
	"fmt"
	"strconv"
	"time"
)

// A deputy's record (履职档案, "一人一档") is a list of activities: what the
// deputy did, with its evidence, entered automatically from the platform
// (reception days they signed in at) or by hand (by staff of the deputy's
// stations, or by the deputy), and reviewed by staff before it counts.
// docs/ARCHITECTURE.md#deputies-records.

// ActivityType is the kind of an activity, the indicators the congress
// counts each year.
type ActivityType string

// Activity types.
const (
	ActMeeting    ActivityType = "meeting"    // 出席会议
	ActReview     ActivityType = "review"     // 审议报告
	ActInspection ActivityType = "inspection" // 视察调研
	ActContact    ActivityType = "contact"    // 联系群众
	ActReception  ActivityType = "reception"  // 接待选民
	ActVisit      ActivityType = "visit"      // 走访选民
	ActStudy      ActivityType = "study"      // 学习培训
	ActGroup      ActivityType = "group"      // 小组活动
	ActProposal   ActivityType = "proposal"   // 提出建议
	ActOther      ActivityType = "other"      // 其他
)

// ActivityTypes lists the types in the order the record shows them.
var ActivityTypes = []ActivityType{ActMeeting, ActReview, ActInspection, ActContact, ActReception, ActVisit,
	ActStudy, ActGroup, ActProposal, ActOther}

// Label is the Chinese name of the type.
func (t ActivityType) Label() string {
	switch t {
	case ActMeeting:
		return "出席会议"
	case ActReview:
		return "审议报告"
	case ActInspection:
		return "视察调研"
	case ActContact:
		return "联系群众"
	case ActReception:
		return "接待选民"
	case ActVisit:
		return "走访选民"
	case ActStudy:
		return "学习培训"
	case ActGroup:
		return "小组活动"
	case ActProposal:
		return "提出建议"
	case ActOther:
		return "其他"
	}
	return "其他"
}

// Valid reports whether t is a known type.
func (t ActivityType) Valid() bool {
	for _, k := range ActivityTypes {
		if k == t {
			return true
		}
	}
	return false
}

// ActivityStatus is where an activity is in review.
type ActivityStatus string

// Activity statuses.
const (
	ActivityPending  ActivityStatus = "pending"  // 待审核
	ActivityApproved ActivityStatus = "approved" // 已通过
	ActivityRejected ActivityStatus = "rejected" // 未通过 (with a reason)
)

// Label is the Chinese name of the status.
func (s ActivityStatus) Label() string {
	switch s {
	case ActivityPending:
		return "待审核"
	case ActivityApproved:
		return "已通过"
	case ActivityRejected:
		return "未通过"
	}
	return string(s)
}

// ActivitySource is how an activity entered the record.
type ActivitySource string

// Activity sources.
const (
	SourceAuto   ActivitySource = "auto"   // accrued from the platform (AccrueActivities)
	SourceStaff  ActivitySource = "staff"  // entered by staff
	SourceDeputy ActivitySource = "deputy" // submitted by the deputy
)

// Label is the Chinese name of the source.
func (s ActivitySource) Label() string {
	switch s {
	case SourceAuto:
		return "系统自动记录"
	case SourceStaff:
		return "工作人员录入"
	case SourceDeputy:
		return "代表本人提交"
	}
	return string(s)
}

// Activity is one entry of a deputy's record. Times are UTC; Date is the
// local date it happened.
type Activity struct {
	ID       uint64       `gorm:"primaryKey" json:"id"`
	DeputyID uint64       `gorm:"not null;index:idx_activity_deputy_date,priority:1" json:"deputy_id"`
	Type     ActivityType `gorm:"size:16;not null;index" json:"type"`
	// Date is the local date ("2006-01-02").
	Date        string `gorm:"size:10;not null;index:idx_activity_deputy_date,priority:2" json:"date"`
	Title       string `gorm:"size:100;not null" json:"title"`
	Description string `gorm:"type:text;not null" json:"description"`
	// Voters is how many voters the deputy received (reception days).
	Voters int            `gorm:"not null;default:0" json:"voters"`
	Source ActivitySource `gorm:"size:8;not null" json:"source"`
	// SourceKey makes automatic accrual idempotent, e.g. "reception:<record
	// id>"; nil for manual entries.
	SourceKey *string        `gorm:"size:64;uniqueIndex" json:"-"`
	Status    ActivityStatus `gorm:"size:10;not null;index" json:"status"`
	// RejectReason says why a rejected entry does not count.
	RejectReason string     `gorm:"size:255;not null;default:''" json:"reject_reason,omitempty"`
	ReviewerID   *uint64    `json:"reviewer_id,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	// EnteredByStaffID is the staff member who entered it (SourceStaff).
	EnteredByStaffID *uint64   `json:"entered_by_staff_id,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// ActivityFile is an activity's evidence: a photo (re-encoded under the
// opinions' image rules) or a PDF (kept as it is, served as a download).
type ActivityFile struct {
	ID         uint64    `gorm:"primaryKey" json:"id"`
	ActivityID uint64    `gorm:"not null;index" json:"activity_id"`
	Kind       string    `gorm:"size:8;not null" json:"kind"` // photo, pdf
	Name       string    `gorm:"size:100;not null" json:"name"`
	Path       string    `gorm:"size:255;not null" json:"-"`
	Size       int64     `gorm:"not null" json:"size"`
	CreatedAt  time.Time `json:"created_at"`
}

// DeputyGroup is a group of deputies (代表小组): of a township (Township is
// its Station.District) or of the county (""), with members from any
// station and a leader among them.
type DeputyGroup struct {
	ID        uint64    `gorm:"primaryKey" json:"id"`
	Name      string    `gorm:"size:100;not null;uniqueIndex" json:"name"`
	Township  string    `gorm:"size:50;not null;default:''" json:"township"`
	LeaderID  *uint64   `json:"leader_id,omitempty"`
	Members   []Deputy  `gorm:"many2many:deputy_group_members" json:"-"`
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// EvaluationStatus is whether a year's evaluation is still open.
type EvaluationStatus string

// Evaluation statuses.
const (
	EvaluationOpen   EvaluationStatus = "open"
	EvaluationClosed EvaluationStatus = "closed"
)

// Evaluation is one year's evaluation of the deputies of one level,
// organised by the congress they belong to (the county for county
// deputies, a township's 主席团 for township deputies, Township set).
// Closing it locks the approved entries of that year.
type Evaluation struct {
	ID       uint64           `gorm:"primaryKey" json:"id"`
	Year     int              `gorm:"not null;uniqueIndex:idx_evaluation,priority:1" json:"year"`
	Level    Level            `gorm:"size:16;not null;uniqueIndex:idx_evaluation,priority:2" json:"level"`
	Township string           `gorm:"size:50;not null;default:'';uniqueIndex:idx_evaluation,priority:3" json:"township"`
	Status   EvaluationStatus `gorm:"size:8;not null" json:"status"`
	// MinMonths is the months in office a deputy needs to be ranked at all.
	MinMonths int        `gorm:"not null;default:6" json:"min_months"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	CreatedAt time.Time  `json:"-"`
	UpdatedAt time.Time  `json:"-"`
}

// EvaluationWeight is the points one approved activity of a type is worth
// in an evaluation, and the most points that type can give.
type EvaluationWeight struct {
	EvaluationID uint64       `gorm:"primaryKey;autoIncrement:false" json:"evaluation_id"`
	Type         ActivityType `gorm:"primaryKey;size:16" json:"type"`
	Points       float64      `gorm:"not null" json:"points"`
	MaxPoints    float64      `gorm:"not null" json:"max_points"`
}

// SelfAssessment is a deputy's own account of the year (代表自评) and the
// voters' rating (选民测评) of the yearly report to voters, filled by the
// next issue's 述职评议.
type SelfAssessment struct {
	EvaluationID uint64 `gorm:"primaryKey;autoIncrement:false" json:"evaluation_id"`
	DeputyID     uint64 `gorm:"primaryKey;autoIncrement:false" json:"deputy_id"`
	Text         string `gorm:"type:text;not null" json:"text"`
	// Grade is the deputy's own grade: 优秀, 称职, 基本称职, 不称职.
	Grade string `gorm:"size:8;not null;default:''" json:"grade"`
	// VoterRating is the voters' rating, "" until a review fills it.
	VoterRating string    `gorm:"size:50;not null;default:''" json:"voter_rating"`
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Evaluation defaults.
const (
	// DefaultMinMonths is the months in office a deputy needs, by default,
	// for a band and a rank; fewer is 样本不足.
	DefaultMinMonths = 6
)

// DefaultWeights are the points per approved activity and the most points
// each type gives, for a new evaluation (docs/ARCHITECTURE.md#deputies-records).
// The full total is 115.
var DefaultWeights = map[ActivityType][2]float64{
	ActMeeting:    {2, 20},
	ActReview:     {2, 10},
	ActInspection: {3, 15},
	ActContact:    {2, 10},
	ActReception:  {3, 15},
	ActVisit:      {2, 10},
	ActStudy:      {1, 5},
	ActGroup:      {2, 10},
	ActProposal:   {3, 15},
	ActOther:      {1, 5},
}

// Title is the evaluation's Chinese name, e.g. "2026年度县人大代表履职考评".
func (e Evaluation) Title() string {
	return fmt.Sprintf("%d年度%s履职考评", e.Year, e.Electorate())
}

// Electorate names the deputies evaluated: "县人大代表" or "城关镇人大代表".
func (e Evaluation) Electorate() string {
	if e.Level == LevelTownship {
		return e.Township + "人大代表"
	}
	return e.Level.Label()
}

// Organiser is the congress that organises the evaluation.
func (e Evaluation) Organiser() string {
	if e.Level == LevelTownship {
		return e.Township + "人大主席团"
	}
	return "县人大常委会"
}

// StatusLabel is the evaluation's status in Chinese.
func (e Evaluation) StatusLabel() string {
	if e.Status == EvaluationClosed {
		return "已结束"
	}
	return "进行中"
}

// YearSpan is the first and last local date of the evaluation's year.
func (e Evaluation) YearSpan() (string, string) {
	y := strconv.Itoa(e.Year)
	return y + "-01-01", y + "-12-31"
}

// ReceptionSourceKey is the SourceKey of the entry accrued from a
// reception record.
func ReceptionSourceKey(recordID uint64) string { return fmt.Sprint("reception:", recordID) }
