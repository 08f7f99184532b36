package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// OpinionStatus is where an opinion is in its handling (DESIGN §2 Handle).
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
	// Source is where it was filed: "miniprogram" or "chat".
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
	// Version grows with every change; workflow updates check it.
	Version   int       `gorm:"not null" json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Replayed is set (not stored) when FileOpinion returned an opinion
	// filed earlier with the same idempotency key.
	Replayed bool `gorm:"-" json:"-"`
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
	// escalated or closed.
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
	ID           uint64    `gorm:"primaryKey" json:"-"`
	OpinionID    uint64    `gorm:"not null;uniqueIndex:idx_opinion_dept,priority:1" json:"-"`
	DepartmentID uint64    `gorm:"not null;uniqueIndex:idx_opinion_dept,priority:2" json:"department_id"`
	Role         string    `gorm:"size:8;not null" json:"role"` // lead or co
	CreatedAt    time.Time `json:"-"`
}

// Errors of the opinion API.
var (
	ErrOpinionNotFound    = Coded(ErrNotFound, "opinion_not_found", "没有找到这条意见")
	ErrInvalidCategory    = Coded(ErrInvalid, "invalid_category", "请选择有效的意见类别")
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
	if err := db.WithContext(ctx).Where("code = ?", code).First(&c).Error; err != nil {
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

// PhotoInput is one uploaded photo: its stored path and content hash.
type PhotoInput struct {
	Path   string
	SHA256 string
}

// FileInput is what a voter files, from the mini-program or the chat flow.
type FileInput struct {
	VoterID  uint64
	Category string // category code, e.g. "minsheng"
	Content  string
	// Code is a deputy, station or board code the voter scanned.
	Code        string
	StationID   uint64
	CommunityID uint64
	Lat, Lng    *float64
	Anonymous   bool
	// Photos are uploads the caller already checked belong to the voter.
	Photos         []PhotoInput
	IdempotencyKey string
	// Source is "miniprogram" (default) or "chat".
	Source string
}

// Sources of a filing.
const (
	SourceMiniProgram = "miniprogram"
	SourceChat        = "chat"
)

var (
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idemKeyRe = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

// normalize trims and checks the input; errors name the bad field.
func (in *FileInput) normalize() error {
	in.Content = strings.TrimSpace(in.Content)
	if n := utf8.RuneCountInString(in.Content); n < contentMinLen || n > contentMaxLen {
		return Invalid("content", "意见内容需要 10 到 2000 个字")
	}
	if !utf8.ValidString(in.Content) {
		return Invalid("content", "意见内容包含无法识别的字符")
	}
	if in.VoterID == 0 {
		return ErrVoterNotFound
	}
	if (in.Lat == nil) != (in.Lng == nil) {
		return Invalid("lat", "纬度和经度需要同时提供")
	}
	if in.Lat != nil {
		if math.IsInf(*in.Lat, 0) || math.IsInf(*in.Lng, 0) {
			return Invalid("lat", "位置坐标无效")
		}
		if err := ValidatePoint(*in.Lat, *in.Lng); err != nil {
			return err
		}
	}
	if c, ok := NormalizeCode(in.Code); ok {
		in.Code = c
	} else {
		in.Code = "" // a malformed code routes like no code at all
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if len(in.IdempotencyKey) > maxIdemKeyLen || (in.IdempotencyKey != "" && !idemKeyRe.MatchString(in.IdempotencyKey)) {
		return Invalid("idempotency_key", "请求标识（Idempotency-Key）应为不超过64个可见ASCII字符")
	}
	if len(in.Photos) > maxPhotos {
		return Invalid("photos", "最多上传3张照片")
	}
	for i := range in.Photos {
		p := &in.Photos[i]
		p.Path = strings.TrimSpace(p.Path)
		p.SHA256 = strings.ToLower(strings.TrimSpace(p.SHA256))
		if p.Path == "" || len(p.Path) > 255 || strings.Contains(p.Path, "..") {
			return Invalid("photos", "照片无效，请重新上传")
		}
		if p.SHA256 != "" && !sha256Re.MatchString(p.SHA256) {
			return Invalid("photos", "照片无效，请重新上传")
		}
	}
	switch in.Source {
	case "":
		in.Source = SourceMiniProgram
	case SourceMiniProgram, SourceChat:
	default:
		return Invalid("source", "未知的提交渠道")
	}
	return nil
}

// FileOpinion validates, routes and stores a voter's opinion, sets its
// deadlines on the working-day calendar (cal, in loc), writes the public
// timeline and the audit log, and returns the events to notify (a new item
// for the handling staff). The mini-program and the chat flow both file
// through it.
//
// db may be a transaction: the caller enqueues the returned events in it,
// so the notifications exist exactly when the opinion does. A zero world is
// loaded from db; a cached world that lacks the chosen station or community
// is reloaded.
//
// A repeated filing with the same voter and IdempotencyKey returns the first
// opinion (Replayed set) and no events; the same key with another content or
// category is ErrIdempotencyReused.
func FileOpinion(ctx context.Context, db *gorm.DB, in FileInput, world RouteWorld, now time.Time, loc *time.Location, cal *Calendar) (Opinion, []OpinionEvent, error) {
	loc = orLoc(loc)
	now = now.UTC()
	if err := in.normalize(); err != nil {
		return Opinion{}, nil, err
	}
	db = db.WithContext(ctx)
	cat, err := CategoryByCode(ctx, db, in.Category)
	if err != nil {
		return Opinion{}, nil, err
	}
	var n int64
	if err := db.Model(&Voter{}).Where("id = ?", in.VoterID).Count(&n).Error; err != nil {
		return Opinion{}, nil, translate(err)
	}
	if n == 0 {
		return Opinion{}, nil, ErrVoterNotFound
	}
	if in.IdempotencyKey != "" {
		op, ok, err := findIdempotent(db, in, cat.ID, false)
		if err != nil || ok {
			return op, nil, err
		}
	}
	if !world.Loaded() {
		if world, err = LoadRouteWorld(ctx, db); err != nil {
			return Opinion{}, nil, err
		}
	}
	if world, err = ensureInWorld(ctx, db, world, in); err != nil {
		return Opinion{}, nil, err
	}
	rin := RouteInput{Code: in.Code, StationID: in.StationID, CommunityID: in.CommunityID,
		Category: cat.Code, At: now}
	if in.Lat != nil {
		rin.Point = &Point{*in.Lat, *in.Lng}
	}
	route := Route(rin, world)

	acceptDays, replyDays := cat.AcceptDays, cat.ReplyDays
	if acceptDays <= 0 {
		acceptDays = defaultAccept
	}
	if replyDays <= 0 {
		replyDays = defaultReply
	}
	op := Opinion{
		TrackingNo: tempTrackingNo(), VoterID: in.VoterID, Source: in.Source, CategoryID: cat.ID,
		Content: in.Content, Anonymous: in.Anonymous, StationID: route.StationID,
		RouteRule: route.Rule, RouteReason: Shorten(route.Reason, 255, ""),
		Lat: in.Lat, Lng: in.Lng, Code: in.Code, Status: OpinionSubmitted, Round: 1,
		AcceptDays: acceptDays, ReplyDays: replyDays,
		AcceptStartAt: now, AcceptDueAt: cal.WorkingDeadline(now, acceptDays, loc),
		ReplyStartAt: now, ReplyDueAt: cal.WorkingDeadline(now, replyDays, loc),
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if route.DeputyID != 0 {
		op.DeputyID = ptr(route.DeputyID)
	}
	if in.CommunityID != 0 {
		op.CommunityID = ptr(in.CommunityID)
	}
	if in.IdempotencyKey != "" {
		op.IdempotencyKey = ptr(in.IdempotencyKey)
	}
	var events []OpinionEvent
	err = db.Transaction(func(tx *gorm.DB) error {
		handler, _, err := PickHandler(ctx, tx, route.StationID, cat.ID)
		if err != nil {
			return err
		}
		if handler != 0 {
			op.HandlerStaffID = ptr(handler)
		}
		if err := tx.Create(&op).Error; err != nil {
			return translate(err)
		}
		for _, p := range in.Photos {
			row := OpinionPhoto{OpinionID: op.ID, Path: p.Path, SHA256: p.SHA256, CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return translate(err)
			}
		}
		stName, err := stationName(tx, op.StationID)
		if err != nil {
			return err
		}
		if err := addTimeline(tx, op, "submitted", "意见已提交，由"+stName+"办理", "", now); err != nil {
			return err
		}
		note := fmt.Sprintf("%s via %s: %s", route.Rule, in.Source, route.Reason)
		if err := Audit(ctx, tx, now, Actor{Kind: actorVoter, ID: in.VoterID}, "opinion.file", auditOpinion, op.ID,
			"", string(OpinionSubmitted), Shorten(note, 2000, "")); err != nil {
			return err
		}
		ev, err := stationStaffEvent(tx, op, EventNewItem, stName, "您有一条新的群众意见待受理")
		if err != nil {
			return err
		}
		// Numbered last, so the day's counter row stays locked for as short
		// a time as possible: every filing of the day queues on it until
		// this transaction (and the caller's outbox rows) commit.
		no, err := nextTrackingNo(tx, now, loc)
		if err != nil {
			return err
		}
		if err := tx.Model(&Opinion{}).Where("id = ?", op.ID).Update("tracking_no", no).Error; err != nil {
			return translate(err)
		}
		op.TrackingNo, ev.TrackingNo = no, no
		events = append(events, ev)
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrConflict) && in.IdempotencyKey != "" {
			// A concurrent request with the same key committed first.
			if prev, ok, err2 := findIdempotent(db, in, cat.ID, true); err2 == nil && ok {
				return prev, nil, nil
			} else if err2 != nil {
				return Opinion{}, nil, err2
			}
		}
		return Opinion{}, nil, err
	}
	return op, events, nil
}

// findIdempotent looks for the voter's opinion filed with in's key. locking
// reads the latest committed row on MySQL, past the transaction's snapshot.
func findIdempotent(db *gorm.DB, in FileInput, categoryID uint64, locking bool) (Opinion, bool, error) {
	q := db
	if locking {
		q = opForUpdate(db)
	}
	var op Opinion
	res := q.Where("voter_id = ? AND idempotency_key = ?", in.VoterID, in.IdempotencyKey).Limit(1).Find(&op)
	if res.Error != nil {
		return Opinion{}, false, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return Opinion{}, false, nil
	}
	if op.Content != in.Content || op.CategoryID != categoryID {
		return Opinion{}, false, ErrIdempotencyReused
	}
	op.Replayed = true
	return op, true, nil
}

// ensureInWorld checks that the chosen station and community exist, and
// reloads a cached world that does not know them yet.
func ensureInWorld(ctx context.Context, db *gorm.DB, w RouteWorld, in FileInput) (RouteWorld, error) {
	_, stOK := w.Stations[in.StationID]
	_, cmOK := w.Communities[in.CommunityID]
	if (in.StationID == 0 || stOK) && (in.CommunityID == 0 || cmOK) {
		return w, nil
	}
	var n int64
	if in.StationID != 0 && !stOK {
		if err := db.Model(&Station{}).Where("id = ?", in.StationID).Count(&n).Error; err != nil {
			return w, translate(err)
		}
		if n == 0 {
			return w, Invalid("station_id", "所选的联络站不存在")
		}
	}
	if in.CommunityID != 0 && !cmOK {
		if err := db.Model(&Community{}).Where("id = ?", in.CommunityID).Count(&n).Error; err != nil {
			return w, translate(err)
		}
		if n == 0 {
			return w, Invalid("community_id", "所选的村（社区）不存在")
		}
	}
	fresh, err := LoadRouteWorld(ctx, db)
	if err != nil {
		return w, err
	}
	fresh.RadiusM, fresh.CategoryOverrides = w.RadiusM, w.CategoryOverrides
	return fresh, nil
}

// tempTrackingNo is a unique placeholder until the transaction numbers the row.
func tempTrackingNo() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "tmp" + hex.EncodeToString(b)
}

// nextTrackingNo takes the next number of the local day of now. The day's
// counter row is inserted or incremented by one statement (an upsert), which
// takes an exclusive lock on that row until the transaction ends:
// concurrent filings queue on it and each reads its own value, and a rolled
// back filing gives its number back. The same statement returns the new
// value (LAST_INSERT_ID(expr) on MySQL, RETURNING on SQLite), so the lock
// is held one round trip less than with a separate read.
func nextTrackingNo(tx *gorm.DB, now time.Time, loc *time.Location) (string, error) {
	day := now.In(loc).Format("20060102")
	var seq int64
	if DialectOf(tx) == MySQL {
		// LAST_INSERT_ID(expr) sets the value the server reports as the
		// statement's insert id, on the insert and on the update path.
		res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context,
			"INSERT INTO opinion_counters (day, seq) VALUES (?, LAST_INSERT_ID(1)) "+
				"ON DUPLICATE KEY UPDATE seq = LAST_INSERT_ID(seq + 1)", day)
		if err != nil {
			return "", translate(err)
		}
		if seq, err = res.LastInsertId(); err != nil {
			return "", fmt.Errorf("tracking number: %w", err)
		}
	} else {
		var out []int64
		if err := tx.Raw("INSERT INTO opinion_counters (day, seq) VALUES (?, 1) "+
			"ON CONFLICT(day) DO UPDATE SET seq = seq + 1 RETURNING seq", day).Scan(&out).Error; err != nil {
			return "", translate(err)
		}
		if len(out) == 1 {
			seq = out[0]
		}
	}
	if seq <= 0 {
		return "", fmt.Errorf("tracking number: the counter of %s returned %d", day, seq)
	}
	return fmt.Sprintf("YJ%s-%04d", day, seq), nil
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
		return fmt.Sprintf("联络站#%d", id), nil
	}
	return names[0], nil
}

// orLoc defaults a nil location to China Standard Time (no DST).
func orLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return chinaTime
	}
	return loc
}

var chinaTime = time.FixedZone("CST", 8*3600)

func ptr[T any](v T) *T { return &v }

// TimelineView is one public step as the voter sees it.
type TimelineView struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Round  int       `json:"round"`
	Text   string    `json:"text"`
	Detail string    `json:"detail,omitempty"`
}

// RatingView is a rating as shown back.
type RatingView struct {
	Round      int       `json:"round"`
	Stage      string    `json:"stage"`
	Score      string    `json:"score"`
	ScoreLabel string    `json:"score_label"`
	Comment    string    `json:"comment,omitempty"`
	At         time.Time `json:"at"`
}

// PhotoView is an attached photo; the handler turns ID (and Path) into a URL
// served only to the voter and the handling staff.
type PhotoView struct {
	ID     uint64 `json:"id"`
	Path   string `json:"-"`
	SHA256 string `json:"sha256,omitempty"`
}

// OpinionView is the opinion resource of DESIGN §4 as its voter sees it:
// the public timeline, never internal notes or staff names.
type OpinionView struct {
	ID           uint64        `json:"id"`
	TrackingNo   string        `json:"tracking_no"`
	Status       OpinionStatus `json:"status"`
	StatusLabel  string        `json:"status_label"`
	Category     string        `json:"category"`
	CategoryName string        `json:"category_name"`
	Content      string        `json:"content"`
	Anonymous    bool          `json:"anonymous"`
	Station      StationRef    `json:"station"`
	RouteReason  string        `json:"route_reason"`
	Round        int           `json:"round"`
	Reply        string        `json:"reply,omitempty"`
	RepliedAt    *time.Time    `json:"replied_at,omitempty"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`
	AcceptDueAt  time.Time     `json:"accept_due_at"`
	ReplyDueAt   time.Time     `json:"reply_due_at"`
	CreatedAt    time.Time     `json:"created_at"`
	// CanRate lists the stages the voter may rate now ("reply", "result").
	CanRate  []string       `json:"can_rate"`
	Photos   []PhotoView    `json:"photos,omitempty"`
	Ratings  []RatingView   `json:"ratings,omitempty"`
	Timeline []TimelineView `json:"timeline,omitempty"`
}

// NameRef is a short {id, name} reference.
type NameRef struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
}

// NoteView is an internal note with its author.
type NoteView struct {
	ID        uint64    `json:"id"`
	Staff     NameRef   `json:"staff"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// TrailView is one audit row with the actor's name (staff only).
type TrailView struct {
	At        time.Time `json:"at"`
	ActorKind string    `json:"actor_kind"`
	ActorID   uint64    `json:"actor_id"`
	ActorName string    `json:"actor_name,omitempty"`
	Action    string    `json:"action"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Note      string    `json:"note"`
}

// StaffOpinionView is an opinion as the handling staff see it: the voter
// is known even when anonymous, with handling details, and — in the single
// form — internal notes and the audit trail.
type StaffOpinionView struct {
	OpinionView
	VoterID       uint64      `json:"voter_id"`
	Source        string      `json:"source"`
	RouteRule     string      `json:"route_rule"`
	Code          string      `json:"code,omitempty"`
	DeputyID      *uint64     `json:"deputy_id,omitempty"`
	CommunityID   *uint64     `json:"community_id,omitempty"`
	Lat           *float64    `json:"lat,omitempty"`
	Lng           *float64    `json:"lng,omitempty"`
	Handler       *NameRef    `json:"handler,omitempty"`
	Department    *NameRef    `json:"department,omitempty"`
	CoDepartments []NameRef   `json:"co_departments,omitempty"`
	TransferDueAt *time.Time  `json:"transfer_due_at,omitempty"`
	AcceptedAt    *time.Time  `json:"accepted_at,omitempty"`
	Escalated     bool        `json:"escalated"`
	OverdueAccept bool        `json:"overdue_accept"`
	OverdueReply  bool        `json:"overdue_reply"`
	ReturnCount   int         `json:"return_count"`
	Notes         []NoteView  `json:"notes,omitempty"`
	Trail         []TrailView `json:"trail,omitempty"`
}

// GetVoterOpinion returns the voter's own item with its public timeline;
// another voter's item is ErrOpinionNotFound.
func GetVoterOpinion(ctx context.Context, db *gorm.DB, voterID, id uint64, loc *time.Location) (OpinionView, error) {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.Where("id = ? AND voter_id = ?", id, voterID).First(&op).Error; err != nil || voterID == 0 {
		return OpinionView{}, notFoundAs(orNotFound(err), ErrOpinionNotFound)
	}
	views, err := buildViews(db, []Opinion{op}, orLoc(loc), true)
	if err != nil {
		return OpinionView{}, err
	}
	return views[0], nil
}

// ListVoterOpinions lists the voter's items, newest first, without
// timelines: up to limit (default 20) with ids below beforeID (0 = from the
// newest). next is the cursor of the following page, 0 at the end.
func ListVoterOpinions(ctx context.Context, db *gorm.DB, voterID, beforeID uint64, limit int, loc *time.Location) (items []OpinionView, next uint64, err error) {
	limit = pageLimit(limit)
	db = db.WithContext(ctx)
	q := db.Where("voter_id = ?", voterID)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var ops []Opinion
	if err := q.Order("id DESC").Limit(limit + 1).Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > limit {
		ops = ops[:limit]
		next = ops[limit-1].ID
	}
	items, err = buildViews(db, ops, orLoc(loc), false)
	return items, next, err
}

// StaffQuery filters the console's item list.
type StaffQuery struct {
	Status OpinionStatus
	// Category is a category code.
	Category string
	// Overdue keeps items with a passed running deadline.
	Overdue bool
	// Escalated keeps items escalated to the admins.
	Escalated bool
	// StationID keeps one station's items; Office keeps the office queue
	// (admins only).
	StationID uint64
	Office    bool
	BeforeID  uint64
	Limit     int
}

// ListStaffOpinions lists the items staffID may see (their stations', or
// all for admins), newest first, filtered by q. next is the cursor of the
// following page, 0 at the end.
func ListStaffOpinions(ctx context.Context, db *gorm.DB, staffID uint64, q StaffQuery, now time.Time, loc *time.Location) (items []StaffOpinionView, next uint64, err error) {
	db = db.WithContext(ctx)
	s, err := loadStaff(db, staffID)
	if err != nil {
		return nil, 0, err
	}
	limit := pageLimit(q.Limit)
	tx := db.Model(&Opinion{})
	if s.Role != RoleAdmin {
		ids := make([]uint64, 0, len(s.Stations))
		for _, st := range s.Stations {
			ids = append(ids, st.ID)
		}
		if len(ids) == 0 || q.Office {
			return []StaffOpinionView{}, 0, nil
		}
		tx = tx.Where("station_id IN ?", ids)
	}
	if q.Office {
		tx = tx.Where("station_id = ?", officeStation)
	} else if q.StationID != 0 {
		tx = tx.Where("station_id = ?", q.StationID)
	}
	if q.Status != "" {
		if !q.Status.Valid() {
			return nil, 0, Invalid("status", "未知的状态")
		}
		tx = tx.Where("status = ?", q.Status)
	}
	if q.Category != "" {
		cat, err := CategoryByCode(ctx, db, q.Category)
		if err != nil {
			return nil, 0, err
		}
		tx = tx.Where("category_id = ?", cat.ID)
	}
	if q.Overdue {
		tx = overdueScope(tx, now.UTC())
	}
	if q.Escalated {
		tx = tx.Where("escalated = ?", true)
	}
	if q.BeforeID > 0 {
		tx = tx.Where("id < ?", q.BeforeID)
	}
	var ops []Opinion
	if err := tx.Order("id DESC").Limit(limit + 1).Find(&ops).Error; err != nil {
		return nil, 0, translate(err)
	}
	if len(ops) > limit {
		ops = ops[:limit]
		next = ops[limit-1].ID
	}
	items, err = buildStaffViews(db, ops, orLoc(loc), now, false)
	return items, next, err
}

// GetStaffOpinion returns one item with notes and audit trail, if staffID
// may see it (else ErrOpinionNotFound).
func GetStaffOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, now time.Time, loc *time.Location) (StaffOpinionView, error) {
	db = db.WithContext(ctx)
	s, err := loadStaff(db, staffID)
	if err != nil {
		return StaffOpinionView{}, ErrOpinionNotFound
	}
	var op Opinion
	if err := db.First(&op, id).Error; err != nil {
		return StaffOpinionView{}, notFoundAs(err, ErrOpinionNotFound)
	}
	if err := StaffCanAccess(s, op); err != nil {
		return StaffOpinionView{}, err
	}
	views, err := buildStaffViews(db, []Opinion{op}, orLoc(loc), now, true)
	if err != nil {
		return StaffOpinionView{}, err
	}
	return views[0], nil
}

func pageLimit(n int) int {
	if n <= 0 {
		return 20
	}
	return min(n, 100)
}

func orNotFound(err error) error {
	if err == nil {
		return gorm.ErrRecordNotFound
	}
	return err
}

func localPtr(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

// buildViews turns items into voter views; detail adds photos, ratings and
// the timeline.
func buildViews(db *gorm.DB, ops []Opinion, loc *time.Location, detail bool) ([]OpinionView, error) {
	out := make([]OpinionView, 0, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	var cats []Category
	if err := db.Find(&cats).Error; err != nil {
		return nil, translate(err)
	}
	catByID := map[uint64]Category{}
	for _, c := range cats {
		catByID[c.ID] = c
	}
	ids := make([]uint64, 0, len(ops))
	stIDs := []uint64{}
	for _, op := range ops {
		ids = append(ids, op.ID)
		stIDs = append(stIDs, op.StationID)
	}
	var stations []Station
	if err := db.Select("id", "name").Where("id IN ?", stIDs).Find(&stations).Error; err != nil {
		return nil, translate(err)
	}
	stName := map[uint64]string{officeStation: OfficeName}
	for _, s := range stations {
		stName[s.ID] = s.Name
	}
	var ratings []OpinionRating
	if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&ratings).Error; err != nil {
		return nil, translate(err)
	}
	rated := map[string]bool{}
	byOp := map[uint64][]RatingView{}
	for _, r := range ratings {
		rated[fmt.Sprintf("%d/%d/%s", r.OpinionID, r.Round, r.Stage)] = true
		byOp[r.OpinionID] = append(byOp[r.OpinionID], RatingView{Round: r.Round, Stage: r.Stage, Score: r.Score,
			ScoreLabel: ScoreLabel(r.Score), Comment: r.Comment, At: r.CreatedAt.In(loc)})
	}
	photos := map[uint64][]PhotoView{}
	timeline := map[uint64][]TimelineView{}
	if detail {
		var ps []OpinionPhoto
		if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&ps).Error; err != nil {
			return nil, translate(err)
		}
		for _, p := range ps {
			photos[p.OpinionID] = append(photos[p.OpinionID], PhotoView{ID: p.ID, Path: p.Path, SHA256: p.SHA256})
		}
		var tl []OpinionTimelineEntry
		if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&tl).Error; err != nil {
			return nil, translate(err)
		}
		for _, e := range tl {
			timeline[e.OpinionID] = append(timeline[e.OpinionID], TimelineView{At: e.At.In(loc), Kind: e.Kind,
				Round: e.Round, Text: e.Text, Detail: e.Detail})
		}
	}
	for _, op := range ops {
		cat := catByID[op.CategoryID]
		name, ok := stName[op.StationID]
		if !ok {
			name = fmt.Sprintf("联络站#%d", op.StationID)
		}
		v := OpinionView{
			ID: op.ID, TrackingNo: op.TrackingNo, Status: op.Status, StatusLabel: op.Status.Label(),
			Category: cat.Code, CategoryName: cat.Name, Content: op.Content, Anonymous: op.Anonymous,
			Station: StationRef{ID: op.StationID, Name: name}, RouteReason: op.RouteReason, Round: op.Round,
			Reply: op.ReplyText, RepliedAt: localPtr(op.RepliedAt, loc), ClosedAt: localPtr(op.ClosedAt, loc),
			AcceptDueAt: op.AcceptDueAt.In(loc), ReplyDueAt: op.ReplyDueAt.In(loc), CreatedAt: op.CreatedAt.In(loc),
			CanRate: []string{}, Ratings: byOp[op.ID], Photos: photos[op.ID], Timeline: timeline[op.ID],
		}
		if op.RepliedAt != nil {
			if (op.Status == OpinionReplied || op.Status == OpinionClosed) && !rated[fmt.Sprintf("%d/%d/%s", op.ID, op.Round, StageReply)] {
				v.CanRate = append(v.CanRate, StageReply)
			}
			if op.Status == OpinionReplied && !rated[fmt.Sprintf("%d/%d/%s", op.ID, op.Round, StageResult)] {
				v.CanRate = append(v.CanRate, StageResult)
			}
		}
		if detail && v.Timeline == nil {
			v.Timeline = []TimelineView{}
		}
		out = append(out, v)
	}
	return out, nil
}

// buildStaffViews adds the staff-only fields; detail adds notes and the trail.
func buildStaffViews(db *gorm.DB, ops []Opinion, loc *time.Location, now time.Time, detail bool) ([]StaffOpinionView, error) {
	base, err := buildViews(db, ops, loc, detail)
	if err != nil {
		return nil, err
	}
	out := make([]StaffOpinionView, 0, len(ops))
	if len(ops) == 0 {
		return out, nil
	}
	ids := make([]uint64, 0, len(ops))
	staffIDs := []uint64{}
	for _, op := range ops {
		ids = append(ids, op.ID)
		if op.HandlerStaffID != nil {
			staffIDs = append(staffIDs, *op.HandlerStaffID)
		}
	}
	var depts []OpinionDepartment
	if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&depts).Error; err != nil {
		return nil, translate(err)
	}
	var notes []OpinionNote
	var trail []AuditLog
	if detail {
		if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&notes).Error; err != nil {
			return nil, translate(err)
		}
		if err := db.Where("entity_kind = ? AND entity_id IN ?", auditOpinion, ids).Order("id").Find(&trail).Error; err != nil {
			return nil, translate(err)
		}
		for _, n := range notes {
			staffIDs = append(staffIDs, n.StaffID)
		}
		for _, a := range trail {
			if a.ActorKind == actorStaff {
				staffIDs = append(staffIDs, a.ActorID)
			}
		}
	}
	staffName := map[uint64]string{}
	if len(staffIDs) > 0 {
		var rows []Staff
		if err := db.Select("id", "name").Where("id IN ?", staffIDs).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, s := range rows {
			staffName[s.ID] = s.Name
		}
	}
	deptIDs := []uint64{}
	for _, d := range depts {
		deptIDs = append(deptIDs, d.DepartmentID)
	}
	deptName := map[uint64]string{}
	if len(deptIDs) > 0 {
		var rows []Department
		if err := db.Select("id", "name").Where("id IN ?", deptIDs).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, d := range rows {
			deptName[d.ID] = d.Name
		}
	}
	for i, op := range ops {
		v := StaffOpinionView{
			OpinionView: base[i], VoterID: op.VoterID, Source: op.Source, RouteRule: op.RouteRule, Code: op.Code,
			DeputyID: op.DeputyID, CommunityID: op.CommunityID, Lat: op.Lat, Lng: op.Lng,
			TransferDueAt: localPtr(op.TransferDueAt, loc), AcceptedAt: localPtr(op.AcceptedAt, loc),
			Escalated: op.Escalated, ReturnCount: op.ReturnCount,
		}
		v.OverdueAccept, v.OverdueReply = op.Overdue(now)
		if op.HandlerStaffID != nil {
			v.Handler = &NameRef{ID: *op.HandlerStaffID, Name: staffName[*op.HandlerStaffID]}
		}
		for _, d := range depts {
			if d.OpinionID != op.ID {
				continue
			}
			r := NameRef{ID: d.DepartmentID, Name: deptName[d.DepartmentID]}
			if d.Role == "lead" {
				v.Department = &r
			} else {
				v.CoDepartments = append(v.CoDepartments, r)
			}
		}
		for _, n := range notes {
			if n.OpinionID == op.ID {
				v.Notes = append(v.Notes, NoteView{ID: n.ID, Staff: NameRef{ID: n.StaffID, Name: staffName[n.StaffID]},
					Text: n.Text, CreatedAt: n.CreatedAt.In(loc)})
			}
		}
		for _, a := range trail {
			if a.EntityID != op.ID {
				continue
			}
			tv := TrailView{At: a.At.In(loc), ActorKind: a.ActorKind, ActorID: a.ActorID, Action: a.Action,
				From: a.FromState, To: a.ToState, Note: a.Note}
			if a.ActorKind == actorStaff {
				tv.ActorName = staffName[a.ActorID]
			}
			v.Trail = append(v.Trail, tv)
		}
		out = append(out, v)
	}
	return out, nil
}
