package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

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

// OpinionView is the opinion resource of docs/ARCHITECTURE.md#contracts as its voter sees it:
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
	VoterID       uint64     `json:"voter_id"`
	Source        string     `json:"source"`
	RouteRule     string     `json:"route_rule"`
	Code          string     `json:"code,omitempty"`
	DeputyID      *uint64    `json:"deputy_id,omitempty"`
	CommunityID   *uint64    `json:"community_id,omitempty"`
	Lat           *float64   `json:"lat,omitempty"`
	Lng           *float64   `json:"lng,omitempty"`
	Handler       *NameRef   `json:"handler,omitempty"`
	Department    *NameRef   `json:"department,omitempty"`
	CoDepartments []NameRef  `json:"co_departments,omitempty"`
	TransferDueAt *time.Time `json:"transfer_due_at,omitempty"`
	AcceptedAt    *time.Time `json:"accepted_at,omitempty"`
	Escalated     bool       `json:"escalated"`
	OverdueAccept bool       `json:"overdue_accept"`
	OverdueReply  bool       `json:"overdue_reply"`
	ReturnCount   int        `json:"return_count"`
	// SourceLabel names the channel ("小程序", "来信", …); Offline is true
	// for an opinion staff entered (EnteredBy, ReceivedOn, ReceptionDayID).
	SourceLabel    string   `json:"source_label"`
	Offline        bool     `json:"offline"`
	EnteredBy      *NameRef `json:"entered_by,omitempty"`
	ReceivedOn     string   `json:"received_on,omitempty"`
	ReceptionDayID *uint64  `json:"reception_day_id,omitempty"`
	// ContactName is the offline contact's name; PhoneMasked the voter's or
	// the contact's phone, masked (RevealOpinionPhone opens it).
	ContactName string `json:"contact_name,omitempty"`
	PhoneMasked string `json:"phone_masked,omitempty"`
	// Callbacks are the phone call-backs (single form only).
	Callbacks []CallbackView `json:"callbacks,omitempty"`
	Notes     []NoteView     `json:"notes,omitempty"`
	Trail     []TrailView    `json:"trail,omitempty"`
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
		name, ok := stName[op.StationID]
		if !ok {
			name = fmt.Sprintf("联络站（编号%d）", op.StationID)
		}
		out = append(out, viewOf(op, catByID[op.CategoryID], name, byOp[op.ID], rated, photos[op.ID], timeline[op.ID], loc, detail))
	}
	return out, nil
}

// viewOf is one item's voter view: cat its category, station its
// station's name, ratings, rated ("id/round/stage" of each rating), photos
// and timeline what belongs to it.
func viewOf(op Opinion, cat Category, station string, ratings []RatingView, rated map[string]bool,
	photos []PhotoView, timeline []TimelineView, loc *time.Location, detail bool) OpinionView {
	v := OpinionView{
		ID: op.ID, TrackingNo: op.TrackingNo, Status: op.Status, StatusLabel: op.Status.Label(),
		Category: cat.Code, CategoryName: cat.Name, Content: op.Content, Anonymous: op.Anonymous,
		Station: StationRef{ID: op.StationID, Name: station}, RouteReason: op.RouteReason, Round: op.Round,
		Reply: op.ReplyText, RepliedAt: localPtr(op.RepliedAt, loc), ClosedAt: localPtr(op.ClosedAt, loc),
		AcceptDueAt: op.AcceptDueAt.In(loc), ReplyDueAt: op.ReplyDueAt.In(loc), CreatedAt: op.CreatedAt.In(loc),
		CanRate: []string{}, Ratings: ratings, Photos: photos, Timeline: timeline,
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
	return v
}

// filedParts is what a filing wrote besides the opinion row, kept on the
// Opinion FileOpinionThen returns so that FiledView answers without
// reading it back.
type filedParts struct {
	category Category
	station  string
	photos   []PhotoView
	timeline []OpinionTimelineEntry
}

// FiledView is the voter's view of an opinion FileOpinionThen has just
// filed, built from what the filing wrote: the one GetVoterOpinion would
// read back. ok is false for any other opinion (a replayed one included):
// read it with GetVoterOpinion.
func FiledView(op Opinion, loc *time.Location) (v OpinionView, ok bool) {
	f := op.filed
	if f == nil || op.Replayed {
		return OpinionView{}, false
	}
	loc = orLoc(loc)
	var timeline []TimelineView
	for _, e := range f.timeline {
		timeline = append(timeline, TimelineView{At: e.At.In(loc), Kind: e.Kind, Round: e.Round, Text: e.Text, Detail: e.Detail})
	}
	return viewOf(op, f.category, f.station, nil, nil, f.photos, timeline, loc, true), true
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
	staffIDs, voterIDs := []uint64{}, []uint64{}
	for _, op := range ops {
		ids = append(ids, op.ID)
		if op.HandlerStaffID != nil {
			staffIDs = append(staffIDs, *op.HandlerStaffID)
		}
		if op.EnteredByStaffID != nil {
			staffIDs = append(staffIDs, *op.EnteredByStaffID)
		}
		if op.VoterID != 0 {
			voterIDs = append(voterIDs, op.VoterID)
		}
	}
	voterPhone := map[uint64]string{}
	if len(voterIDs) > 0 {
		var rows []Voter
		if err := db.Select("id", "phone_masked").Where("id IN ?", voterIDs).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, v := range rows {
			voterPhone[v.ID] = v.PhoneMasked
		}
	}
	var cbRows []OpinionCallback
	if detail {
		if err := db.Where("opinion_id IN ?", ids).Order("id").Find(&cbRows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range cbRows {
			staffIDs = append(staffIDs, r.StaffID)
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
		v.SourceLabel, v.Offline = sourceLabel(op.Source), IsOfflineSource(op.Source)
		v.ReceivedOn, v.ReceptionDayID, v.ContactName = op.ReceivedOn, op.ReceptionDayID, op.ContactName
		v.PhoneMasked = op.ContactPhoneMasked
		if op.VoterID != 0 {
			v.PhoneMasked = voterPhone[op.VoterID]
		}
		if op.EnteredByStaffID != nil {
			v.EnteredBy = &NameRef{ID: *op.EnteredByStaffID, Name: staffName[*op.EnteredByStaffID]}
		}
		for _, r := range cbRows {
			if r.OpinionID == op.ID {
				v.Callbacks = append(v.Callbacks, CallbackView{Round: r.Round, Stage: r.Stage, Score: r.Score,
					ScoreLabel: StageScoreLabel(r.Stage, r.Score), Note: r.Note,
					Staff: NameRef{ID: r.StaffID, Name: staffName[r.StaffID]}, At: r.CreatedAt.In(loc)})
			}
		}
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
