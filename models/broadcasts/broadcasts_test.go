package broadcasts_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
	"deputylink/models/broadcasts"
	"deputylink/models/modelstest"

	"gorm.io/gorm"
)

var cst = time.FixedZone("CST", 8*3600)

func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, cst) }

// env is a small county: two stations of 城关镇 (A, B) and one of 河口镇
// (C); deputies of each level, bound and unbound, one retired, one who
// serves at B besides their primary station C; a county group and a
// township group; the county office and 城关镇's office.
type env struct {
	t        *testing.T
	ctx      context.Context
	db       *gorm.DB
	a, b, c  models.Station
	deps     map[string]models.Deputy
	county   models.ManageScope
	township models.ManageScope
	group    models.DeputyGroup // county group: 赵一, 钱四, 周六 (retired)
	tgroup   models.DeputyGroup // 城关镇 group: 钱二, 孙三
	cfg      models.NotifyConfig
	now      time.Time
}

const publicURL = "https://rd.example.gov.cn"

func newEnv(t *testing.T) *env {
	t.Helper()
	db := modelstest.NewDB(t)
	e := &env{t: t, ctx: context.Background(), db: db, deps: map[string]models.Deputy{}, now: at(2026, 12, 14, 10, 0)}
	station := func(name, district string) models.Station {
		st := models.Station{Kind: models.KindStation, Name: name, Address: district + "中街1号", District: district,
			OpenHours: "周一至周五 9:00-17:00"}
		e.must(db.Create(&st).Error)
		return st
	}
	e.a, e.b, e.c = station("东门社区代表联络站", "城关镇"), station("西关社区代表联络站", "城关镇"), station("河口镇代表之家", "河口镇")
	for _, d := range []struct {
		name    string
		level   models.Level
		station uint64
		bound   bool
		status  models.DeputyStatus
	}{
		{"赵一", models.LevelCounty, e.a.ID, true, models.DeputyActive},
		{"钱二", models.LevelTownship, e.a.ID, false, models.DeputyActive},
		{"孙三", models.LevelTownship, e.b.ID, true, models.DeputyActive},
		{"李四", models.LevelTownship, e.c.ID, true, models.DeputyActive},
		{"钱四", models.LevelCounty, e.c.ID, true, models.DeputyActive}, // also serves at B
		{"周六", models.LevelCounty, e.a.ID, true, models.DeputyRetired},
	} {
		e.deps[d.name] = e.deputy(d.name, d.level, d.station, d.bound, d.status)
	}
	e.must(db.Exec("INSERT INTO deputy_stations (deputy_id, station_id) VALUES (?, ?)", e.deps["钱四"].ID, e.b.ID).Error)
	e.group = e.newGroup("县人大代表第一小组", "", "赵一", "钱四", "周六")
	e.tgroup = e.newGroup("城关镇代表小组", "城关镇", "钱二", "孙三")
	e.county = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 1}, All: true}
	e.township = models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 2}, Township: "城关镇"}
	notice, err := config.ParseTemplateSpec("tplWork|title=thing1,sender=thing2,time=time3")
	e.must(err)
	e.cfg = models.NotifyConfig{Deputy: config.DeputyNotify{Notice: notice, PerWeek: 3},
		Opinion: config.OpinionNotify{PublicURL: publicURL}, Location: cst}
	return e
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deputy(name string, level models.Level, station uint64, bound bool, status models.DeputyStatus) models.Deputy {
	e.t.Helper()
	d := models.Deputy{Name: name, Level: level, StationID: station, Status: status, Term: "第十八届"}
	if bound {
		d.OAOpenID = ptr(fmt.Sprintf("oDeputy-%s-%d", name, station))
	}
	e.must(e.db.Create(&d).Error)
	return d
}

func (e *env) newGroup(name, township string, members ...string) models.DeputyGroup {
	e.t.Helper()
	g := models.DeputyGroup{Name: name, Township: township}
	e.must(e.db.Create(&g).Error)
	for _, m := range members {
		e.must(e.db.Exec("INSERT INTO deputy_group_members (deputy_group_id, deputy_id) VALUES (?, ?)", g.ID, e.deps[m].ID).Error)
	}
	return g
}

func (e *env) names(ids ...uint64) []string {
	var out []string
	for n, d := range e.deps {
		if slices.Contains(ids, d.ID) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// article is a law article to everyone in the scope.
func article(title string) broadcasts.NewBroadcast {
	return broadcasts.NewBroadcast{Kind: models.BroadcastLaw, Title: title,
		Body:     "《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》第二十条规定，代表应当与原选区选民保持密切联系。",
		Audience: models.AudienceAll}
}

func (e *env) send(sc models.ManageScope, in broadcasts.NewBroadcast, now time.Time) broadcasts.Sent {
	e.t.Helper()
	s, err := broadcasts.Create(e.ctx, e.db, sc, in, e.cfg, now)
	if err != nil {
		e.t.Fatalf("send %q: %v", in.Title, err)
	}
	return s
}

func (e *env) recipients(id uint64) map[string]models.BroadcastRecipient {
	e.t.Helper()
	var rs []models.BroadcastRecipient
	e.must(e.db.Where("broadcast_id = ?", id).Find(&rs).Error)
	out := map[string]models.BroadcastRecipient{}
	for _, r := range rs {
		out[e.names(r.DeputyID)[0]] = r
	}
	return out
}

func (e *env) notices(id uint64) map[string]models.Notification {
	e.t.Helper()
	var ns []models.Notification
	e.must(e.db.Where("dedupe_key LIKE ?", fmt.Sprintf("broadcast:%d:deputy:%%", id)).Find(&ns).Error)
	out := map[string]models.Notification{}
	for _, n := range ns {
		for name, d := range e.deps {
			if n.DedupeKey == models.BroadcastNoticeKey(id, d.ID) {
				out[name] = n
			}
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func ptr[T any](v T) *T { return &v }

// Ensure each audience picks the right deputies: the county office's
// "all" is every active deputy, a township office's is those serving in
// its township (primary or other station, any level); a group is its
// active members, a township office only its own groups; stations take
// primary and other stations, a township office only its own. Retired
// deputies get nothing; an unbound deputy gets a recipient row but no
// notice.
func TestAudiences(t *testing.T) {
	e := newEnv(t)
	e.cfg.Deputy.PerWeek = 100 // the cap is TestWeeklyCap's
	for _, tc := range []struct {
		name string
		sc   models.ManageScope
		in   func(*broadcasts.NewBroadcast)
		want []string
	}{
		{"county all", e.county, func(*broadcasts.NewBroadcast) {}, []string{"孙三", "李四", "赵一", "钱二", "钱四"}},
		{"township all", e.township, func(*broadcasts.NewBroadcast) {}, []string{"孙三", "赵一", "钱二", "钱四"}},
		{"county group", e.county, func(in *broadcasts.NewBroadcast) {
			in.Audience, in.GroupID = models.AudienceGroup, e.group.ID
		}, []string{"赵一", "钱四"}},
		{"township's own group", e.township, func(in *broadcasts.NewBroadcast) {
			in.Audience, in.GroupID = models.AudienceGroup, e.tgroup.ID
		}, []string{"孙三", "钱二"}},
		{"station B (primary and other)", e.county, func(in *broadcasts.NewBroadcast) {
			in.Audience, in.StationIDs = models.AudienceStations, []uint64{e.b.ID}
		}, []string{"孙三", "钱四"}},
		{"stations A and C", e.county, func(in *broadcasts.NewBroadcast) {
			in.Audience, in.StationIDs = models.AudienceStations, []uint64{e.a.ID, e.c.ID, e.a.ID}
		}, []string{"李四", "赵一", "钱二", "钱四"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := article("代表法学习：" + tc.name)
			tc.in(&in)
			s := e.send(tc.sc, in, e.now)
			rs := e.recipients(s.Broadcast.ID)
			if got := keys(rs); !slices.Equal(got, tc.want) {
				t.Fatalf("recipients %v, want %v", got, tc.want)
			}
			ns := e.notices(s.Broadcast.ID)
			for name, r := range rs {
				bound := e.deps[name].OAOpenID != nil
				if _, ok := ns[name]; ok != bound || (r.NotifiedAt != nil) != bound || r.Capped {
					t.Errorf("%s (bound %v): notice %v, row %+v", name, bound, ok, r)
				}
			}
			if len(ns) != s.Notified || s.Recipients != len(tc.want) || s.Notified+s.Unbound != s.Recipients {
				t.Errorf("sent %+v, %d notices", s, len(ns))
			}
			if tc.sc.All == (s.Broadcast.Township != "") {
				t.Errorf("township %q for scope %+v", s.Broadcast.Township, tc.sc)
			}
		})
	}
	// Out of the township's scope: another's group, another's station.
	for _, tc := range []struct {
		name  string
		in    func(*broadcasts.NewBroadcast)
		field string
	}{
		{"county group", func(in *broadcasts.NewBroadcast) { in.Audience, in.GroupID = models.AudienceGroup, e.group.ID }, "group_id"},
		{"station of 河口镇", func(in *broadcasts.NewBroadcast) {
			in.Audience, in.StationIDs = models.AudienceStations, []uint64{e.a.ID, e.c.ID}
		}, "station_ids"},
		{"unknown station", func(in *broadcasts.NewBroadcast) {
			in.Audience, in.StationIDs = models.AudienceStations, []uint64{9999}
		}, "station_ids"},
	} {
		in := article("越权发送：" + tc.name)
		tc.in(&in)
		_, err := broadcasts.Create(e.ctx, e.db, e.township, in, e.cfg, e.now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
		}
	}
	// A group with only retired members reaches nobody.
	empty := e.newGroup("退休代表小组", "", "周六")
	in := article("无人可发")
	in.Audience, in.GroupID = models.AudienceGroup, empty.ID
	if _, err := broadcasts.Create(e.ctx, e.db, e.county, in, e.cfg, e.now); !errors.Is(err, broadcasts.ErrNoRecipients) {
		t.Errorf("retired-only group: %v, want ErrNoRecipients", err)
	}
	// A clerk has no scope to send from.
	if _, err := broadcasts.Create(e.ctx, e.db, models.ManageScope{}, article("职员发送"), e.cfg, e.now); !errors.Is(err, models.ErrManageForbidden) {
		t.Errorf("clerk: %v", err)
	}
	// The township office sees its own broadcasts only; the county all.
	own, err := broadcasts.List(e.ctx, e.db, e.township, 0)
	e.must(err)
	all, err := broadcasts.List(e.ctx, e.db, e.county, 0)
	e.must(err)
	if len(own) != 2 || len(all) != 6 || own[0].AudienceText != "城关镇代表小组" || own[1].AudienceText != "城关镇全体代表" {
		t.Errorf("township lists %d (%+v), county %d", len(own), own, len(all))
	}
	if _, err := broadcasts.Get(e.ctx, e.db, e.township, all[0].Broadcast.ID); !errors.Is(err, broadcasts.ErrNotFound) {
		t.Errorf("township gets the county's broadcast: %v", err)
	}
}

// Ensure the notice says nothing of the article: its fields are the fixed
// title, the sender and the time, mapped onto the template's keywords; it
// links to the deputy's page of the article, under its own dedupe key.
func TestNoticeHoldsNoContent(t *testing.T) {
	e := newEnv(t)
	in := article("关于开展秸秆禁烧专项视察的通知")
	in.Body = "请各位代表于十二月二十日前往河口镇开展秸秆禁烧专项视察，届时请携带代表证。"
	s := e.send(e.county, in, e.now)
	ns := e.notices(s.Broadcast.ID)
	if len(ns) != 4 {
		t.Fatalf("%d notices, want the 4 bound deputies", len(ns))
	}
	words := []string{in.Title, "秸秆", "禁烧", "视察", "代表证", "法律知识"}
	for name, n := range ns {
		fields, err := n.Data()
		e.must(err)
		want := map[string]string{"thing1": "您有一条新的工作通知", "thing2": "县人大常委会办公室", "time3": "2026年12月14日 10:00"}
		if !maps(fields, want) {
			t.Errorf("%s: fields %v, want %v", name, fields, want)
		}
		for _, v := range fields {
			for _, w := range words {
				if strings.Contains(v, w) {
					t.Errorf("%s: field %q carries %q of the article", name, v, w)
				}
			}
		}
		if n.URL != fmt.Sprintf("%s/console/me/broadcasts/%d", publicURL, s.Broadcast.ID) || n.TemplateID != "tplWork" ||
			n.Channel != models.ChannelTemplate || n.ToUser != *e.deps[name].OAOpenID {
			t.Errorf("%s: %+v", name, n)
		}
	}
	// A township's training: its own sender and title.
	tr := training(e, "城关镇代表履职培训")
	s = e.send(e.township, tr, e.now)
	for name, n := range e.notices(s.Broadcast.ID) {
		if f, _ := n.Data(); f["thing1"] != "您有一条培训通知" || f["thing2"] != "城关镇人大主席团" {
			t.Errorf("%s: training notice %v", name, f)
		}
	}
	// Without a template nobody is notified; everyone still gets the article.
	e.cfg.Deputy.Notice = config.TemplateSpec{}
	s = e.send(e.county, article("无模板时的文章"), e.now)
	if len(e.notices(s.Broadcast.ID)) != 0 || s.Notified != 0 || s.Recipients != 5 || s.Capped != 0 {
		t.Errorf("unconfigured: %+v", s)
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// training is a training next Monday at 14:30, sign-up until Friday 18:00.
func training(e *env, title string) broadcasts.NewBroadcast {
	return broadcasts.NewBroadcast{Kind: models.BroadcastTraining, Title: title,
		Body:         "培训内容：代表建议的提出与督办。请报名参加。",
		Audience:     models.AudienceAll,
		SessionAt:    at(2026, 12, 21, 14, 30),
		SessionPlace: "县人大常委会三楼会议室",
		SignupUntil:  at(2026, 12, 18, 18, 0),
	}
}

// Ensure the weekly cap holds: with the default 3, a deputy's 4th notice
// within seven days is held back (Capped, no outbox row) and they still
// list and read the article; seven days after the first, notices flow
// again; a lower cap holds too.
func TestWeeklyCap(t *testing.T) {
	e := newEnv(t)
	e.cfg.Deputy.PerWeek = 0 // unset: the default, 3
	zhao := e.deps["赵一"]
	only := func(title string) broadcasts.NewBroadcast {
		in := article(title)
		in.Audience, in.StationIDs = models.AudienceStations, []uint64{e.a.ID} // 赵一 and 钱二 (unbound)
		return in
	}
	var ids []uint64
	for i, day := range []int{14, 15, 17, 19} {
		s := e.send(e.county, only(fmt.Sprintf("第%d期工作动态", i+1)), at(2026, 12, day, 9, 0))
		ids = append(ids, s.Broadcast.ID)
		r := e.recipients(s.Broadcast.ID)["赵一"]
		capped := i == 3
		if r.Capped != capped || (r.NotifiedAt == nil) != capped || s.Capped != btoi(capped) {
			t.Errorf("notice %d: row %+v, sent %+v", i+1, r, s)
		}
		if _, ok := e.notices(s.Broadcast.ID)["赵一"]; ok == capped {
			t.Errorf("notice %d: outbox row %v", i+1, ok)
		}
		if e.recipients(s.Broadcast.ID)["钱二"].Capped {
			t.Errorf("an unbound deputy is never capped")
		}
	}
	list, err := broadcasts.ForDeputy(e.ctx, e.db, zhao.ID, 0)
	e.must(err)
	if len(list) != 4 || list[0].Broadcast.ID != ids[3] || list[0].Broadcast.Body != "" {
		t.Fatalf("list %+v", list)
	}
	if a, err := broadcasts.Read(e.ctx, e.db, zhao.ID, ids[3], at(2026, 12, 19, 20, 0)); err != nil || a.Broadcast.Title != "第4期工作动态" || !a.Recipient.Capped {
		t.Errorf("read the capped article: %+v %v", a, err)
	}
	// 21 Dec 9:01: the notice of the 14th is more than seven days old.
	s := e.send(e.county, only("第5期工作动态"), at(2026, 12, 21, 9, 1))
	if r := e.recipients(s.Broadcast.ID)["赵一"]; r.Capped || r.NotifiedAt == nil {
		t.Errorf("after a week: %+v", r)
	}
	// A cap of 1: the next one the same week is held back.
	e.cfg.Deputy.PerWeek = 1
	s = e.send(e.county, only("第6期工作动态"), at(2026, 12, 22, 9, 0))
	if r := e.recipients(s.Broadcast.ID)["赵一"]; !r.Capped {
		t.Errorf("cap 1: %+v", r)
	}
	sums, err := broadcasts.List(e.ctx, e.db, e.county, 0)
	e.must(err)
	if sums[0].Capped != 1 || sums[0].Recipients != 2 || sums[0].Notified != 0 {
		t.Errorf("summary %+v", sums[0])
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Ensure a read is recorded once: the first read's time stays, a later
// read changes nothing, other deputies are untouched, and an article that
// did not go to a deputy is not found for them.
func TestReadRecordedOnce(t *testing.T) {
	e := newEnv(t)
	s := e.send(e.county, article("代表法第二十条"), e.now)
	zhao, li := e.deps["赵一"], e.deps["李四"]
	if n, err := broadcasts.Unread(e.ctx, e.db, zhao.ID); err != nil || n != 1 {
		t.Fatalf("unread %d %v", n, err)
	}
	first := e.now.Add(time.Hour)
	a, err := broadcasts.Read(e.ctx, e.db, zhao.ID, s.Broadcast.ID, first)
	if err != nil || a.Recipient.ReadAt == nil || !a.Recipient.ReadAt.Equal(first) || a.Broadcast.Body == "" || a.CanSignUp {
		t.Fatalf("first read %+v %v", a, err)
	}
	a, err = broadcasts.Read(e.ctx, e.db, zhao.ID, s.Broadcast.ID, first.Add(time.Hour))
	if err != nil || !a.Recipient.ReadAt.Equal(first) {
		t.Errorf("second read moved the time: %+v %v", a.Recipient, err)
	}
	if r := e.recipients(s.Broadcast.ID)["李四"]; r.ReadAt != nil {
		t.Errorf("another deputy's row changed: %+v", r)
	}
	if n, _ := broadcasts.Unread(e.ctx, e.db, zhao.ID); n != 0 {
		t.Errorf("unread after reading: %d", n)
	}
	d, err := broadcasts.Get(e.ctx, e.db, e.county, s.Broadcast.ID)
	if err != nil || d.Read != 1 || len(d.Rows) != 5 {
		t.Errorf("office view %+v %v", d.Summary, err)
	}
	// 李四 gets nothing of the township's article, nor of a missing one.
	ts := e.send(e.township, article("城关镇工作动态"), e.now)
	for _, id := range []uint64{ts.Broadcast.ID, 0, 99999} {
		if _, err := broadcasts.Read(e.ctx, e.db, li.ID, id, e.now); !errors.Is(err, broadcasts.ErrNotFound) {
			t.Errorf("read %d: %v, want ErrNotFound", id, err)
		}
	}
}

// Ensure reads racing for one deputy record one time: every caller sees
// the same ReadAt, the time of one of them.
func TestReadRace(t *testing.T) {
	e := newEnv(t)
	s := e.send(e.county, article("代表法第二十一条"), e.now)
	zhao := e.deps["赵一"]
	const n = 16
	got := make([]time.Time, n)
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan int)
	for i := range n {
		go func() {
			<-start
			a, err := broadcasts.Read(e.ctx, e.db, zhao.ID, s.Broadcast.ID, e.now.Add(time.Duration(i+1)*time.Minute))
			if err == nil {
				got[i] = *a.Recipient.ReadAt
			}
			errs[i] = err
			done <- i
		}()
	}
	close(start)
	for range n {
		<-done
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("read %d: %v", i, errs[i])
		}
		if !got[i].Equal(got[0]) {
			t.Errorf("read %d saw %v, read 0 saw %v", i, got[i], got[0])
		}
	}
	if d := got[0].Sub(e.now); d < time.Minute || d > n*time.Minute || d%time.Minute != 0 {
		t.Errorf("ReadAt %v is none of the readers' times", got[0])
	}
	if r := e.recipients(s.Broadcast.ID)["赵一"]; !r.ReadAt.Equal(got[0]) {
		t.Errorf("stored %v, returned %v", r.ReadAt, got[0])
	}
}

// Ensure two broadcasts sent at once to a deputy near the cap cannot both
// pass it: with 2 notices in the week and a cap of 3, four sends racing
// notify once and hold back three.
func TestCapRace(t *testing.T) {
	e := newEnv(t)
	onlyA := func(title string) broadcasts.NewBroadcast {
		in := article(title)
		in.Audience, in.StationIDs = models.AudienceStations, []uint64{e.a.ID}
		return in
	}
	e.send(e.county, onlyA("本周第1期"), e.now)
	e.send(e.county, onlyA("本周第2期"), e.now)
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := broadcasts.Create(e.ctx, e.db, e.county, onlyA(fmt.Sprintf("并发第%d期", i+1)), e.cfg, e.now.Add(time.Minute))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	var notified, capped int64
	zhao := e.deps["赵一"].ID
	e.must(e.db.Model(&models.BroadcastRecipient{}).Where("deputy_id = ? AND notified_at IS NOT NULL", zhao).Count(&notified).Error)
	e.must(e.db.Model(&models.BroadcastRecipient{}).Where("deputy_id = ? AND capped = ?", zhao, true).Count(&capped).Error)
	var queued int64
	e.must(e.db.Model(&models.Notification{}).Where("to_user = ?", *e.deps["赵一"].OAOpenID).Count(&queued).Error)
	if notified != 3 || capped != 3 || queued != 3 {
		t.Errorf("notified %d, capped %d, queued %d; want 3, 3, 3", notified, capped, queued)
	}
}

// Ensure bad input is refused with the field named and nothing written.
func TestCreateRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		field string
		edit  func(*broadcasts.NewBroadcast)
	}{
		{"kind", func(in *broadcasts.NewBroadcast) { in.Kind = "poem" }},
		{"title", func(in *broadcasts.NewBroadcast) { in.Title = " 通 " }},
		{"title", func(in *broadcasts.NewBroadcast) { in.Title = strings.Repeat("长", 101) }},
		{"body", func(in *broadcasts.NewBroadcast) { in.Body = " \n " }},
		{"body", func(in *broadcasts.NewBroadcast) { in.Body = strings.Repeat("字", 20001) }},
		{"audience", func(in *broadcasts.NewBroadcast) { in.Audience = "everyone" }},
		{"group_id", func(in *broadcasts.NewBroadcast) { in.Audience = models.AudienceGroup }},
		{"group_id", func(in *broadcasts.NewBroadcast) { in.Audience, in.GroupID = models.AudienceGroup, 4242 }},
		{"station_ids", func(in *broadcasts.NewBroadcast) { in.Audience = models.AudienceStations }},
		{"attachment", func(in *broadcasts.NewBroadcast) {
			in.Attachment = &broadcasts.Attachment{Kind: "exe", Name: "a.exe", Path: broadcasts.AttachmentDir + "/a.exe", Size: 9}
		}},
		{"attachment", func(in *broadcasts.NewBroadcast) {
			in.Attachment = &broadcasts.Attachment{Kind: models.ReplyFilePDF, Name: "a.pdf", Path: "../etc/passwd", Size: 9}
		}},
		{"session_at", func(in *broadcasts.NewBroadcast) { *in = training(e, "无时间培训"); in.SessionAt = time.Time{} }},
		{"session_at", func(in *broadcasts.NewBroadcast) {
			*in = training(e, "过去的培训")
			in.SessionAt = e.now.Add(-time.Hour)
		}},
		{"session_place", func(in *broadcasts.NewBroadcast) { *in = training(e, "无地点培训"); in.SessionPlace = "" }},
		{"signup_until", func(in *broadcasts.NewBroadcast) {
			*in = training(e, "截止晚于开始")
			in.SignupUntil = in.SessionAt.Add(time.Hour)
		}},
		{"signup_until", func(in *broadcasts.NewBroadcast) {
			*in = training(e, "截止已过")
			in.SignupUntil = e.now.Add(-time.Minute)
		}},
	} {
		in := article("错误输入")
		tc.edit(&in)
		_, err := broadcasts.Create(e.ctx, e.db, e.county, in, e.cfg, e.now)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a validation error on it", tc.field, err)
		}
	}
	for _, table := range []any{&models.Broadcast{}, &models.BroadcastRecipient{}, &models.Notification{}, &models.AuditLog{}} {
		var n int64
		e.must(e.db.Model(table).Count(&n).Error)
		if n != 0 {
			t.Errorf("%T: %d rows written by refused sends", table, n)
		}
	}
	// A training without a sign-up deadline takes sign-ups until it starts;
	// an attachment is kept with its cleaned name.
	in := training(e, "截止默认为开始时间")
	in.SignupUntil = time.Time{}
	in.Attachment = &broadcasts.Attachment{Kind: models.ReplyFilePDF, Name: "培训/日程.pdf", Path: broadcasts.AttachmentDir + "/2026/12/x.pdf", Size: 1234}
	s := e.send(e.county, in, e.now)
	if !s.Broadcast.SignupUntil.Equal(in.SessionAt) || s.Broadcast.AttachmentName == "" || strings.Contains(s.Broadcast.AttachmentName, "/") {
		t.Errorf("sent %+v", s.Broadcast)
	}
	if b, err := broadcasts.StaffAttachment(e.ctx, e.db, e.county, s.Broadcast.ID); err != nil || b.AttachmentPath != in.Attachment.Path {
		t.Errorf("staff attachment %v", err)
	}
	if b, err := broadcasts.DeputyAttachment(e.ctx, e.db, e.deps["赵一"].ID, s.Broadcast.ID); err != nil || b.AttachmentSize != 1234 {
		t.Errorf("deputy attachment %v", err)
	}
	if _, err := broadcasts.DeputyAttachment(e.ctx, e.db, e.deps["周六"].ID, s.Broadcast.ID); !errors.Is(err, broadcasts.ErrNotFound) {
		t.Errorf("a non-recipient's attachment: %v", err)
	}
}
