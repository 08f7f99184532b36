package config

import (
	"strings"
	"testing"
)

func TestLoadNotify(t *testing.T) {
	n, err := LoadNotify(func(k string) string {
		return map[string]string{EnvTplReceptionReminder: "tplR|station=thing1"}[k]
	})
	if err != nil || n.BookingResult.Configured() || n.ReceptionReminder.ID != "tplR" || n.ReceptionReminder.Fields["station"] != "thing1" {
		t.Errorf("LoadNotify = %+v, %v", n, err)
	}
	_, err = LoadNotify(func(k string) string {
		return map[string]string{EnvTplStaffRoster: "tplS|station"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), EnvTplStaffRoster) {
		t.Errorf("bad spec: %v", err)
	}
}
