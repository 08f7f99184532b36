package models_test

import (
	"fmt"
	"slices"
	"testing"

	"deputylink/models"
)

// The one statement a filing reads its handler and recipients with gives
// what PickHandler and stationRecipients give, for every station and
// category of the demo county (and the office queue), as contacts, bound
// openids and active flags change.
func TestFilingStaffMatchesPickHandler(t *testing.T) {
	e := newOpEnv(t)
	who := models.Actor{Kind: "staff", ID: e.staff["项海燕"].ID}
	stations := []uint64{0}
	for _, s := range e.st {
		stations = append(stations, s.ID)
	}
	slices.Sort(stations)
	cats := []uint64{0}
	for _, c := range e.cat {
		cats = append(cats, c.ID)
	}
	slices.Sort(cats)
	compare := func(stage string) {
		t.Helper()
		for _, st := range stations {
			for _, cat := range cats {
				handler, _, err := models.PickHandler(e.ctx, e.db, st, cat)
				if err != nil {
					t.Fatal(err)
				}
				op := models.Opinion{StationID: st}
				if handler != 0 {
					op.HandlerStaffID = &handler
				}
				recips, via, err := models.StationRecipients(e.db, op)
				if err != nil {
					t.Fatal(err)
				}
				gotH, gotR, gotVia, err := models.FilingStaff(e.ctx, e.db, st, cat)
				if err != nil {
					t.Fatal(err)
				}
				want, got := fmt.Sprint(handler, recips, via), fmt.Sprint(gotH, gotR, gotVia)
				if len(recips) == 0 && len(gotR) == 0 {
					want, got = fmt.Sprint(handler, via), fmt.Sprint(gotH, gotVia)
				}
				if got != want {
					t.Errorf("%s: station %d category %d: filing reads %s, the rules give %s", stage, st, cat, got, want)
				}
			}
		}
	}
	compare("demo")
	dongmen := e.st["东门社区代表联络站"].ID
	head, clerk := e.staff["应建明"].ID, e.staff["章佳怡"].ID
	bind := func(id uint64, openid string) {
		t.Helper()
		if err := e.db.Model(&models.Staff{}).Where("id = ?", id).Update("oa_openid", openid).Error; err != nil {
			t.Fatal(err)
		}
	}
	bind(clerk, "oClerk")
	compare("clerk bound")
	bind(e.staff["项海燕"].ID, "oAdmin")
	compare("admin bound")
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, 0, clerk, opMonday); err != nil {
		t.Fatal(err)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, e.cat["jiaotong"].ID, head, opMonday); err != nil {
		t.Fatal(err)
	}
	compare("contacts")
	bind(head, "oHead")
	compare("head bound")
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, e.cat["shenghuo"].ID, e.staff["项海燕"].ID, opMonday); err != nil {
		t.Fatal(err)
	}
	compare("admin contact")
	if err := e.db.Model(&models.Staff{}).Where("id = ?", clerk).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}
	compare("clerk inactive")
	bind(head, "")
	compare("head unbound")
}
