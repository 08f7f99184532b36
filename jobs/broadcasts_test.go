package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"deputylink/config"
	"deputylink/models"
	"deputylink/models/broadcasts"
)

// TestBroadcastToSixtyDeputies sends an article to 60 bound deputies (and
// 3 unbound ones) and drains the outbox through the real dispatcher
// against a fake WeChat failing 20% of calls, four dispatchers racing:
// every bound deputy's openid receives exactly one message, carrying no
// word of the article and linking to their page of it; the unbound get
// the article but no message. Then every deputy reads it twice and the
// office counts one read each.
func TestBroadcastToSixtyDeputies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := models.Station{Kind: models.KindStation, Name: "东门社区代表联络站", Address: "城关镇东门街12号", District: "城关镇",
		OpenHours: "周一至周五 9:00-17:00"}
	if err := e.db.Create(&st).Error; err != nil {
		t.Fatal(err)
	}
	const bound, unbound = 60, 3
	openids := map[string]bool{}
	var deputies []uint64
	for i := range bound + unbound {
		d := models.Deputy{Name: fmt.Sprintf("代表%02d", i), Level: models.LevelCounty, StationID: st.ID,
			Status: models.DeputyActive, Term: "第十八届"}
		if i < bound {
			id := fmt.Sprintf("oDeputy%02d", i)
			d.OAOpenID, openids[id] = &id, true
		}
		if err := e.db.Create(&d).Error; err != nil {
			t.Fatal(err)
		}
		deputies = append(deputies, d.ID)
	}
	notice, err := config.ParseTemplateSpec("tplWork|title=thing1,sender=thing2,time=time3")
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.NotifyConfig{Deputy: config.DeputyNotify{Notice: notice},
		Opinion: config.OpinionNotify{PublicURL: "https://rd.example.gov.cn"}}
	admin := models.ManageScope{Actor: models.Actor{Kind: "staff", ID: 1}, All: true}
	title := "关于学习贯彻代表法的通知"
	sent, err := broadcasts.Create(ctx, e.db, admin, broadcasts.NewBroadcast{Kind: models.BroadcastNews, Title: title,
		Body: "各位代表：请认真学习新修改的代表法，做好闭会期间履职工作。", Audience: models.AudienceAll}, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if sent.Recipients != bound+unbound || sent.Notified != bound || sent.Unbound != unbound {
		t.Fatalf("sent %+v", sent)
	}

	e.fake.Seed(16)
	e.fake.FailRate(0.2)
	d := e.deps(t, Options{SendRate: 5000, MaxAttempts: 50, Batch: 8, Lease: 30 * time.Second,
		RetryDelay: func(int) time.Duration { return 0 }})
	drainRacing(t, d, bound)
	if c := statusCounts(t, e.db); c[models.NotifySent] != bound || c[models.NotifyDead]+c[models.NotifyFailed]+c[models.NotifySending]+c[models.NotifyQueued] != 0 {
		t.Fatalf("statuses %v", c)
	}

	st2 := templateStats(t, e.fake)
	if st2.failedCalls == 0 {
		t.Errorf("the fake failed no call of %d", st2.calls)
	}
	got := map[string]int{}
	link := fmt.Sprintf("https://rd.example.gov.cn/console/me/broadcasts/%d", sent.Broadcast.ID)
	for _, m := range e.fake.Templates() {
		got[m.ToUser]++
		if m.TemplateID != "tplWork" || m.URL != link {
			t.Errorf("message to %s: template %s, link %s", m.ToUser, m.TemplateID, m.URL)
		}
		for k, v := range m.Data {
			if strings.Contains(v, title) || strings.Contains(v, "代表法") || strings.Contains(v, "学习") {
				t.Errorf("message to %s: %s=%q carries the article", m.ToUser, k, v)
			}
		}
		if m.Data["thing1"] != "您有一条新的工作通知" || m.Data["thing2"] != "县人大常委会办公室" {
			t.Errorf("message to %s: %v", m.ToUser, m.Data)
		}
	}
	if len(got) != bound {
		t.Errorf("%d openids received messages, want %d", len(got), bound)
	}
	for id := range openids {
		if got[id] != 1 {
			t.Errorf("%s received %d messages, want 1", id, got[id])
		}
	}
	t.Logf("%d calls, %d failed", st2.calls, st2.failedCalls)

	// Every deputy opens the article twice: one read each.
	for i, dep := range deputies {
		for range 2 {
			if _, err := broadcasts.Read(ctx, e.db, dep, sent.Broadcast.ID, time.Now().Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, err := broadcasts.Get(ctx, e.db, admin, sent.Broadcast.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Read != bound+unbound || v.Notified != bound || v.Recipients != bound+unbound {
		t.Errorf("office view %+v", v.Summary)
	}
}
