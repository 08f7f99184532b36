package models_test

import (
	"errors"
	"testing"

	"deputylink/models"
)

func TestPickHandler(t *testing.T) {
	e := newOpEnv(t)
	dongmen := e.st["东门社区代表联络站"].ID
	head, clerk := e.staff["应建明"].ID, e.staff["章佳怡"].ID
	shenghuo, jiaotong := e.cat["shenghuo"].ID, e.cat["jiaotong"].ID
	who := models.Actor{Kind: "staff", ID: e.staff["项海燕"].ID}
	pick := func(station, category uint64) (uint64, string) {
		t.Helper()
		id, how, err := models.PickHandler(e.ctx, e.db, station, category)
		if err != nil {
			t.Fatal(err)
		}
		return id, how
	}
	if id, how := pick(dongmen, shenghuo); id != head || how != models.PickHead {
		t.Fatalf("no contacts: %d %s", id, how)
	}
	if id, how := pick(0, shenghuo); id != 0 || how != models.PickNone {
		t.Fatalf("office: %d %s", id, how)
	}
	if id, how := pick(e.st["桃花村代表联络站"].ID, shenghuo); id != 0 || how != models.PickNone {
		t.Fatalf("unstaffed station: %d %s", id, how)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, 0, clerk, opMonday); err != nil {
		t.Fatal(err)
	}
	if id, how := pick(dongmen, shenghuo); id != clerk || how != models.PickAnyContact {
		t.Fatalf("any-category contact: %d %s", id, how)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, jiaotong, head, opMonday); err != nil {
		t.Fatal(err)
	}
	if id, how := pick(dongmen, jiaotong); id != head || how != models.PickContact {
		t.Fatalf("category contact: %d %s", id, how)
	}
	if id, _ := pick(dongmen, shenghuo); id != clerk {
		t.Fatalf("other category: %d", id)
	}
	// Replacing keeps one row; an inactive contact is skipped.
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, jiaotong, clerk, opMonday); err != nil {
		t.Fatal(err)
	}
	rows, _ := models.ListStationContacts(e.ctx, e.db, dongmen)
	if len(rows) != 2 {
		t.Fatalf("%d contact rows", len(rows))
	}
	e.db.Model(&models.Staff{}).Where("id = ?", clerk).Update("active", false)
	if id, how := pick(dongmen, jiaotong); id != head || how != models.PickHead {
		t.Fatalf("inactive contact: %d %s", id, how)
	}
	// Only the station's staff (or an admin) can be its contact.
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, 0, e.staff["严少波"].ID, opMonday); !errors.Is(err, models.ErrInvalid) {
		t.Fatalf("other station's clerk: %v", err)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, 0, e.staff["项海燕"].ID, opMonday); err != nil {
		t.Fatalf("admin as contact: %v", err)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, 999999, 0, head, opMonday); opCode(err) != "station_not_found" {
		t.Fatalf("unknown station: %v", err)
	}
	if _, err := models.SetStationContact(e.ctx, e.db, who, dongmen, 999999, head, opMonday); opCode(err) != "invalid_category" {
		t.Fatalf("unknown category: %v", err)
	}
	if err := models.DeleteStationContact(e.ctx, e.db, who, dongmen, jiaotong, opMonday); err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteStationContact(e.ctx, e.db, who, dongmen, jiaotong, opMonday); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	trail, _ := models.AuditTrail(e.ctx, e.db, "station_contact", dongmen)
	if len(trail) != 5 {
		t.Fatalf("%d contact audit rows", len(trail))
	}
}

// A (station, category) contact handles new items and hears of them.
func TestFilingUsesContact(t *testing.T) {
	e := newOpEnv(t)
	e.bind("章佳怡", "应建明")
	dongmen := e.st["东门社区代表联络站"].ID
	clerk := e.staff["章佳怡"].ID
	if _, err := models.SetStationContact(e.ctx, e.db, models.SystemActor, dongmen, e.cat["jiaotong"].ID, clerk, opMonday); err != nil {
		t.Fatal(err)
	}
	op, evs := e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID, Category: "jiaotong"}, opMonday)
	if op.HandlerStaffID == nil || *op.HandlerStaffID != clerk || evs[0].Via != models.ViaHandler || len(evs[0].Staff) != 1 || evs[0].Staff[0].ID != clerk {
		t.Fatalf("handler %v events %+v", op.HandlerStaffID, evs)
	}
	// Without a contact for the category the head (bound) handles and hears.
	op, evs = e.file(models.FileInput{CommunityID: e.comm["东门社区"].ID, Category: "shenghuo"}, opMonday)
	if *op.HandlerStaffID != e.staff["应建明"].ID || evs[0].Via != models.ViaHandler || evs[0].Staff[0].ID != e.staff["应建明"].ID {
		t.Fatalf("head: %+v", evs)
	}
}
