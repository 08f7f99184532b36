package broadcasts

import (
	"context"
	"fmt"
	"time"

	"deputylink/models"

	"gorm.io/gorm"
)

// The demo county's 空中讲堂: a 法律知识 article sent five days ago and
// a 培训通知 sent two days ago for a session next week, both from the
// county office to every deputy, with some reads and sign-ups, made
// through the same rules as the console's (Create, Read, SignUp).
// docs/ARCHITECTURE.md#broadcasts.

// The demo articles' titles (LoadDemo finds them by title).
const (
	DemoLawTitle      = "代表法知识：闭会期间代表的权利和义务"
	DemoTrainingTitle = "关于举办代表履职能力培训班的通知"
)

const demoLawBody = `《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》规定，代表在本级人民代表大会闭会期间，参加由本级人大常委会或者乡、镇人民代表大会主席团安排的代表活动。

一、闭会期间的活动：视察、专题调研、执法检查，列席本级人大常委会会议，联系原选区选民、走访群众，参加代表小组活动等。

二、联系选民：代表应当与原选区选民保持密切联系，听取和反映他们的意见和要求。县、乡两级人大代表可以通过代表联络站接待日、走访等多种方式听取选民意见。

三、提出建议：代表有权依法提出对各方面工作的建议、批评和意见，有关机关、组织应当认真研究办理并负责答复。

请各位代表结合本人履职实际认真学习，在接待日和走访选民时主动宣传。`

const demoTrainingBody = `各位代表：

为提高代表依法履职能力，县人大常委会定于下周举办代表履职能力培训班。

一、培训内容：代表建议的提出与督办；在代表联络站接待选民的方法；履职档案的记录与考评。

二、参加人员：全体县人大代表，乡镇人大代表自愿参加。

三、有关要求：请在本页面点击“我要报名”，报名截止前可以取消。培训当天请携带代表证，到场后在签到台签到，签到记入本人履职档案（学习培训）。`

// LoadDemo sends the demo county's two broadcasts, as its admin, dated
// back from now in loc, and has some deputies read them and sign up for
// the training. Call it after models.LoadDemo. It is idempotent: an
// article whose title exists is left alone. created is how many articles
// it sent.
func LoadDemo(ctx context.Context, db *gorm.DB, now time.Time, loc *time.Location) (created int, err error) {
	loc = models.OrLoc(loc)
	var admin models.Staff
	if err := db.WithContext(ctx).Where("role = ?", models.RoleAdmin).Order("id").Take(&admin).Error; err != nil {
		return 0, fmt.Errorf("demo broadcasts: no admin (run the demo loader first): %w", err)
	}
	sc, err := models.ManageScopeOf(admin)
	if err != nil {
		return 0, err
	}
	local := now.In(loc)
	day := func(days, hh, mm int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+days, hh, mm, 0, 0, loc)
	}
	// The session: Wednesday of next week, 14:30; sign-ups until Monday 18:00.
	toWed := (int(time.Wednesday)-int(local.Weekday())+7)%7 + 7
	articles := []struct {
		in   NewBroadcast
		sent time.Time
		// every: one deputy in every reads, one in every signs (0: none).
		reads, signs int
	}{
		{NewBroadcast{Kind: models.BroadcastLaw, Title: DemoLawTitle, Body: demoLawBody, Audience: models.AudienceAll},
			day(-5, 9, 30), 3, 0},
		{NewBroadcast{Kind: models.BroadcastTraining, Title: DemoTrainingTitle, Body: demoTrainingBody,
			Audience: models.AudienceAll, SessionAt: day(toWed, 14, 30), SessionPlace: "县人大常委会三楼会议室",
			SignupUntil: day(toWed-2, 18, 0)},
			day(-2, 10, 0), 2, 4},
	}
	for _, a := range articles {
		var n int64
		if err := db.WithContext(ctx).Model(&models.Broadcast{}).Where("title = ?", a.in.Title).Count(&n).Error; err != nil {
			return created, models.Translate(err)
		}
		if n > 0 {
			continue
		}
		// No notices: the demo's deputies follow no official account.
		s, err := Create(ctx, db, sc, a.in, models.NotifyConfig{Location: loc}, a.sent)
		if err != nil {
			return created, fmt.Errorf("demo broadcast %q: %w", a.in.Title, err)
		}
		created++
		var ids []uint64
		if err := db.WithContext(ctx).Model(&models.BroadcastRecipient{}).Where("broadcast_id = ?", s.Broadcast.ID).
			Order("deputy_id").Pluck("deputy_id", &ids).Error; err != nil {
			return created, models.Translate(err)
		}
		for i, dep := range ids {
			at := a.sent.Add(time.Duration(40+i*37) * time.Minute)
			if at.After(now) {
				break
			}
			if a.signs > 0 && i%a.signs == 0 {
				if _, err := SignUp(ctx, db, dep, s.Broadcast.ID, at); err != nil {
					return created, err
				}
			} else if i%a.reads != a.reads-1 {
				if _, err := Read(ctx, db, dep, s.Broadcast.ID, at); err != nil {
					return created, err
				}
			}
		}
	}
	return created, nil
}
