package console_test

import (
	"strings"
	"testing"

	"deputylink/models"
)

// Ensure a township office (乡镇人大主席团) sees its township's items and
// desk, and that another township's item is the 404 page, in the inbox,
// on the item and through the JSON API.
func TestTownshipSeesItsTownshipOnly(t *testing.T) {
	t.Parallel()
	e := newPageEnv(t)
	var other models.Station
	must(t, e.db.Where("district <> ?", e.east.District).Order("id").First(&other).Error)
	_, err := models.CreateConsoleUserIn(t.Context(), e.db, "tw_east", conPassword, "测试乡镇人大", models.RoleTownship, nil, e.east.District, conT0)
	must(t, err)
	mine := e.file(e.east.ID, conT0)
	theirs := e.file(other.ID, conT0)
	tw := e.browser("tw_east")

	st, body := tw.get("/console/opinions")
	if st != 200 || !strings.Contains(body, mine.TrackingNo) || strings.Contains(body, theirs.TrackingNo) {
		t.Fatalf("township inbox: %d, own %v, other township's %v", st, strings.Contains(body, mine.TrackingNo), strings.Contains(body, theirs.TrackingNo))
	}
	if st, _ := tw.get(itemPath(mine.ID)); st != 200 {
		t.Errorf("own township's item: %d", st)
	}
	if st, body := tw.get(itemPath(theirs.ID)); st != 404 || strings.Contains(body, theirs.TrackingNo) {
		t.Errorf("another township's item: %d", st)
	}
	s, _ := e.login("tw_east")
	if r := e.bearer("GET", "/console/api/opinions/"+idStr(theirs.ID), s.Token, "", nil); r.StatusCode != 404 {
		t.Errorf("another township's item through the API: %d", r.StatusCode)
	}
	if st, _ := tw.get("/console/manage/stations/" + idStr(other.ID)); st != 404 {
		t.Errorf("another township's station on the management page: %d", st)
	}
}
