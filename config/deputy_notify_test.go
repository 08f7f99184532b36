package config

import (
	"slices"
	"strings"
	"testing"
)

// Ensure the deputies' templates and weekly cap are read with their
// defaults, refused when malformed (a subscribe template's option, a cap
// out of 1..7), and known to the unknown-variable check.
func TestDeputyNotify(t *testing.T) {
	n, err := LoadDeputyNotify(func(string) string { return "" })
	if err != nil || n.Notice.Configured() || n.Report.Configured() || n.PerWeek != 3 {
		t.Fatalf("default %+v %v", n, err)
	}
	if d := Default().DeputyNotify.PerWeek; d != DefaultDeputyNoticesPerWeek {
		t.Errorf("Default() cap %d", d)
	}
	n, err = LoadDeputyNotify(func(k string) string {
		return map[string]string{
			EnvTplDeputyNotice:      "tplWork|title=thing1,sender=thing2,time=time3",
			EnvTplDeputyReport:      "tplReport",
			EnvDeputyNoticesPerWeek: " 5 ",
		}[k]
	})
	if err != nil || n.Notice.ID != "tplWork" || n.Notice.Fields["sender"] != "thing2" || n.Report.ID != "tplReport" || n.PerWeek != 5 {
		t.Fatalf("loaded %+v %v", n, err)
	}
	for name, bad := range map[string][]string{
		EnvTplDeputyNotice:      {"|title=thing1", "tplWork|title", "tplWork;long_term"},
		EnvTplDeputyReport:      {"tplReport;one_time;x"},
		EnvDeputyNoticesPerWeek: {"0", "8", "three", "-1", "2.5"},
	} {
		for _, v := range bad {
			_, err := LoadDeputyNotify(func(k string) string { return map[string]string{name: v}[k] })
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: %v, want an error naming the variable", name, v, err)
			}
			if _, err := Load(env(map[string]string{name: v})); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("Load with %s=%q: %v, want an error naming the variable", name, v, err)
			}
		}
	}
	for _, name := range []string{EnvTplDeputyNotice, EnvTplDeputyReport, EnvDeputyNoticesPerWeek} {
		if !slices.Contains(KnownVars(), name) {
			t.Errorf("%s is not a known variable", name)
		}
	}
	c, err := Load(env(map[string]string{EnvDeputyNoticesPerWeek: "2"}))
	if err != nil || c.DeputyNotify.PerWeek != 2 {
		t.Fatalf("Load: %+v %v", c.DeputyNotify, err)
	}
}
