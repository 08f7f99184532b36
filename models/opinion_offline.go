package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Opinions received offline: by letter, in the station's letter box
// (意见箱), by phone, at a reception day or on a household visit (入户走访).
// Staff enter them (FileOfflineOpinion); they need no voter account
// (VoterID 0), enter the same workflow, deadlines and ledger as a voter's
// filing, and close their loop by a phone call-back (callback.go). The
// person's name and phone, when given, are kept like a voter's: the phone
// sealed, shown masked until a deliberate, audited reveal
// (RevealOpinionPhone), anonymised after the retention period and
// deletable by a head or an admin (EraseOpinionContact).

// The channels of an opinion received offline (Opinion.Source).
const (
	SourceLetter    = "letter"    // 来信
	SourceMailbox   = "mailbox"   // 意见箱
	SourcePhone     = "phone"     // 电话
	SourceReception = "reception" // 接待日现场
	SourceVisit     = "visit"     // 入户走访
)

// OfflineSources lists the offline channels in the order the entry form
// offers them.
var OfflineSources = []string{SourceLetter, SourceMailbox, SourcePhone, SourceReception, SourceVisit}

// AllSources lists every channel, online first, for the inbox's filter.
var AllSources = append([]string{SourceMiniProgram, SourceChat}, OfflineSources...)

// IsOfflineSource reports whether source is one of OfflineSources.
func IsOfflineSource(source string) bool { return slices.Contains(OfflineSources, source) }

// RuleStaffEntry is the route rule of an opinion staff entered: it goes to
// the station that received it, as if filed through that station's board.
const RuleStaffEntry = "staff_entry"

// OfflineInput is an opinion received offline, as staff enter it.
type OfflineInput struct {
	// Channel is one of OfflineSources.
	Channel string
	// StationID is the station that received it: one of the staff member's
	// (an admin may pick any).
	StationID    uint64
	CategoryCode string
	Content      string
	// ReceivedOn is the local date it was received (YYYY-MM-DD); "" is today.
	ReceivedOn string
	// ContactName and ContactPhone are the person's, when they gave them.
	ContactName  string
	ContactPhone string
	// DeputyID is the deputy it was raised with (0 = none); ReceptionDayID
	// the reception day (0 = none), which must be the station's.
	DeputyID       uint64
	ReceptionDayID uint64
	// IdempotencyKey (the entry form's nonce) makes a double submit file
	// once: the same staff member and key return the first opinion.
	IdempotencyKey string
}

// Errors of the offline entry.
var (
	ErrInvalidChannel = Invalid("channel", "请选择意见来源（来信、意见箱、电话、接待日现场或入户走访）")
	ErrInvalidPhone   = Invalid("contact_phone", "电话号码格式不正确（手机号11位，或带区号的固定电话）")
	ErrNoPhone        = Coded(ErrNotFound, "no_phone", "这条意见没有登记电话号码")
	ErrNoContact      = Coded(ErrConflict, "no_contact", "这条意见没有可删除的来信人信息")
	ErrHeadOrAdmin    = Coded(ErrForbidden, "head_or_admin_only", "只有站长或管理员可以进行此操作")
)

// contactNameMax is the longest name staff may enter, in characters.
const contactNameMax = 20

// NormalizePhone checks a phone number a person gave staff: a mobile
// number (11 digits, starting with 1) or a landline (7–8 digits, or 10–12
// with the area code starting with 0); spaces and hyphens are dropped.
func NormalizePhone(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '　' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", ErrInvalidPhone
		}
	}
	switch n := len(s); {
	case n == 11 && s[0] == '1':
	case (n == 7 || n == 8) && s[0] != '0' && s[0] != '1':
	case n >= 10 && n <= 12 && s[0] == '0':
	default:
		return "", ErrInvalidPhone
	}
	return s, nil
}

// contactPhoneLabel binds a sealed contact phone to its opinion.
func contactPhoneLabel(opinionID uint64) string {
	return "contact_phone:" + strconv.FormatUint(opinionID, 10)
}

// offlineIdemKey is the stored idempotency key of a staff entry: offline
// opinions share VoterID 0, so the key names the staff member.
func offlineIdemKey(staffID uint64, key string) string {
	return "staff" + strconv.FormatUint(staffID, 10) + ":" + key
}

// normalize trims and checks the input; errors name the bad field.
func (in *OfflineInput) normalize(now time.Time, loc *time.Location) error {
	if !IsOfflineSource(in.Channel) {
		return ErrInvalidChannel
	}
	if in.StationID == 0 {
		return Invalid("station_id", "请选择收到意见的联络站")
	}
	in.Content = strings.TrimSpace(CleanText(in.Content))
	if n := utf8.RuneCountInString(in.Content); n < contentMinLen || n > contentMaxLen {
		return Invalid("content", "意见内容需要 10 到 2000 个字")
	}
	today := localDate(now, loc)
	if in.ReceivedOn = strings.TrimSpace(in.ReceivedOn); in.ReceivedOn == "" {
		in.ReceivedOn = today
	}
	d, ok := parseDate(in.ReceivedOn, loc)
	if !ok {
		return Invalid("received_on", "收到日期格式不正确（例如2026-03-10）")
	}
	in.ReceivedOn = d.Format(DateLayout)
	if in.ReceivedOn > today {
		return Invalid("received_on", "收到日期不能晚于今天")
	}
	if d.Before(now.In(loc).AddDate(-1, 0, 0)) {
		return Invalid("received_on", "收到日期不能早于一年前")
	}
	in.ContactName = CleanLine(in.ContactName)
	if utf8.RuneCountInString(in.ContactName) > contactNameMax {
		return Invalid("contact_name", "姓名不能超过20个字")
	}
	if strings.TrimSpace(in.ContactPhone) != "" {
		p, err := NormalizePhone(in.ContactPhone)
		if err != nil {
			return err
		}
		in.ContactPhone = p
	} else {
		in.ContactPhone = ""
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if len(in.IdempotencyKey) > 40 || (in.IdempotencyKey != "" && !idemKeyRe.MatchString(in.IdempotencyKey)) {
		return Invalid("idempotency_key", "页面已过期，请刷新后重新填写")
	}
	return nil
}

// FileOfflineOpinion stores an opinion staff member staffID received
// offline, at in.StationID (one of theirs; any for an admin). It goes to
// that station (rule RuleStaffEntry, with an honest reason), gets the
// category's deadlines on cal in loc from now, the public timeline entry
// "工作人员登记：来信…" and an audit row, and the staff's new-item event,
// like a voter's filing (FileOpinion). VoterID is 0; the phone, if given,
// is sealed with sealer (required then).
//
// db may be a transaction: the caller enqueues the returned events in it.
// A repeated entry with the same staff member and IdempotencyKey returns
// the first opinion (Replayed set) and no events; the same key with
// another content or category is ErrIdempotencyReused.
func FileOfflineOpinion(ctx context.Context, db *gorm.DB, sealer *Sealer, staffID uint64, in OfflineInput, world RouteWorld, now time.Time, loc *time.Location, cal *Calendar) (Opinion, []OpinionEvent, error) {
	loc = orLoc(loc)
	now = now.UTC()
	if err := in.normalize(now, loc); err != nil {
		return Opinion{}, nil, err
	}
	if in.ContactPhone != "" && sealer == nil {
		return Opinion{}, nil, errors.New("offline opinion: a phone number needs the data key (Sealer)")
	}
	db = db.WithContext(ctx)
	staff, err := loadStaff(db, staffID)
	if err != nil {
		return Opinion{}, nil, err
	}
	if !ScopeOf(staff).Allows(in.StationID) {
		return Opinion{}, nil, Invalid("station_id", "只能登记本联络站收到的意见")
	}
	cat, err := CategoryByCode(ctx, db, in.CategoryCode)
	if err != nil {
		return Opinion{}, nil, err
	}
	key := ""
	if in.IdempotencyKey != "" {
		key = offlineIdemKey(staffID, in.IdempotencyKey)
		if op, ok, err := findOfflineIdempotent(db, key, in.Content, cat.ID, false); err != nil || ok {
			return op, nil, err
		}
	}
	if !world.Loaded() {
		if world, err = LoadRouteWorld(ctx, db); err != nil {
			return Opinion{}, nil, err
		}
	}
	if world, err = ensureInWorld(ctx, db, world, FileInput{StationID: in.StationID}); err != nil {
		return Opinion{}, nil, err
	}
	st := world.Stations[in.StationID]
	if in.DeputyID != 0 {
		if _, ok := world.Deputies[in.DeputyID]; !ok {
			return Opinion{}, nil, Invalid("deputy_id", "所选的代表不存在")
		}
	}
	if in.ReceptionDayID != 0 {
		var day ReceptionDay
		if err := db.Select("id", "station_id").Where("id = ?", in.ReceptionDayID).Limit(1).Find(&day).Error; err != nil {
			return Opinion{}, nil, translate(err)
		}
		if day.ID == 0 || day.StationID != in.StationID {
			return Opinion{}, nil, Invalid("reception_day_id", "所选的接待日不属于该联络站")
		}
	}
	channel := sourceLabel(in.Channel)
	acceptDays, replyDays := cat.AcceptDays, cat.ReplyDays
	if acceptDays <= 0 {
		acceptDays = defaultAccept
	}
	if replyDays <= 0 {
		replyDays = defaultReply
	}
	op := Opinion{
		TrackingNo: tempTrackingNo(), Source: in.Channel, CategoryID: cat.ID, Content: in.Content,
		StationID: st.ID, RouteRule: RuleStaffEntry,
		RouteReason: Shorten(fmt.Sprintf("联络站工作人员登记（%s），意见由收到它的%s办理", channel, st.Name), 255, ""),
		Status:      OpinionSubmitted, Round: 1, AcceptDays: acceptDays, ReplyDays: replyDays,
		AcceptStartAt: now, AcceptDueAt: cal.WorkingDeadline(now, acceptDays, loc),
		ReplyStartAt: now, ReplyDueAt: cal.WorkingDeadline(now, replyDays, loc),
		EnteredByStaffID: ptr(staffID), ReceivedOn: in.ReceivedOn, ContactName: in.ContactName,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if in.DeputyID != 0 {
		op.DeputyID = ptr(in.DeputyID)
	}
	if in.ReceptionDayID != 0 {
		op.ReceptionDayID = ptr(in.ReceptionDayID)
	}
	if key != "" {
		op.IdempotencyKey = ptr(key)
	}
	if in.ContactPhone != "" {
		op.ContactPhoneMasked = MaskPhone(in.ContactPhone)
	}
	var events []OpinionEvent
	err = db.Transaction(func(tx *gorm.DB) error {
		handler, _, err := PickHandler(ctx, tx, op.StationID, cat.ID)
		if err != nil {
			return err
		}
		if handler != 0 {
			op.HandlerStaffID = ptr(handler)
		}
		if err := tx.Create(&op).Error; err != nil {
			return translate(err)
		}
		if in.ContactPhone != "" {
			// Sealed under the row's id, so it cannot be moved to another row.
			op.ContactPhoneEnc = sealer.Seal(in.ContactPhone, contactPhoneLabel(op.ID))
			if err := tx.Model(&Opinion{}).Where("id = ?", op.ID).Update("contact_phone_enc", op.ContactPhoneEnc).Error; err != nil {
				return translate(err)
			}
		}
		if err := addTimeline(tx, op, "submitted", "工作人员登记："+channel+"，由"+st.Name+"办理", "", now); err != nil {
			return err
		}
		note := fmt.Sprintf("工作人员登记：%s，%s收到；分派方式：%s", channel, CalendarDateText(in.ReceivedOn), RuleLabel(RuleStaffEntry))
		if in.ContactName != "" || in.ContactPhone != "" {
			note += "；已登记来信人信息"
		}
		if err := Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.file", auditOpinion, op.ID,
			"", string(OpinionSubmitted), note); err != nil {
			return err
		}
		ev, err := numberNewOpinion(tx, &op, st.Name, "有一条登记的群众意见待受理", now, loc)
		if err != nil {
			return err
		}
		events = append(events, ev)
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrConflict) && key != "" {
			// A concurrent submit with the same key committed first.
			if prev, ok, err2 := findOfflineIdempotent(db, key, in.Content, cat.ID, true); err2 == nil && ok {
				return prev, nil, nil
			} else if err2 != nil {
				return Opinion{}, nil, err2
			}
		}
		return Opinion{}, nil, err
	}
	return op, events, nil
}

// findOfflineIdempotent looks for the offline opinion entered with key.
func findOfflineIdempotent(db *gorm.DB, key, content string, categoryID uint64, locking bool) (Opinion, bool, error) {
	q := db
	if locking {
		q = lockingUpdate(db)
	}
	var op Opinion
	res := q.Where("voter_id = ? AND idempotency_key = ?", 0, key).Limit(1).Find(&op)
	if res.Error != nil {
		return Opinion{}, false, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return Opinion{}, false, nil
	}
	if op.Content != content || op.CategoryID != categoryID {
		return Opinion{}, false, ErrIdempotencyReused
	}
	op.Replayed = true
	return op, true, nil
}

// RevealOpinionPhone opens the full phone number behind item opinionID for
// staff member staffID: the voter's, or the offline contact's. It is a
// deliberate act, written to the audit log (who, when, which item; never
// the number). An item the staff member may not see is ErrOpinionNotFound;
// one without a number is ErrNoPhone.
func RevealOpinionPhone(ctx context.Context, db *gorm.DB, sealer *Sealer, staffID, opinionID uint64, now time.Time) (string, error) {
	if sealer == nil {
		return "", errors.New("reveal phone: no data key (Sealer)")
	}
	var phone string
	err := RunTx(ctx, db, func(tx *gorm.DB) error {
		var op Opinion
		if err := tx.First(&op, opinionID).Error; err != nil {
			return notFoundAs(err, ErrOpinionNotFound)
		}
		if _, err := staffFor(tx, staffID, op); err != nil {
			return err
		}
		whose := "来信人"
		switch {
		case len(op.ContactPhoneEnc) > 0:
			p, err := sealer.Open(op.ContactPhoneEnc, contactPhoneLabel(op.ID))
			if err != nil {
				return err
			}
			phone = p
		case op.VoterID != 0:
			var v Voter
			if err := tx.Select("id", "phone_enc").Where("id = ?", op.VoterID).Limit(1).Find(&v).Error; err != nil {
				return translate(err)
			}
			if len(v.PhoneEnc) == 0 {
				return ErrNoPhone
			}
			p, err := sealer.Open(v.PhoneEnc, phoneLabel(v.ID))
			if err != nil {
				return err
			}
			phone, whose = p, "群众"
		default:
			return ErrNoPhone
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.reveal_phone", auditOpinion, op.ID,
			string(op.Status), string(op.Status), "查看了"+whose+"的完整电话号码")
	})
	if err != nil {
		return "", err
	}
	return phone, nil
}

// EraseOpinionContact deletes the name and phone of the person behind an
// offline opinion (a head of its station or an admin; a clerk is
// ErrHeadOrAdmin), audited without the data itself. What they said stays.
// Nothing to delete is ErrNoContact.
func EraseOpinionContact(ctx context.Context, db *gorm.DB, staffID, opinionID uint64, now time.Time) error {
	return RunTx(ctx, db, func(tx *gorm.DB) error {
		op, err := lockOpinion(tx, opinionID)
		if err != nil {
			return err
		}
		s, err := staffFor(tx, staffID, op)
		if err != nil {
			return err
		}
		if s.Role != RoleAdmin && s.Role != RoleHead {
			return ErrHeadOrAdmin
		}
		if op.ContactName == "" && len(op.ContactPhoneEnc) == 0 && op.ContactPhoneMasked == "" {
			return ErrNoContact
		}
		res := tx.Model(&Opinion{}).Where("id = ? AND version = ?", op.ID, op.Version).Updates(map[string]any{
			"contact_name": "", "contact_phone_enc": nil, "contact_phone_masked": "",
			"version": op.Version + 1, "updated_at": now.UTC()})
		if res.Error != nil {
			return translate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrConcurrentUpdate
		}
		return Audit(ctx, tx, now, Actor{Kind: actorStaff, ID: staffID}, "opinion.erase_contact", auditOpinion, op.ID,
			string(op.Status), string(op.Status), "删除了来信人的姓名和电话")
	})
}
