package broadcasts_test

import (
	"errors"
	"testing"

	"deputylink/models"
	"deputylink/models/broadcasts"
)

// Ensure the form's preview counts whom Create then sends to, and how many
// of them are bound, for every audience and scope; it refuses what Create
// refuses (a station outside the township, no group) and writes nothing.
func TestPreviewMatchesCreate(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct {
		sc       models.ManageScope
		audience models.BroadcastAudience
		group    uint64
		stations []uint64
	}{
		"county, all":        {e.county, models.AudienceAll, 0, nil},
		"township, all":      {e.township, models.AudienceAll, 0, nil},
		"county group":       {e.county, models.AudienceGroup, e.group.ID, nil},
		"township group":     {e.township, models.AudienceGroup, e.tgroup.ID, nil},
		"stations B":         {e.county, models.AudienceStations, 0, []uint64{e.b.ID}},
		"stations A and C":   {e.county, models.AudienceStations, 0, []uint64{e.a.ID, e.c.ID}},
		"township station B": {e.township, models.AudienceStations, 0, []uint64{e.b.ID}},
	} {
		pv, err := broadcasts.Preview(e.ctx, e.db, c.sc, c.audience, c.group, c.stations)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		in := article("预览核对：" + name)
		in.Audience, in.GroupID, in.StationIDs = c.audience, c.group, c.stations
		sent := e.send(c.sc, in, e.now)
		if pv.Count != sent.Recipients || pv.Bound != sent.Recipients-sent.Unbound {
			t.Errorf("%s: preview %+v, sent %+v", name, pv, sent)
		}
	}
	var before int64
	e.must(e.db.Model(&models.Broadcast{}).Count(&before).Error)
	for name, c := range map[string]struct {
		sc       models.ManageScope
		audience models.BroadcastAudience
		group    uint64
		stations []uint64
		field    string
	}{
		"no group":           {e.county, models.AudienceGroup, 0, nil, "group_id"},
		"another township":   {e.township, models.AudienceStations, 0, []uint64{e.c.ID}, "station_ids"},
		"another's group":    {e.township, models.AudienceGroup, e.group.ID, nil, "group_id"},
		"no station":         {e.county, models.AudienceStations, 0, nil, "station_ids"},
		"no audience chosen": {e.county, "", 0, nil, "audience"},
	} {
		_, err := broadcasts.Preview(e.ctx, e.db, c.sc, c.audience, c.group, c.stations)
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: %v, want refused on %s", name, err, c.field)
		}
	}
	if _, err := broadcasts.Preview(e.ctx, e.db, models.ManageScope{}, models.AudienceAll, 0, nil); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("a clerk's scope: %v", err)
	}
	var after int64
	e.must(e.db.Model(&models.Broadcast{}).Count(&after).Error)
	if after != before {
		t.Errorf("previews wrote %d broadcasts", after-before)
	}
}
