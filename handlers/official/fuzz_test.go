package official_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"deputylink/handlers"
	"deputylink/models"
)

// FuzzOfficialPush feeds arbitrary push bodies, correctly signed, through
// the real router: in plain mode (mode 0, an account without an AES key),
// encrypted as a safe-mode push (mode 1), and as a raw safe-mode envelope
// (mode 2), both to an account with the key, over the same database and
// Redis. The endpoint must never panic or answer 5xx, and every reply it
// sends must parse (and in safe mode verify and decrypt).
//
//	go test -run XXX -fuzz FuzzOfficialPush -fuzztime 30s ./handlers/
func FuzzOfficialPush(f *testing.F) {
	var deps handlers.Deps
	plain := newOAEnv(f, false, func(d *handlers.Deps) {
		d.Log = slog.New(slog.DiscardHandler)
		deps = *d
	})
	deps.OA = oaConfig(true)
	aesRouter := handlers.NewRouter(deps)
	ctx := context.Background()
	st := models.Station{Kind: models.KindStation, Name: "模糊测试联络站", Address: "测试路1号", District: "城关镇", Lat: 30.27, Lng: 120.15, OpenHours: "周一"}
	if err := plain.db.Create(&st).Error; err != nil {
		f.Fatal(err)
	}
	dep := models.Deputy{Name: "测试代表", Level: models.LevelCounty, StationID: st.ID, Status: models.DeputyActive}
	if err := plain.db.Create(&dep).Error; err != nil {
		f.Fatal(err)
	}
	dc, err := models.CreateCode(ctx, plain.db, models.Code{Kind: models.CodeDeputy, TargetID: dep.ID})
	if err != nil {
		f.Fatal(err)
	}
	sc, err := models.CreateCode(ctx, plain.db, models.Code{Kind: models.CodeStation, TargetID: st.ID})
	if err != nil {
		f.Fatal(err)
	}

	const who = "oFuzzVoter01"
	seeds := []string{
		oaText(who, "6054768590064713728", "abcdteT"),
		oaText(who, "1", "预约"),
		oaText(who, "2", "我有意见"),
		oaText(who, "3", "<xml><a>nested</a></xml>"),
		oaText(who, "4", "]]>"),
		oaText(who, "5", "control \x02 character"),
		oaEvent(who, 1700000000, "SCAN", dc.Code),
		oaEvent(who, 1700000001, "subscribe", "qrscene_"+sc.Code),
		oaEvent(who, 1700000002, "subscribe", ""),
		oaEvent(who, 1700000003, "unsubscribe", ""),
		oaEvent(who, 1700000004, "CLICK", "MENU_STATIONS"),
		oaEvent(who, 1700000005, "SCAN", "ZZZZZZZZ"),
		oaLocation(who, "6", 30.27, 120.15),
		oaTemplateFinish(who, 1700000006, 42, "success"),
		fmt.Sprintf("<xml><FromUserName>%s</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>LOCATION</Event><Latitude>x</Latitude></xml>", who),
		"<xml><xml><xml>",
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><xml><FromUserName>&a;</FromUserName></xml>",
		"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[bm90IGNpcGhlcnRleHQ=]]></Encrypt></xml>",
		"",
		strings.Repeat("<a>", 200),
	}
	for _, s := range seeds {
		for mode := range uint8(3) {
			f.Add([]byte(s), mode)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		e := *plain
		e.t = t
		var r pushResult
		switch mode % 3 {
		case 0:
			r = e.push(string(body))
		case 1:
			e.aes, e.router = true, aesRouter
			r = e.push(string(body))
		case 2:
			e.aes, e.router = true, aesRouter
			r = e.pushWith("", pushOpts{rawBody: string(body)})
		}
		if r.status >= 500 {
			t.Fatalf("status %d for %q: %s", r.status, body, r.raw)
		}
		if r.status != 200 && r.status != 413 {
			t.Fatalf("status %d for a correctly signed push %q: %s", r.status, body, r.raw)
		}
	})
}
