package models

// Department replies close the transfer (转办) loop: a contact of a
// department an item was transferred to submits the department's reply
// with attachments; it waits for the station's review, unseen by the
// voter. The station adopts it (采用: it becomes the public reply through
// ReplyOpinion, the text editable first) or sends it back (退回) with a
// reason the department reads before replying again. Each step is written
// to the audit log (the item's history); only the adopted reply reaches
// the public timeline.

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// The states of a department reply.
const (
	DeptReplyPending  = "pending"  // 待审核
	DeptReplyAdopted  = "adopted"  // 已采用
	DeptReplyReturned = "returned" // 已退回
	// DeptReplyMerged is another department's reply still pending when one
	// was adopted: the adopted text answers the item.
	DeptReplyMerged = "merged" // 已并入答复
)

// DeptReplyStatusLabel names a reply's state in Chinese.
func DeptReplyStatusLabel(s string) string {
	switch s {
	case DeptReplyPending:
		return "待审核"
	case DeptReplyAdopted:
		return "已采用"
	case DeptReplyReturned:
		return "已退回"
	case DeptReplyMerged:
		return "已并入答复"
	}
	return s
}

// DepartmentReply is a department's reply to an item, awaiting or after
// the station's review. The voter never sees it; the adopted text becomes
// Opinion.ReplyText.
type DepartmentReply struct {
	ID           uint64 `gorm:"primaryKey"`
	OpinionID    uint64 `gorm:"not null;index"`
	Round        int    `gorm:"not null"`
	DepartmentID uint64 `gorm:"not null;index"`
	// StaffID is the contact who submitted it.
	StaffID uint64 `gorm:"not null"`
	Text    string `gorm:"size:2000;not null"`
	Status  string `gorm:"size:16;not null"`
	// ReviewNote is the reason of a send-back, for the department.
	ReviewNote string `gorm:"size:500;not null;default:''"`
	ReviewedBy *uint64
	ReviewedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DepartmentReplyFile is an attachment of a department reply: a photo
// (re-encoded without metadata, like the voters' photos) or a PDF (stored
// as it came, served as a download), under <DataDir>/uploads/dept/.
type DepartmentReplyFile struct {
	ID        uint64 `gorm:"primaryKey"`
	ReplyID   uint64 `gorm:"not null;index"`
	OpinionID uint64 `gorm:"not null;index"`
	Kind      string `gorm:"size:8;not null"`
	// Name is the file's name as uploaded (cleaned), for the download.
	Name        string `gorm:"size:100;not null"`
	Path        string `gorm:"size:255;not null;uniqueIndex"`
	SHA256      string `gorm:"column:sha256;size:64;not null"`
	ContentType string `gorm:"size:64;not null"`
	Size        int64  `gorm:"not null"`
	CreatedAt   time.Time
}

// Kinds of attachment.
const (
	ReplyFilePhoto = "photo"
	ReplyFilePDF   = "pdf"
)

// Attachment limits of a department reply. Photos follow the voters'
// photo rules (handlers/api/uploads.go: 5 MB, 25 megapixels, 12,000 pixels
// a side, 20:1); a PDF may be up to 10 MB.
const (
	MaxReplyFiles       = 5
	MaxReplyPhotoBytes  = 5 << 20
	MaxReplyPDFBytes    = 10 << 20
	MaxReplyPhotoPixels = 25_000_000
	MaxReplyPhotoSide   = 12_000
	maxReplyPhotoAspect = 20
	// ReplyFileDir is where attachments live under the data directory.
	ReplyFileDir = "uploads/dept"
)

// Errors of the department replies.
var (
	ErrDeptReplyNotFound = Coded(ErrNotFound, "department_reply_not_found", "没有找到这份部门答复")
	ErrDeptReplyPending  = Coded(ErrConflict, "department_reply_pending", "本单位已提交的答复正在审核中，请等待审核结果")
	ErrDeptReplyClosed   = Coded(ErrConflict, "department_reply_closed", "这条意见已答复或办结，无需再提交答复")
	ErrDeptReplyReviewed = Coded(ErrConflict, "department_reply_reviewed", "这份答复已经审核过了，请刷新页面")
	errReplyFileKind     = Invalid("files", "附件只能是 JPG、PNG 照片或 PDF 文件")
)

// SniffReplyFile tells an attachment's kind and content type by its first
// bytes, never by its name: a JPEG or PNG is a photo, "%PDF-" a PDF;
// anything else is refused.
func SniffReplyFile(head []byte) (kind, contentType string, err error) {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return ReplyFilePhoto, "image/jpeg", nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return ReplyFilePhoto, "image/png", nil
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return ReplyFilePDF, "application/pdf", nil
	}
	return "", "", errReplyFileKind
}

// CheckReplyFile checks an attachment against the limits before it is
// decoded or stored: its size, and for a photo the pixel size its header
// declares. name is shown in the message.
func CheckReplyFile(name, kind string, size int64, width, height int) error {
	name = Shorten(CleanLine(name), 40, "…")
	if name == "" {
		name = "附件"
	}
	switch kind {
	case ReplyFilePDF:
		if size > MaxReplyPDFBytes {
			return Invalid("files", fmt.Sprintf("“%s”超过10MB，PDF文件不能超过10MB", name))
		}
	case ReplyFilePhoto:
		switch {
		case size > MaxReplyPhotoBytes:
			return Invalid("files", fmt.Sprintf("“%s”超过5MB，照片不能超过5MB", name))
		case width <= 0 || height <= 0:
			return Invalid("files", fmt.Sprintf("“%s”的宽度或高度为零，请换一张照片", name))
		case width > MaxReplyPhotoSide || height > MaxReplyPhotoSide:
			return Invalid("files", fmt.Sprintf("“%s”的像素尺寸过大，请压缩后再上传", name))
		case int64(width)*int64(height) > MaxReplyPhotoPixels:
			return Invalid("files", fmt.Sprintf("“%s”像素过多（最多2500万像素），请压缩后再上传", name))
		case max(width, height) > maxReplyPhotoAspect*min(width, height):
			return Invalid("files", fmt.Sprintf("“%s”的长宽比超过20:1，请裁剪后再上传", name))
		}
	default:
		return errReplyFileKind
	}
	if size <= 0 {
		return Invalid("files", fmt.Sprintf("“%s”是空文件", name))
	}
	return nil
}

// CleanFileName keeps an uploaded file's base name printable and short,
// for the download's name.
func CleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`"/\:*?<>|`, r) {
			return -1
		}
		return r
	}, CleanLine(name))
	if name == "." || name == "" {
		return ""
	}
	return Shorten(name, 100, "")
}

// ReplyFileInput is a stored attachment to record with a reply.
type ReplyFileInput struct {
	Kind, Name, Path, SHA256, ContentType string
	Size                                  int64
}

// DeptReplyInput is a department's reply.
type DeptReplyInput struct {
	// Text is the reply, 1 to 2,000 characters.
	Text  string
	Files []ReplyFileInput
}

// SubmitDepartmentReply records the reply of staffID's department to item
// id, pending the station's review: the item must have been transferred to
// the department this round and be neither replied nor closed, and the
// department may have one reply pending at a time. Audited; the event
// tells the station (its handler, else its bound staff, else the admins).
func SubmitDepartmentReply(ctx context.Context, db *gorm.DB, staffID, id uint64, in DeptReplyInput, now time.Time) (DepartmentReply, []OpinionEvent, error) {
	text := CleanText(in.Text)
	if text == "" || utf8.RuneCountInString(text) > noteMaxRunes {
		return DepartmentReply{}, nil, Invalid("text", "答复内容不能为空，且不能超过2000个字")
	}
	if len(in.Files) > MaxReplyFiles {
		return DepartmentReply{}, nil, Invalid("files", fmt.Sprintf("附件最多%d个", MaxReplyFiles))
	}
	for _, f := range in.Files {
		limit := int64(MaxReplyPhotoBytes)
		if f.Kind == ReplyFilePDF {
			limit = MaxReplyPDFBytes
		}
		switch {
		case f.Kind != ReplyFilePhoto && f.Kind != ReplyFilePDF:
			return DepartmentReply{}, nil, errReplyFileKind
		case f.Size <= 0 || f.Size > limit:
			return DepartmentReply{}, nil, Invalid("files", "附件大小超出限制")
		case !strings.HasPrefix(f.Path, ReplyFileDir+"/") || strings.Contains(f.Path, "..") || len(f.Path) > 255 || !sha256Re.MatchString(f.SHA256):
			return DepartmentReply{}, nil, Invalid("files", "附件无效，请重新上传")
		}
	}
	now = now.UTC()
	var out DepartmentReply
	var events []OpinionEvent
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, id)
		if err != nil {
			return err
		}
		s, od, err := departmentFor(tx, staffID, op)
		if err != nil {
			return err
		}
		if !slices.Contains([]OpinionStatus{OpinionAccepted, OpinionTransferred, OpinionReopened}, op.Status) {
			return ErrDeptReplyClosed
		}
		var n int64
		if err := tx.Model(&DepartmentReply{}).Where("opinion_id = ? AND department_id = ? AND round = ? AND status = ?",
			op.ID, od.DepartmentID, op.Round, DeptReplyPending).Count(&n).Error; err != nil {
			return translate(err)
		}
		if n > 0 {
			return ErrDeptReplyPending
		}
		out = DepartmentReply{OpinionID: op.ID, Round: op.Round, DepartmentID: od.DepartmentID, StaffID: s.ID,
			Text: text, Status: DeptReplyPending, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&out).Error; err != nil {
			return translate(err)
		}
		for _, f := range in.Files {
			row := DepartmentReplyFile{ReplyID: out.ID, OpinionID: op.ID, Kind: f.Kind, Name: CleanFileName(f.Name),
				Path: f.Path, SHA256: f.SHA256, ContentType: f.ContentType, Size: f.Size, CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return translate(err)
			}
		}
		dept, err := departmentName(tx, od.DepartmentID)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("%s提交答复，待审核", dept)
		if len(in.Files) > 0 {
			note += fmt.Sprintf("（附件%d个）", len(in.Files))
		}
		if err := Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: s.ID}, "opinion.dept_reply", auditOpinion, op.ID,
			string(op.Status), string(op.Status), note+"："+Shorten(text, 200, "…")); err != nil {
			return err
		}
		st, err := stationName(tx, op.StationID)
		if err != nil {
			return err
		}
		ev, err := stationStaffEvent(tx, op, EventDeptReplied, st, dept+"已提交答复，请审核")
		if err != nil {
			return err
		}
		ev.DedupeKey = fmt.Sprintf("opinion:%d:dept_replied:r%d", op.ID, out.ID)
		events = []OpinionEvent{ev}
		return nil
	})
	if err != nil {
		return DepartmentReply{}, nil, err
	}
	return out, events, nil
}

func departmentName(tx *gorm.DB, id uint64) (string, error) {
	var d Department
	if err := tx.Select("id", "name").Where("id = ?", id).Limit(1).Find(&d).Error; err != nil {
		return "", translate(err)
	}
	if d.ID == 0 {
		return "承办单位", nil
	}
	return d.Name, nil
}

// lockPendingReply locks reply replyID of item opID, which must be pending.
func lockPendingReply(tx *gorm.DB, opID, replyID uint64) (DepartmentReply, error) {
	var r DepartmentReply
	found, err := lockFind(tx, &r, "id = ? AND opinion_id = ?", replyID, opID)
	if err != nil {
		return r, err
	}
	if !found {
		return r, ErrDeptReplyNotFound
	}
	if r.Status != DeptReplyPending {
		return r, ErrDeptReplyReviewed
	}
	return r, nil
}

// AdoptDepartmentReply adopts (采用) a pending department reply of item id:
// text (the department's, edited by the station if need be) becomes the
// public reply through ReplyOpinion, with its checks, timeline, audit and
// the voter's event; the reply is marked adopted, and the other pending
// replies of the round merged. staffID must be the item's station staff or
// an admin (else ErrOpinionNotFound).
func AdoptDepartmentReply(ctx context.Context, db *gorm.DB, staffID, id, replyID uint64, text string, now time.Time) (Opinion, []OpinionEvent, error) {
	now = now.UTC()
	var op Opinion
	var events []OpinionEvent
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		cur, err := lockOpinion(tx, id)
		if err != nil {
			return err
		}
		if _, err := staffFor(tx, staffID, cur); err != nil {
			return err
		}
		r, err := lockPendingReply(tx, id, replyID)
		if err != nil {
			return err
		}
		if r.Round != cur.Round {
			return ErrDeptReplyReviewed
		}
		dept, err := departmentName(tx, r.DepartmentID)
		if err != nil {
			return err
		}
		if strings.TrimSpace(text) == "" {
			text = r.Text
		}
		if op, events, err = ReplyOpinion(ctx, tx, staffID, id, ReplyInput{Text: text, Note: "采用" + dept + "的答复"}, now); err != nil {
			return err
		}
		if err := tx.Model(&DepartmentReply{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": DeptReplyAdopted, "reviewed_by": staffID, "reviewed_at": now, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		if err := tx.Model(&DepartmentReply{}).Where("opinion_id = ? AND round = ? AND status = ?", id, r.Round, DeptReplyPending).
			Updates(map[string]any{"status": DeptReplyMerged, "reviewed_by": staffID, "reviewed_at": now, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		note := "采用" + dept + "的答复"
		if CleanText(text) != r.Text {
			note += "（经修改）"
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.dept_adopt", auditOpinion, id,
			string(cur.Status), string(op.Status), note)
	})
	if err != nil {
		return Opinion{}, nil, err
	}
	return op, events, nil
}

// SendBackDepartmentReply sends a pending department reply back (退回) to
// its department with reason (required, up to 500 characters), which the
// department reads on its page before replying again. Audited; the event
// tells the department's bound contacts.
func SendBackDepartmentReply(ctx context.Context, db *gorm.DB, staffID, id, replyID uint64, reason string, now time.Time) ([]OpinionEvent, error) {
	reason = CleanText(reason)
	if reason == "" || utf8.RuneCountInString(reason) > reasonMaxRunes {
		return nil, Invalid("reason", "请填写退回原因（不超过500字）")
	}
	now = now.UTC()
	var events []OpinionEvent
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, id)
		if err != nil {
			return err
		}
		if _, err := staffFor(tx, staffID, op); err != nil {
			return err
		}
		r, err := lockPendingReply(tx, id, replyID)
		if err != nil {
			return err
		}
		if err := tx.Model(&DepartmentReply{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": DeptReplyReturned, "review_note": reason, "reviewed_by": staffID, "reviewed_at": now, "updated_at": now}).Error; err != nil {
			return translate(err)
		}
		dept, err := departmentName(tx, r.DepartmentID)
		if err != nil {
			return err
		}
		if err := Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.dept_sendback", auditOpinion, id,
			string(op.Status), string(op.Status), "退回"+dept+"的答复："+reason); err != nil {
			return err
		}
		st, err := stationName(tx, op.StationID)
		if err != nil {
			return err
		}
		due := op.ReplyDueAt
		if op.TransferDueAt != nil {
			due = *op.TransferDueAt
		}
		ev, ok, err := departmentEvent(tx, op, EventDeptSentBack, st, "您单位的答复被退回，请修改后重新提交", []uint64{r.DepartmentID}, due)
		if err != nil {
			return err
		}
		if ok {
			ev.DedupeKey = fmt.Sprintf("opinion:%d:dept_sent_back:r%d", op.ID, r.ID)
			events = []OpinionEvent{ev}
		}
		return nil
	})
	return events, err
}

// DeptReplyView is a department reply as the station and the department
// see it.
type DeptReplyView struct {
	ID           uint64
	Round        int
	DepartmentID uint64
	Department   string
	Staff        string
	Text         string
	Status       string
	StatusLabel  string
	ReviewNote   string
	CreatedAt    time.Time
	ReviewedAt   *time.Time
	Files        []DeptFileView
}

// DeptFileView is an attachment; the handler turns ID into a URL.
type DeptFileView struct {
	ID   uint64
	Kind string
	Name string
	Size int64
}

// ListDepartmentReplies lists the replies of item id, oldest first: every
// department's for the station (deptID 0), one department's for its
// contacts. The caller has checked access (GetDepartmentOpinion,
// CanSeeTransferSlip).
func ListDepartmentReplies(ctx context.Context, db *gorm.DB, id, deptID uint64, loc *time.Location) ([]DeptReplyView, error) {
	db = db.WithContext(ctx)
	loc = orLoc(loc)
	q := db.Where("opinion_id = ?", id)
	if deptID != 0 {
		q = q.Where("department_id = ?", deptID)
	}
	var rows []DepartmentReply
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]DeptReplyView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	var files []DepartmentReplyFile
	if err := db.Select("id", "reply_id", "kind", "name", "size").Where("opinion_id = ?", id).Order("id").Find(&files).Error; err != nil {
		return nil, translate(err)
	}
	var staffIDs, deptIDs []uint64
	for _, r := range rows {
		staffIDs, deptIDs = append(staffIDs, r.StaffID), append(deptIDs, r.DepartmentID)
	}
	var staff []Staff
	if err := db.Select("id", "name").Where("id IN ?", staffIDs).Find(&staff).Error; err != nil {
		return nil, translate(err)
	}
	var depts []Department
	if err := db.Select("id", "name").Where("id IN ?", deptIDs).Find(&depts).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		v := DeptReplyView{ID: r.ID, Round: r.Round, DepartmentID: r.DepartmentID, Text: r.Text, Status: r.Status,
			StatusLabel: DeptReplyStatusLabel(r.Status), ReviewNote: r.ReviewNote, CreatedAt: r.CreatedAt.In(loc),
			ReviewedAt: localPtr(r.ReviewedAt, loc)}
		for _, s := range staff {
			if s.ID == r.StaffID {
				v.Staff = s.Name
			}
		}
		for _, d := range depts {
			if d.ID == r.DepartmentID {
				v.Department = d.Name
			}
		}
		for _, f := range files {
			if f.ReplyID == r.ID {
				v.Files = append(v.Files, DeptFileView{ID: f.ID, Kind: f.Kind, Name: f.Name, Size: f.Size})
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// DepartmentReplyFileFor returns attachment fileID of item id to serve, if
// staffID may see it: the item's station staff and admins every
// department's, a department contact their own department's; anything else
// is ErrUploadNotFound.
func DepartmentReplyFileFor(ctx context.Context, db *gorm.DB, staffID, id, fileID uint64) (DepartmentReplyFile, error) {
	db = db.WithContext(ctx)
	var f DepartmentReplyFile
	if err := db.Where("id = ? AND opinion_id = ?", fileID, id).Limit(1).Find(&f).Error; err != nil {
		return f, translate(err)
	}
	if f.ID == 0 {
		return f, ErrUploadNotFound
	}
	var op Opinion
	if err := db.Select("id", "station_id").First(&op, id).Error; err != nil {
		return f, notFoundAs(err, ErrUploadNotFound)
	}
	s, err := loadStaff(db, staffID)
	if err != nil {
		return f, ErrUploadNotFound
	}
	if IsDepartmentContact(s) {
		var r DepartmentReply
		if err := db.Select("id", "department_id").Where("id = ?", f.ReplyID).Limit(1).Find(&r).Error; err != nil {
			return f, translate(err)
		}
		if r.DepartmentID != *s.DepartmentID {
			return DepartmentReplyFile{}, ErrUploadNotFound
		}
		if _, _, err := departmentFor(db, staffID, op); err != nil {
			return DepartmentReplyFile{}, ErrUploadNotFound
		}
		return f, nil
	}
	if StaffCanAccess(s, op) != nil {
		return DepartmentReplyFile{}, ErrUploadNotFound
	}
	return f, nil
}
