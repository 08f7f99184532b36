package models_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure EraseVoter erases the whole person (the mini-program row and the
// official-account row of the same unionid): bookings cancelled with the
// waitlist promoted before the slot starts and not after, the links of
// opinions, ratings and uploads cut, unattached uploads deleted, consents,
// notices (but not a staff member's) and openids on scans gone, one audit
// row; and that erasing again is ErrVoterNotFound.
func TestEraseVoterErasesThePerson(t *testing.T) {
	db := modelstest.NewDB(t)
	f := newFixture(t, db, 1, func(r *models.ReceptionRule) { small(r); r.SeatsPerSlot, r.WalkInSeats, r.WaitlistMax = 2, 0, 0 })
	ctx := f.ctx
	str := func(s string) *string { return &s }
	mp := models.Voter{MPOpenID: str("oMPErase"), UnionID: str("uErase")}
	oa := models.Voter{OAOpenID: str("oOAErase"), UnionID: str("uErase"), Following: true}
	x, y, z := models.Voter{MPOpenID: str("oX")}, models.Voter{MPOpenID: str("oY")}, models.Voter{MPOpenID: str("oZ")}
	for _, v := range []*models.Voter{&mp, &oa, &x, &y, &z} {
		f.must(db.Create(v).Error)
	}
	slot := f.slots(0, recDate)[0].ID
	book := func(v models.Voter) models.Booking {
		b, _, err := models.BookSlot(ctx, db, v.ID, slot, "路灯", bookNow)
		f.must(err)
		return b
	}
	bm, bx, by, bz := book(mp), book(x), book(y), book(z) // y and z wait

	// An opinion filed through the official account, rated, with a photo.
	lat, lng, key := 30.27, 120.15, "chat-1"
	op := models.Opinion{TrackingNo: "YJ20260301-0001", VoterID: oa.ID, IdempotencyKey: &key, Source: models.SourceChat,
		CategoryID: 1, Content: "村口的桥栏杆松动了，孩子上学很危险", StationID: f.stations[0].ID, RouteRule: "station",
		RouteReason: "您选择的联络站", Lat: &lat, Lng: &lng, Status: models.OpinionReplied, Round: 1, AcceptDays: 2, ReplyDays: 15,
		AcceptStartAt: bookNow, AcceptDueAt: bookNow, ReplyStartAt: bookNow, ReplyDueAt: bookNow, Version: 3}
	f.must(db.Create(&op).Error)
	f.must(db.Create(&models.OpinionRating{OpinionID: op.ID, Round: 1, Stage: "reply", VoterID: mp.ID,
		StationID: op.StationID, Score: "satisfied", Comment: "谢谢"}).Error)
	sum := strings.Repeat("cd", 32)
	for _, p := range []string{"uploads/2026/03/kept.jpg", "uploads/2026/03/loose.jpg"} {
		f.must(db.Create(&models.Upload{VoterID: mp.ID, Path: p, SHA256: sum, ContentType: "image/jpeg", Size: 1, Width: 1, Height: 1}).Error)
	}
	f.must(db.Create(&models.OpinionPhoto{OpinionID: op.ID, Path: "uploads/2026/03/kept.jpg", SHA256: sum}).Error)

	// Consents, notices, a scan; the official-account openid is also a staff member's.
	f.must(models.GrantConsents(ctx, db, "oMPErase", []string{"tpl"}, bookNow))
	for i, to := range []string{"oMPErase", "oOAErase", "oY"} {
		ch := models.ChannelSubscribe
		if to == "oOAErase" {
			ch = models.ChannelTemplate
		}
		_, _, err := models.Enqueue(ctx, db, models.NotificationInput{Channel: ch, ToUser: to, TemplateID: "tpl",
			Fields: map[string]string{"title": "测试"}, DedupeKey: fmt.Sprintf("test:%d", i)}, bookNow)
		f.must(err)
	}
	f.must(db.Create(&models.Staff{Name: "同一人", Role: models.RoleClerk, OAOpenID: str("oOAErase"), Active: true}).Error)

	er, err := models.EraseVoter(ctx, db, mp.ID, bookNow, nil)
	f.must(err)
	if fmt.Sprint(er.VoterIDs, er.MPOpenIDs, er.OAOpenIDs, len(er.Cancelled), er.Opinions, er.Files) !=
		fmt.Sprint([]uint64{mp.ID, oa.ID}, []string{"oMPErase"}, []string{"oOAErase"}, 1, 1, []string{"uploads/2026/03/loose.jpg"}) {
		t.Errorf("erasure = %+v", er)
	}
	if got := f.booking(bm.ID); got.Status != models.BookingCancelled || got.VoterID != 0 || got.CancelReason != models.CancelVoterErased {
		t.Errorf("erased voter's booking: %+v", got)
	}
	if got := f.booking(by.ID); got.Status != models.BookingConfirmed {
		t.Errorf("first waitlisted not promoted: %+v", got)
	}
	checkInvariants(t, db)

	var gotOp models.Opinion
	f.must(db.First(&gotOp, op.ID).Error)
	if gotOp.VoterID != 0 || gotOp.Lat != nil || gotOp.IdempotencyKey != nil || gotOp.Content != op.Content || gotOp.Version != 4 {
		t.Errorf("opinion: %+v", gotOp)
	}
	var r models.OpinionRating
	f.must(db.First(&r).Error)
	var ups []models.Upload
	f.must(db.Find(&ups).Error)
	if r.VoterID != 0 || r.Comment != "谢谢" || len(ups) != 1 || ups[0].VoterID != 0 || ups[0].Path != "uploads/2026/03/kept.jpg" {
		t.Errorf("rating %+v, uploads %+v", r, ups)
	}
	var voters, consents int64
	f.must(db.Model(&models.Voter{}).Where("id IN ?", []uint64{mp.ID, oa.ID}).Count(&voters).Error)
	f.must(db.Model(&models.SubscribeConsent{}).Count(&consents).Error)
	var to []string
	f.must(db.Model(&models.Notification{}).Order("id").Pluck("to_user", &to).Error)
	if voters != 0 || consents != 0 || fmt.Sprint(to) != "[oOAErase oY]" {
		t.Errorf("voters %d, consents %d, notices to %v", voters, consents, to)
	}
	trail, err := models.AuditTrail(ctx, db, "voter", mp.ID)
	f.must(err)
	if len(trail) != 1 || trail[0].Action != "voter.erase" || trail[0].ActorKind != "voter" || strings.Contains(trail[0].Note, "oMPErase") {
		t.Errorf("audit: %+v", trail)
	}
	if _, err := models.EraseVoter(ctx, db, mp.ID, bookNow, nil); !errors.Is(err, models.ErrVoterNotFound) {
		t.Errorf("erasing again: %v", err)
	}

	// Once the slot has started, a confirmed booking is cancelled and its
	// seat counted off, but nobody is promoted into the reception.
	started := f.slots(0, recDate)[0].StartAt.Add(time.Minute)
	_, err = models.EraseVoter(ctx, db, x.ID, started, nil)
	f.must(err)
	if got := f.booking(bx.ID); got.Status != models.BookingCancelled {
		t.Errorf("started slot: erased booking %+v", got)
	}
	if got := f.booking(bz.ID); got.Status != models.BookingWaitlisted {
		t.Errorf("started slot: waitlisted promoted %+v", got)
	}
	checkInvariants(t, db)
}
