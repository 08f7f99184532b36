package models_test

import (
	"context"
	"errors"
	"testing"

	"deputylink/models"
	"deputylink/models/modelstest"
)

// Ensure a township user sees exactly its township's stations, including
// one added later, manages only its township, and that clerks and heads
// manage nothing.
func TestTownshipScope(t *testing.T) {
	ctx := context.Background()
	db := modelstest.NewDB(t)
	mk := func(name, district string) models.Station {
		st := models.Station{Kind: models.KindStation, Name: name, Address: "路1号", District: district, Lat: 30.27, Lng: 120.15, OpenHours: "周一至周五"}
		if err := db.Create(&st).Error; err != nil {
			t.Fatal(err)
		}
		return st
	}
	east, west := mk("东门社区代表联络站", "城关镇"), mk("溪口村代表联络站", "溪口镇")
	tw := models.Staff{Name: "城关镇人大主席团", Role: models.RoleTownship, Township: "城关镇", Active: true}
	if err := db.Create(&tw).Error; err != nil {
		t.Fatal(err)
	}
	later := mk("南门社区代表联络站", "城关镇")
	acct, err := models.LoadConsoleAccount(ctx, db, tw.ID)
	if err != nil {
		t.Fatal(err)
	}
	sc := models.ScopeOf(acct.Staff)
	if !sc.Allows(east.ID) || !sc.Allows(later.ID) || sc.Allows(west.ID) || sc.All {
		t.Errorf("township scope %+v: east %v later %v west %v", sc, sc.Allows(east.ID), sc.Allows(later.ID), sc.Allows(west.ID))
	}
	m, err := models.ManageScopeOf(acct.Staff)
	if err != nil || m.All || !m.AllowsStation(east) || m.AllowsStation(west) {
		t.Errorf("township manage scope %+v, %v", m, err)
	}
	for _, r := range []models.StaffRole{models.RoleClerk, models.RoleHead} {
		if _, err := models.ManageScopeOf(models.Staff{ID: 9, Role: r}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s manages: %v", r, err)
		}
	}
	if _, err := models.ManageScopeOf(models.Staff{ID: 9, Role: models.RoleTownship}); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("a township user without a township manages: %v", err)
	}
	if m, err := models.ManageScopeOf(models.Staff{ID: 1, Role: models.RoleAdmin}); err != nil || !m.All || !m.AllowsStation(west) {
		t.Errorf("admin manage scope %+v, %v", m, err)
	}
}
