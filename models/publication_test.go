package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"deputylink/models"
	"deputylink/models/modelstest"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// Ensure the personal-data check refuses phones, ID and card numbers, the
// person's name and exact addresses, however written, and lets ordinary
// text with dates, counts and amounts through.
func TestCheckPublicText(t *testing.T) {
	names := []string{"王桂芳"}
	for _, ok := range []string{
		"人民路与解放街交叉口附近人行道地砖松动，雨天积水。",
		"2026-05-03接到反映，5月3日现场查看，12月20日 16:00回访。",
		"为50户居民更换水表，投入资金1200000元，修复道路约120米、3处。",
		"拨打12345政务服务热线反映。", // a public hotline, five digits
		"东门社区老年食堂增加一荤一素套餐，两室一厅的老房子也纳入改造。",
		"第二十三条增加维修资金“双过半”表决的规定。",
	} {
		if err := models.CheckPublicText("summary", ok, names); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"请联系13800138000。", "电话"},
		{"手机 138 0013 8000", "电话"},
		{"手机１３８００１３８０００", "电话"},
		{"座机0571-63810001", "电话"},
		{"联系电话：6381001", "电话"},
		{"身份证号330102199001011234", "身份证"},
		{"身份证33010219900101123X", "身份证"},
		{"银行卡 6222 0210 0103 4567 890", "身份证"},
		{"王桂芳反映路灯坏了", "姓名"},
		{"东门小区3号楼漏水", "门牌"},
		{"5栋楼下", "门牌"},
		{"三单元门口", "门牌"},
		{"2单元", "门牌"},
		{"501室", "门牌"},
		{"人民路88号门前", "门牌"},
		{"沙湾村5组12号", "门牌"},
		{"门牌不清", "门牌"},
		{"住在3-2-501", "门牌"},
	} {
		err := models.CheckPublicText("result", tc.text, names)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != "result" || !strings.Contains(ve.Msg, tc.want) {
			t.Errorf("%q: %v, want a refusal of result mentioning %s", tc.text, err, tc.want)
		}
	}
}

// pubEnv is the demo county with staff: clerks of two stations, a
// township office, an admin; and an item received offline at the east
// station from a named person, with two photos.
type pubEnv struct {
	t                              *testing.T
	db                             *gorm.DB
	cal                            *models.Calendar
	east, west                     models.Station
	clerkE, clerkW, township, boss models.Staff
}

var pubLoc = time.FixedZone("CST", 8*3600)

// pubT0 is Tuesday 2026-11-03 09:00 in Beijing.
var pubT0 = time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)

func newPubEnv(t *testing.T) *pubEnv {
	t.Helper()
	ctx := context.Background()
	e := &pubEnv{t: t, db: modelstest.NewDB(t)}
	old := models.PasswordCost
	models.PasswordCost = bcrypt.MinCost
	t.Cleanup(func() { models.PasswordCost = old })
	if _, err := models.LoadDemo(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	must(t, e.db.Where("name = ?", "东门社区代表联络站").First(&e.east).Error)
	must(t, e.db.Where("name = ?", "西街社区代表联络站").First(&e.west).Error)
	mk := func(user string, role models.StaffRole, township string, stations ...uint64) models.Staff {
		s, err := models.CreateConsoleUserIn(ctx, e.db, user, "correct horse 1", "测试"+user, role, stations, township, pubT0)
		must(t, err)
		return s
	}
	e.clerkE = mk("pub_clerk_e", models.RoleClerk, "", e.east.ID)
	e.clerkW = mk("pub_clerk_w", models.RoleClerk, "", e.west.ID)
	e.township = mk("pub_township", models.RoleTownship, e.east.District)
	e.boss = mk("pub_admin", models.RoleAdmin, "")
	var err error
	e.cal, err = models.LoadCalendar(ctx, e.db)
	must(t, err)
	return e
}

// closedItem files an item offline at the east station from 王桂芳, with
// two photos, and closes it five working days later (Monday 11-09 at the
// latest is what the dates below expect).
func (e *pubEnv) closedItem(close bool) models.Opinion {
	e.t.Helper()
	ctx := context.Background()
	world, err := models.LoadRouteWorld(ctx, e.db)
	must(e.t, err)
	op, _, err := models.FileOfflineOpinion(ctx, e.db, nil, e.clerkE.ID, models.OfflineInput{
		Channel: models.SourceLetter, StationID: e.east.ID, CategoryCode: "chengxiang",
		Content: "东门小区3号楼前的路面塌陷，王桂芳的电话13800138000。", ContactName: "王桂芳",
	}, world, pubT0, pubLoc, e.cal)
	must(e.t, err)
	for i, p := range []string{"uploads/2026/11/a.jpg", "uploads/2026/11/b.jpg"} {
		ph := models.OpinionPhoto{OpinionID: op.ID, Path: p, SHA256: strings.Repeat(string(rune('a'+i)), 64), CreatedAt: pubT0}
		must(e.t, e.db.Create(&ph).Error)
	}
	if close {
		_, _, err = models.CloseOpinion(ctx, e.db, e.boss.ID, op.ID, "", pubT0.Add(6*24*time.Hour))
		must(e.t, err)
	}
	must(e.t, e.db.First(&op, op.ID).Error)
	return op
}

func (e *pubEnv) photos(op models.Opinion) []uint64 {
	var ids []uint64
	must(e.t, e.db.Model(&models.OpinionPhoto{}).Where("opinion_id = ?", op.ID).Order("id").Pluck("id", &ids).Error)
	return ids
}

var pubText = models.PublishInput{Summary: "东门小区门前路面塌陷，居民出行不便。", Result: "县住建局一周内修复路面约30平方米。"}

// Ensure only the station's clerk or head, or an admin, publish a closed
// item; that the text and photos are checked; that withdrawing and
// publishing again work on the one row; and that each step is in the
// item's timeline and the audit log.
func TestPublishOpinionRules(t *testing.T) {
	e := newPubEnv(t)
	ctx := context.Background()
	at := pubT0.Add(7 * 24 * time.Hour)
	open := e.closedItem(false)
	if _, err := models.PublishOpinion(ctx, e.db, e.clerkE.ID, open.ID, pubText, at, pubLoc, e.cal); !errors.Is(err, models.ErrNotClosed) {
		t.Errorf("open item: %v, want not_closed", err)
	}
	op := e.closedItem(true)
	photos := e.photos(op)
	for _, tc := range []struct {
		name  string
		staff uint64
		in    models.PublishInput
		want  error
	}{
		{"another station's clerk", e.clerkW.ID, pubText, models.ErrOpinionNotFound},
		{"the township office", e.township.ID, pubText, models.ErrPublishForbidden},
		{"a phone in the result", e.clerkE.ID, models.PublishInput{Summary: pubText.Summary, Result: "已电话告知13800138000"}, models.ErrInvalid},
		{"the person's name", e.clerkE.ID, models.PublishInput{Summary: "王桂芳反映路面塌陷", Result: pubText.Result}, models.ErrInvalid},
		{"a house number", e.clerkE.ID, models.PublishInput{Summary: "东门小区3号楼前路面塌陷", Result: pubText.Result}, models.ErrInvalid},
		{"no summary", e.clerkE.ID, models.PublishInput{Result: pubText.Result}, models.ErrInvalid},
		{"another item's photo", e.clerkE.ID, models.PublishInput{Summary: pubText.Summary, Result: pubText.Result, PhotoIDs: []uint64{e.photos(open)[0]}}, models.ErrInvalid},
		{"a photo twice", e.clerkE.ID, models.PublishInput{Summary: pubText.Summary, Result: pubText.Result, PhotoIDs: []uint64{photos[0], photos[0]}}, models.ErrInvalid},
	} {
		if _, err := models.PublishOpinion(ctx, e.db, tc.staff, op.ID, tc.in, at, pubLoc, e.cal); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	var n int64
	e.db.Model(&models.OpinionPublication{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d publications after refusals, want none", n)
	}

	in := pubText
	in.PhotoIDs = photos[1:]
	p, err := models.PublishOpinion(ctx, e.db, e.clerkE.ID, op.ID, in, at, pubLoc, e.cal)
	if err != nil {
		t.Fatal(err)
	}
	// Filed Tuesday 11-03, closed Monday 11-09: 4 working days after the
	// filing day (Wed, Thu, Fri, Mon).
	if p.FiledOn != "2026-11-03" || p.ClosedOn != "2026-11-09" || p.WorkingDays != 4 || p.StationID != e.east.ID {
		t.Errorf("publication: %+v", p)
	}
	if _, err := models.PublishOpinion(ctx, e.db, e.boss.ID, op.ID, pubText, at, pubLoc, e.cal); !errors.Is(err, models.ErrAlreadyPublished) {
		t.Errorf("second publish: %v, want already_published", err)
	}
	if err := models.WithdrawPublication(ctx, e.db, e.township.ID, op.ID, at); !errors.Is(err, models.ErrPublishForbidden) {
		t.Errorf("township withdraws: %v", err)
	}
	if err := models.WithdrawPublication(ctx, e.db, e.boss.ID, op.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := models.WithdrawPublication(ctx, e.db, e.boss.ID, op.ID, at.Add(time.Hour)); !errors.Is(err, models.ErrNotPublished) {
		t.Errorf("second withdrawal: %v, want not_published", err)
	}
	if _, err := models.GetPublicResult(ctx, e.db, p.ID, pubLoc); !errors.Is(err, models.ErrResultNotFound) {
		t.Errorf("withdrawn result read: %v", err)
	}
	again, err := models.PublishOpinion(ctx, e.db, e.clerkE.ID, op.ID, pubText, at.Add(2*time.Hour), pubLoc, e.cal)
	if err != nil || again.ID != p.ID || again.PhotoIDs != "" {
		t.Errorf("publish again: %+v, %v; want the same row %d without photos", again, err, p.ID)
	}
	if got, err := models.GetPublicResult(ctx, e.db, p.ID, pubLoc); err != nil || got.Summary != pubText.Summary || len(got.Photos) != 0 {
		t.Errorf("republished result: %+v, %v", got, err)
	}

	var kinds []string
	must(t, e.db.Model(&models.OpinionTimelineEntry{}).Where("opinion_id = ?", op.ID).Order("id").Pluck("kind", &kinds).Error)
	if got := strings.Join(kinds, ","); !strings.HasSuffix(got, "published,unpublished,published") {
		t.Errorf("timeline kinds %s", got)
	}
	var actions []string
	must(t, e.db.Model(&models.AuditLog{}).Where("entity_kind = ? AND entity_id = ? AND action LIKE ?", "opinion", op.ID, "opinion.%publish").
		Order("id").Pluck("action", &actions).Error)
	if got := strings.Join(actions, ","); got != "opinion.publish,opinion.unpublish,opinion.publish" {
		t.Errorf("audit %s", got)
	}
}

// Ensure that staff publishing one item at the same moment publish it
// once: one succeeds, the others are told it is already public, one row.
// On MariaDB the goroutines really race on the item's row lock.
func TestPublishOpinionRace(t *testing.T) {
	e := newPubEnv(t)
	op := e.closedItem(true)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			staff := e.clerkE.ID
			if i%2 == 1 {
				staff = e.boss.ID
			}
			_, errs[i] = models.PublishOpinion(context.Background(), e.db, staff, op.ID, pubText, pubT0.Add(8*24*time.Hour), pubLoc, e.cal)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, models.ErrAlreadyPublished):
			t.Errorf("racing publish: %v", err)
		}
	}
	var rows, steps int64
	e.db.Model(&models.OpinionPublication{}).Where("opinion_id = ?", op.ID).Count(&rows)
	e.db.Model(&models.OpinionTimelineEntry{}).Where("opinion_id = ? AND kind = ?", op.ID, models.TimelinePublished).Count(&steps)
	if ok != 1 || rows != 1 || steps != 1 {
		t.Errorf("%d publishes succeeded, %d rows, %d timeline steps; want 1 each", ok, rows, steps)
	}
}

// Ensure a voter's declared community is set, cleared, refused when it
// does not exist, and forgotten when the community is deleted or the
// voter erased.
func TestVoterCommunity(t *testing.T) {
	ctx := context.Background()
	e := newPubEnv(t)
	var comm models.Community
	must(t, e.db.Order("id").First(&comm).Error)
	openid := "oCommunityVoter"
	v, err := models.UpsertMPVoter(ctx, e.db, openid, "")
	must(t, err)
	if _, err := models.SetVoterCommunity(ctx, e.db, v.ID, ptr(uint64(999999)), pubT0); !errors.Is(err, models.ErrCommunityNotFound) {
		t.Errorf("unknown community: %v", err)
	}
	v, err = models.SetVoterCommunity(ctx, e.db, v.ID, &comm.ID, pubT0)
	if err != nil || v.CommunityID == nil || *v.CommunityID != comm.ID {
		t.Fatalf("set: %+v, %v", v, err)
	}
	if ref, err := models.VoterCommunity(ctx, e.db, v); err != nil || ref == nil || ref.Name != comm.Name {
		t.Errorf("named: %+v, %v", ref, err)
	}
	if v, err = models.SetVoterCommunity(ctx, e.db, v.ID, nil, pubT0); err != nil || v.CommunityID != nil {
		t.Errorf("clear: %+v, %v", v, err)
	}
	items, err := models.ListCommunityItems(ctx, e.db, "")
	if err != nil || len(items) == 0 {
		t.Fatalf("all communities: %d, %v", len(items), err)
	}
	match, err := models.ListCommunityItems(ctx, e.db, comm.Name)
	if err != nil || len(match) == 0 || match[0].ID != comm.ID {
		t.Errorf("match %q: %+v, %v", comm.Name, match, err)
	}
	if _, err := models.SetVoterCommunity(ctx, e.db, v.ID, &comm.ID, pubT0); err != nil {
		t.Fatal(err)
	}
	if _, err := models.EraseVoter(ctx, e.db, v.ID, pubT0, nil); err != nil {
		t.Fatal(err)
	}
	var left int64
	e.db.Model(&models.Voter{}).Where("community_id IS NOT NULL").Count(&left)
	if left != 0 {
		t.Errorf("%d voters still hold a community after the erasure", left)
	}
}

func ptr[T any](v T) *T { return &v }
