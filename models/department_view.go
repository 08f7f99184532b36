package models

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// DeptItemView is an item in a department contact's list.
type DeptItemView struct {
	ID          uint64
	TrackingNo  string
	Status      OpinionStatus
	StatusLabel string
	Category    string
	Station     string
	Summary     string
	// Lead is true for the lead department (主办), false for a co-handler.
	Lead  bool
	DueAt time.Time
	// Open is true while the item waits for a reply; Overdue when its
	// department deadline passed meanwhile.
	Open, Overdue bool
	// Reply is the state of the department's latest reply this round
	// (DeptReply*), "" when none.
	Reply string
}

// ListDepartmentOpinions lists the items transferred to staffID's
// department in their current round: those waiting for a reply first, by
// deadline, then the rest, newest first; at most 200. Anyone but a
// department contact gets ErrOpinionNotFound.
func ListDepartmentOpinions(ctx context.Context, db *gorm.DB, staffID uint64, now time.Time, loc *time.Location) ([]DeptItemView, error) {
	db = db.WithContext(ctx)
	s, err := loadStaff(db, staffID)
	if err != nil || !IsDepartmentContact(s) {
		return nil, ErrOpinionNotFound
	}
	var ods []OpinionDepartment
	if err := db.Where("department_id = ?", *s.DepartmentID).Order("opinion_id DESC").Limit(200).Find(&ods).Error; err != nil {
		return nil, translate(err)
	}
	out := []DeptItemView{}
	if len(ods) == 0 {
		return out, nil
	}
	ids := make([]uint64, 0, len(ods))
	lead := map[uint64]bool{}
	for _, od := range ods {
		ids = append(ids, od.OpinionID)
		lead[od.OpinionID] = od.Role == "lead"
	}
	var ops []Opinion
	if err := db.Where("id IN ?", ids).Order("id DESC").Find(&ops).Error; err != nil {
		return nil, translate(err)
	}
	views, err := buildViews(db, ops, orLoc(loc), false)
	if err != nil {
		return nil, err
	}
	var replies []DepartmentReply
	if err := db.Select("id", "opinion_id", "round", "status").Where("opinion_id IN ? AND department_id = ?", ids, *s.DepartmentID).
		Order("id").Find(&replies).Error; err != nil {
		return nil, translate(err)
	}
	for i, op := range ops {
		v := views[i]
		it := DeptItemView{ID: op.ID, TrackingNo: op.TrackingNo, Status: op.Status, StatusLabel: op.Status.Label(),
			Category: v.CategoryName, Station: v.Station.Name, Lead: lead[op.ID],
			Summary: Shorten(strings.Join(strings.Fields(op.Content), " "), 40, "…"),
			DueAt:   op.ReplyDueAt.In(orLoc(loc)),
			Open:    slices.Contains([]OpinionStatus{OpinionAccepted, OpinionTransferred, OpinionReopened}, op.Status)}
		if op.TransferDueAt != nil {
			it.DueAt = op.TransferDueAt.In(orLoc(loc))
		}
		it.Overdue = it.Open && now.After(it.DueAt)
		for _, r := range replies {
			if r.OpinionID == op.ID && r.Round == op.Round {
				it.Reply = r.Status
			}
		}
		out = append(out, it)
	}
	slices.SortStableFunc(out, func(a, b DeptItemView) int {
		switch {
		case a.Open != b.Open:
			if a.Open {
				return -1
			}
			return 1
		case a.Open:
			return a.DueAt.Compare(b.DueAt)
		}
		return 0
	})
	return out, nil
}

// DeptOpinionView is an item as a department contact sees it: the
// content, photos and handling facts, never the voter's identity or phone,
// the station's internal notes or the audit trail.
type DeptOpinionView struct {
	ID            uint64
	TrackingNo    string
	Status        OpinionStatus
	StatusLabel   string
	Category      string
	Station       string
	Content       string
	CreatedAt     time.Time
	DueAt         time.Time
	Overdue       bool
	Lead          bool
	Department    NameRef
	LeadDept      string
	CoDepts       []string
	TransferNote  string
	Photos        []PhotoView
	Replies       []DeptReplyView
	CanReply      bool
	PendingReply  bool
	PublicReply   string
	DepartmentID  uint64
	TransferredAt time.Time
}

// GetDepartmentOpinion returns item id as staffID's department sees it, if
// it was transferred to the department this round (else ErrOpinionNotFound),
// with the department's own replies.
func GetDepartmentOpinion(ctx context.Context, db *gorm.DB, staffID, id uint64, now time.Time, loc *time.Location) (DeptOpinionView, error) {
	db = db.WithContext(ctx)
	loc = orLoc(loc)
	var op Opinion
	if err := db.First(&op, id).Error; err != nil {
		return DeptOpinionView{}, notFoundAs(err, ErrOpinionNotFound)
	}
	s, od, err := departmentFor(db, staffID, op)
	if err != nil {
		return DeptOpinionView{}, err
	}
	views, err := buildViews(db, []Opinion{op}, loc, true)
	if err != nil {
		return DeptOpinionView{}, err
	}
	v := views[0]
	slip, err := transferFacts(db, op)
	if err != nil {
		return DeptOpinionView{}, err
	}
	d := DeptOpinionView{ID: op.ID, TrackingNo: op.TrackingNo, Status: op.Status, StatusLabel: op.Status.Label(),
		Category: v.CategoryName, Station: v.Station.Name, Content: op.Content, CreatedAt: op.CreatedAt.In(loc),
		Lead: od.Role == "lead", LeadDept: slip.lead, CoDepts: slip.co, TransferNote: od.Note, Photos: v.Photos,
		DepartmentID: od.DepartmentID, TransferredAt: od.CreatedAt.In(loc), DueAt: op.ReplyDueAt.In(loc)}
	if op.TransferDueAt != nil {
		d.DueAt = op.TransferDueAt.In(loc)
	}
	d.Department = NameRef{ID: od.DepartmentID, Name: slip.names[od.DepartmentID]}
	open := slices.Contains([]OpinionStatus{OpinionAccepted, OpinionTransferred, OpinionReopened}, op.Status)
	d.Overdue = open && now.After(d.DueAt)
	if op.Status == OpinionReplied || op.Status == OpinionClosed {
		d.PublicReply = op.ReplyText
	}
	if d.Replies, err = ListDepartmentReplies(ctx, db, op.ID, *s.DepartmentID, loc); err != nil {
		return DeptOpinionView{}, err
	}
	for _, r := range d.Replies {
		if r.Round == op.Round && r.Status == DeptReplyPending {
			d.PendingReply = true
		}
	}
	d.CanReply = open && !d.PendingReply
	return d, nil
}

type transferInfo struct {
	lead  string
	co    []string
	note  string
	at    time.Time
	names map[uint64]string
}

// transferFacts reads the departments of op's current transfer.
func transferFacts(db *gorm.DB, op Opinion) (transferInfo, error) {
	var ods []OpinionDepartment
	if err := db.Where("opinion_id = ?", op.ID).Order("id").Find(&ods).Error; err != nil {
		return transferInfo{}, translate(err)
	}
	ids := []uint64{0}
	for _, od := range ods {
		ids = append(ids, od.DepartmentID)
	}
	var depts []Department
	if err := db.Select("id", "name").Where("id IN ?", ids).Find(&depts).Error; err != nil {
		return transferInfo{}, translate(err)
	}
	t := transferInfo{names: map[uint64]string{}}
	for _, d := range depts {
		t.names[d.ID] = d.Name
	}
	for _, od := range ods {
		if od.Role == "lead" {
			t.lead, t.note, t.at = t.names[od.DepartmentID], od.Note, od.CreatedAt
		} else {
			t.co = append(t.co, t.names[od.DepartmentID])
		}
	}
	return t, nil
}

// TransferSlip is the printable transfer slip (交办单) of an item.
type TransferSlip struct {
	TrackingNo string
	// Date is the day of the transfer, the Chinese way.
	Date     string
	Station  string
	Category string
	Content  string
	// Voter is the voter's name masked ("张*"), or how they came.
	Voter       string
	PhoneMasked string
	Note        string
	Due         string
	Lead        string
	Co          []string
	Filed       string
	Transferred bool
}

// GetTransferSlip returns the transfer slip of item id, if staffID may see
// it (CanSeeTransferSlip; else ErrOpinionNotFound). An item never
// transferred has Transferred false and no departments.
func GetTransferSlip(ctx context.Context, db *gorm.DB, staffID, id uint64, loc *time.Location) (TransferSlip, error) {
	db = db.WithContext(ctx)
	loc = orLoc(loc)
	if err := CanSeeTransferSlip(ctx, db, staffID, id); err != nil {
		return TransferSlip{}, err
	}
	var op Opinion
	if err := db.First(&op, id).Error; err != nil {
		return TransferSlip{}, notFoundAs(err, ErrOpinionNotFound)
	}
	views, err := buildViews(db, []Opinion{op}, loc, false)
	if err != nil {
		return TransferSlip{}, err
	}
	t, err := transferFacts(db, op)
	if err != nil {
		return TransferSlip{}, err
	}
	s := TransferSlip{TrackingNo: op.TrackingNo, Station: views[0].Station.Name, Category: views[0].CategoryName,
		Content: op.Content, Lead: t.lead, Co: t.co, Note: t.note, Transferred: t.lead != "",
		Filed: FullDateText(op.CreatedAt, loc)}
	if s.Transferred {
		s.Date = FullDateText(t.at, loc)
	}
	if op.TransferDueAt != nil {
		s.Due = DueText(*op.TransferDueAt, loc)
	}
	switch {
	case op.ContactName != "":
		s.Voter = MaskName(op.ContactName)
	case op.Anonymous:
		s.Voter = "匿名"
	case op.VoterID != 0:
		s.Voter = "群众（" + sourceLabel(op.Source) + "）"
	default:
		s.Voter = "未登记"
	}
	s.PhoneMasked = op.ContactPhoneMasked
	if op.VoterID != 0 && !op.Anonymous {
		var v Voter
		if err := db.Select("id", "phone_masked").Where("id = ?", op.VoterID).Limit(1).Find(&v).Error; err != nil {
			return TransferSlip{}, translate(err)
		}
		s.PhoneMasked = v.PhoneMasked
	}
	if op.Anonymous {
		s.PhoneMasked = ""
	}
	return s, nil
}

// MaskName keeps a person's family name and masks the rest ("张*",
// "欧阳**"); a name of one character is "*".
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return ""
	case n == 1:
		return "*"
	case n >= 4:
		r := []rune(name)
		return string(r[:2]) + strings.Repeat("*", n-2)
	}
	r := []rune(name)
	return string(r[:1]) + strings.Repeat("*", n-1)
}

// DepartmentOpinionPhoto returns photo photoID of item id as an Upload to
// serve, if staffID is a contact of a department the item was transferred
// to (departmentFor); anything else is ErrUploadNotFound.
func DepartmentOpinionPhoto(ctx context.Context, db *gorm.DB, staffID, id, photoID uint64) (Upload, error) {
	db = db.WithContext(ctx)
	var op Opinion
	if err := db.Select("id", "station_id").First(&op, id).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrUploadNotFound)
	}
	if _, _, err := departmentFor(db, staffID, op); err != nil {
		return Upload{}, ErrUploadNotFound
	}
	var ph OpinionPhoto
	if err := db.Where("id = ? AND opinion_id = ?", photoID, id).First(&ph).Error; err != nil {
		return Upload{}, notFoundAs(err, ErrUploadNotFound)
	}
	u := Upload{Path: ph.Path, SHA256: ph.SHA256, CreatedAt: ph.CreatedAt}
	var rows []Upload
	if err := db.Where("path = ?", ph.Path).Limit(1).Find(&rows).Error; err != nil {
		return Upload{}, translate(err)
	}
	if len(rows) == 1 {
		u = rows[0]
	}
	return u, nil
}
