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

// PhotoInput is one uploaded photo: its stored path and content hash.
type PhotoInput struct {
	Path   string
	SHA256 string
}

// FileInput is what a voter files, from the mini-program or the chat flow.
type FileInput struct {
	VoterID  uint64
	Category string // category code, e.g. "shenghuo"
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
	// Extra are the values of the category's fields (CategoryFieldsOf), by
	// key; FileOpinion checks them and puts them in front of Content.
	Extra map[string]string
	// TrackingNo is a number taken with TakeTrackingNo before the filing's
	// transaction began; empty: the filing takes the day's next number in
	// its transaction (the counter row then stays locked until it ends).
	TrackingNo string
}

// Sources of a filing.
const (
	SourceMiniProgram = "miniprogram"
	SourceChat        = "chat"
)

var (
	sha256Re  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idemKeyRe = regexp.MustCompile(`^[\x21-\x7e]+$`)
	// trackingNoRe is the form of TakeTrackingNo's numbers.
	trackingNoRe = regexp.MustCompile(`^YJ[0-9]{8}-[0-9]{4,}$`)
)

// normalize trims and checks the input, and puts the category's fields in
// front of the content; errors name the bad field.
func (in *FileInput) normalize() error {
	content, err := withCategoryFields(in.Category, CleanText(in.Content), in.Extra)
	if err != nil {
		return err
	}
	in.Content = strings.TrimSpace(content)
	if n := utf8.RuneCountInString(in.Content); n < contentMinLen || n > contentMaxLen {
		return Invalid("content", "意见内容需要 10 到 2000 个字")
	}
	if !utf8.ValidString(in.Content) {
		return Invalid("content", "意见内容包含无法识别的字符")
	}
	if in.VoterID == 0 {
		return ErrVoterNotFound
	}
	if in.TrackingNo != "" && !trackingNoRe.MatchString(in.TrackingNo) {
		return fmt.Errorf("tracking number: %q is not one TakeTrackingNo gives", in.TrackingNo)
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
		return Invalid("idempotency_key", "请求标识最长64个字符，只能包含英文字母、数字和符号。")
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
// through it (FileOpinionThen).
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
	var events []OpinionEvent
	op, err := FileOpinionThen(ctx, db, in, world, now, loc, cal, func(_ *gorm.DB, evs []OpinionEvent) error {
		events = evs
		return nil
	})
	if err != nil || op.Replayed {
		return op, nil, err
	}
	return op, events, nil
}

// FileOpinionThen is FileOpinion with the caller's part of the filing's
// transaction: then runs in it after the opinion's rows are written, with
// the events to notify (the caller enqueues them there). Everything that
// only reads (the voter, the idempotency key, routing, the handler and the
// staff to notify) is read before the transaction begins, so the
// transaction holds the writes only (docs/BENCHMARKS.md, issue 18 opinion
// filing). When db is not already a transaction, a transaction that lost a
// lock race runs again (RunTx); then must be safe to run again. A replayed
// filing writes nothing and does not call then.
func FileOpinionThen(ctx context.Context, db *gorm.DB, in FileInput, world RouteWorld, now time.Time, loc *time.Location,
	cal *Calendar, then func(tx *gorm.DB, events []OpinionEvent) error) (Opinion, error) {
	loc = orLoc(loc)
	// Stored times keep milliseconds (MySQL's DATETIME(3)), so the opinion
	// returned is the one a later read gives.
	now = now.UTC().Truncate(time.Millisecond)
	if err := in.normalize(); err != nil {
		return Opinion{}, err
	}
	db = db.WithContext(ctx)
	cat, err := world.category(ctx, db, in.Category)
	if err != nil {
		return Opinion{}, err
	}
	if prev, ok, err := checkVoterAndKey(db, in, cat.ID); err != nil || ok {
		return prev, err
	}
	if !world.Loaded() {
		if world, err = LoadRouteWorld(ctx, db); err != nil {
			return Opinion{}, err
		}
	}
	if world, err = ensureInWorld(ctx, db, world, in); err != nil {
		return Opinion{}, err
	}
	rin := RouteInput{Code: in.Code, StationID: in.StationID, CommunityID: in.CommunityID,
		Category: cat.Code, At: now}
	if in.Lat != nil {
		rin.Point = &Point{*in.Lat, *in.Lng}
	}
	route := Route(rin, world)
	staff, err := loadFilingStaff(ctx, db, route.StationID, cat.ID)
	if err != nil {
		return Opinion{}, err
	}
	stName := OfficeName
	if route.StationID != officeStation {
		if st, ok := world.Stations[route.StationID]; ok {
			stName = st.Name
		} else if stName, err = stationName(db, route.StationID); err != nil {
			return Opinion{}, err
		}
	}

	acceptDays, replyDays := cat.AcceptDays, cat.ReplyDays
	if acceptDays <= 0 {
		acceptDays = defaultAccept
	}
	if replyDays <= 0 {
		replyDays = defaultReply
	}
	filed := Opinion{
		TrackingNo: in.TrackingNo, VoterID: in.VoterID, Source: in.Source, CategoryID: cat.ID,
		Content: in.Content, Anonymous: in.Anonymous, StationID: route.StationID,
		RouteRule: route.Rule, RouteReason: Shorten(route.Reason, 255, ""),
		Lat: in.Lat, Lng: in.Lng, Code: in.Code, Status: OpinionSubmitted, Round: 1,
		AcceptDays: acceptDays, ReplyDays: replyDays,
		AcceptStartAt: now, AcceptDueAt: cal.WorkingDeadline(now, acceptDays, loc),
		ReplyStartAt: now, ReplyDueAt: cal.WorkingDeadline(now, replyDays, loc),
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if route.DeputyID != 0 {
		filed.DeputyID = ptr(route.DeputyID)
	}
	if in.CommunityID != 0 {
		filed.CommunityID = ptr(in.CommunityID)
	}
	if in.IdempotencyKey != "" {
		filed.IdempotencyKey = ptr(in.IdempotencyKey)
	}
	if filed.TrackingNo == "" {
		filed.TrackingNo = tempTrackingNo()
	}
	if staff.Handler != 0 {
		filed.HandlerStaffID = ptr(staff.Handler)
	}
	note := Shorten(fmt.Sprintf("经%s提交，分派方式：%s；%s", sourceLabel(in.Source), RuleLabel(route.Rule), route.Reason), 2000, "")
	submitted := "意见已提交，由" + stName + "办理"

	var op Opinion
	var view filedParts
	write := func(tx *gorm.DB) error {
		// A transaction run again starts from the unwritten opinion.
		op, view = filed, filedParts{category: cat, station: stName}
		if err := createNumbered(tx, &op); err != nil {
			return err
		}
		for _, p := range in.Photos {
			row := OpinionPhoto{OpinionID: op.ID, Path: p.Path, SHA256: p.SHA256, CreatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return translate(err)
			}
			view.photos = append(view.photos, PhotoView{ID: row.ID, Path: row.Path, SHA256: row.SHA256})
		}
		entry := OpinionTimelineEntry{OpinionID: op.ID, At: now, Kind: "submitted", Round: op.Round,
			Text: Shorten(submitted, 255, "")}
		if err := translate(tx.Create(&entry).Error); err != nil {
			return err
		}
		view.timeline = []OpinionTimelineEntry{entry}
		if err := Audit(ctx, tx, now, Actor{Kind: actorVoter, ID: in.VoterID}, "opinion.file", auditOpinion, op.ID,
			"", string(OpinionSubmitted), note); err != nil {
			return err
		}
		if strings.HasPrefix(op.TrackingNo, "tmp") {
			if err := numberInTx(tx, &op, now, loc); err != nil {
				return err
			}
		}
		ev := baseEvent(op, EventNewItem, stName, "您有一条新的群众意见待受理")
		ev.Staff, ev.Via = staff.Recipients, staff.Via
		if then != nil {
			return then(tx, []OpinionEvent{ev})
		}
		return nil
	}
	if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
		err = db.Transaction(write)
	} else {
		err = RunTx(ctx, db, write)
	}
	if err != nil {
		if errors.Is(err, ErrConflict) && in.IdempotencyKey != "" {
			// A concurrent request with the same key committed first.
			if prev, ok, err2 := findIdempotent(db, in, cat.ID, true); err2 == nil && ok {
				return prev, nil
			} else if err2 != nil {
				return Opinion{}, err2
			}
		}
		return Opinion{}, err
	}
	op.filed = &view
	return op, nil
}

// checkVoterAndKey checks in one statement that the voter exists and, with
// an idempotency key, whether they filed with it before: the earlier
// opinion is returned (ok) when they did.
func checkVoterAndKey(db *gorm.DB, in FileInput, categoryID uint64) (Opinion, bool, error) {
	if in.IdempotencyKey == "" {
		var n int64
		if err := db.Model(&Voter{}).Where("id = ?", in.VoterID).Count(&n).Error; err != nil {
			return Opinion{}, false, translate(err)
		}
		if n == 0 {
			return Opinion{}, false, ErrVoterNotFound
		}
		return Opinion{}, false, nil
	}
	var rows []struct {
		VoterID   uint64
		OpinionID *uint64
	}
	err := db.Raw(`SELECT v.id AS voter_id, o.id AS opinion_id FROM voters v
		LEFT JOIN opinions o ON o.voter_id = v.id AND o.idempotency_key = ? WHERE v.id = ?`,
		in.IdempotencyKey, in.VoterID).Scan(&rows).Error
	if err != nil {
		return Opinion{}, false, translate(err)
	}
	if len(rows) == 0 {
		return Opinion{}, false, ErrVoterNotFound
	}
	if rows[0].OpinionID == nil {
		return Opinion{}, false, nil
	}
	return findIdempotent(db, in, categoryID, false)
}

// findIdempotent looks for the voter's opinion filed with in's key. locking
// reads the latest committed row on MySQL, past the transaction's snapshot.
func findIdempotent(db *gorm.DB, in FileInput, categoryID uint64, locking bool) (Opinion, bool, error) {
	q := db
	if locking {
		q = lockingUpdate(db)
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
	reload, err := namedExist(db, w, in.StationID, in.CommunityID)
	if err != nil || !reload {
		return w, err
	}
	fresh, err := LoadRouteWorld(ctx, db)
	if err != nil {
		return w, err
	}
	fresh.RadiusM, fresh.CategoryOverrides = w.RadiusM, w.CategoryOverrides
	return fresh, nil
}

// namedExist checks that the chosen station and community (0: none) exist;
// reload reports that w lacks one of them.
func namedExist(db *gorm.DB, w RouteWorld, stationID, communityID uint64) (reload bool, err error) {
	_, stOK := w.Stations[stationID]
	_, cmOK := w.Communities[communityID]
	if (stationID == 0 || stOK) && (communityID == 0 || cmOK) {
		return false, nil
	}
	var n int64
	if stationID != 0 && !stOK {
		if err := db.Model(&Station{}).Where("id = ?", stationID).Count(&n).Error; err != nil {
			return false, translate(err)
		}
		if n == 0 {
			return false, Invalid("station_id", "所选的联络站不存在")
		}
	}
	if communityID != 0 && !cmOK {
		if err := db.Model(&Community{}).Where("id = ?", communityID).Count(&n).Error; err != nil {
			return false, translate(err)
		}
		if n == 0 {
			return false, Invalid("community_id", "所选的村（社区）不存在")
		}
	}
	return true, nil
}

// numberNewOpinion makes the station staff's new-item event of a
// just-filed op, titled title, and gives op its tracking number if it
// still has a placeholder (tempTrackingNo). It runs last in the filing
// transaction, so the day's counter row stays locked for as short a time
// as possible: every such filing of the day queues on it until the
// transaction (and the caller's outbox rows) commit. Filings that took
// their number beforehand (TakeTrackingNo) do not touch the counter here.
func numberNewOpinion(tx *gorm.DB, op *Opinion, station, title string, now time.Time, loc *time.Location) (OpinionEvent, error) {
	ev, err := stationStaffEvent(tx, *op, EventNewItem, station, title)
	if err != nil {
		return OpinionEvent{}, err
	}
	if !strings.HasPrefix(op.TrackingNo, "tmp") {
		ev.TrackingNo = op.TrackingNo
		return ev, nil
	}
	if err := numberInTx(tx, op, now, loc); err != nil {
		return OpinionEvent{}, err
	}
	ev.TrackingNo = op.TrackingNo
	return ev, nil
}

// numberInTx gives op, inserted with a placeholder number, the day's next
// number from the counter, in the transaction.
func numberInTx(tx *gorm.DB, op *Opinion, now time.Time, loc *time.Location) error {
	day := now.In(loc).Format("20060102")
	for attempt := 0; ; attempt++ {
		seq, err := reserveSeq(tx, day, 1)
		if err != nil {
			return err
		}
		no := trackingNo(day, seq)
		err = translate(tx.Model(&Opinion{}).Where("id = ?", op.ID).Update("tracking_no", no).Error)
		if err == nil {
			op.TrackingNo = no
			return nil
		}
		if err := retryTaken(tx, err, no, attempt); err != nil {
			return err
		}
	}
}

// createNumbered inserts a new opinion. If its number (taken beforehand)
// turns out to be taken already, the counter is moved past the day's
// numbers and the row is inserted with a placeholder, to be numbered in
// the transaction by numberNewOpinion.
func createNumbered(tx *gorm.DB, op *Opinion) error {
	no := op.TrackingNo
	err := translate(tx.Create(op).Error)
	if err == nil || strings.HasPrefix(no, "tmp") {
		return err
	}
	if err := retryTaken(tx, err, no, 0); err != nil {
		return err
	}
	op.TrackingNo = tempTrackingNo()
	return translate(tx.Create(op).Error)
}

// retryTaken decides on a failed numbering: if err is a conflict because
// number no is taken, it moves the day's counter past the day's numbers
// and returns nil (take another number); any other error, or a second
// collision after the counter was moved, is returned. A failed statement
// leaves the transaction usable on MySQL and SQLite.
func retryTaken(tx *gorm.DB, err error, no string, attempt int) error {
	if !errors.Is(err, ErrConflict) || attempt > 1 {
		return err
	}
	taken, err2 := trackingNoTaken(tx, no)
	if err2 != nil || !taken {
		return errors.Join(err, err2)
	}
	return resyncCounter(tx, no[2:10])
}

// tempTrackingNo is a unique placeholder until the transaction numbers the row.
func tempTrackingNo() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "tmp" + hex.EncodeToString(b)
}
