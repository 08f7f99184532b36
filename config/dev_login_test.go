package config

import (
	"strings"
	"testing"
)

// Ensure the development login is off by default, on with
// DEPUTYLINK_DEV_LOGIN=1, and refused with a clear error in production;
// warned about at start while on; and that the public results' minimum
// sample is read and bounded.
func TestDevLoginAndResultsMinSample(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.DevLogin || c.ResultsMinSample != 20 {
		t.Fatalf("defaults: dev login %v, min sample %d, %v", c.DevLogin, c.ResultsMinSample, err)
	}
	for _, w := range c.Warnings(nil) {
		if w.Var == "DEPUTYLINK_DEV_LOGIN" {
			t.Errorf("warning with the dev login off: %v", w)
		}
	}
	for _, v := range []string{"1", "true", "on"} {
		c, err := Load(env(map[string]string{"DEPUTYLINK_DEV_LOGIN": v}))
		if err != nil || !c.DevLogin {
			t.Errorf("DEPUTYLINK_DEV_LOGIN=%s: %v, %v", v, c.DevLogin, err)
		}
		warned := false
		for _, w := range c.Warnings(nil) {
			warned = warned || (w.Var == "DEPUTYLINK_DEV_LOGIN" && strings.Contains(w.Msg, "development login is on"))
		}
		if !warned {
			t.Errorf("DEPUTYLINK_DEV_LOGIN=%s: no start-up warning", v)
		}
	}
	if c, err := Load(env(map[string]string{"DEPUTYLINK_DEV_LOGIN": "0"})); err != nil || c.DevLogin {
		t.Errorf("DEPUTYLINK_DEV_LOGIN=0: %v, %v", c.DevLogin, err)
	}
	if _, err := Load(env(map[string]string{"DEPUTYLINK_DEV_LOGIN": "maybe"})); err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_DEV_LOGIN") {
		t.Errorf("DEPUTYLINK_DEV_LOGIN=maybe: %v, want an error naming it", err)
	}
	_, err = Load(env(map[string]string{"DEPUTYLINK_DEV_LOGIN": "1", "DEPUTYLINK_ENV": "production"}))
	if err == nil || !strings.Contains(err.Error(), "DEPUTYLINK_DEV_LOGIN") || !strings.Contains(err.Error(), "production") {
		t.Errorf("dev login in production: %v, want a startup error naming DEPUTYLINK_DEV_LOGIN and production", err)
	}
	if c, err := Load(env(map[string]string{"DEPUTYLINK_RESULTS_MIN_SAMPLE": "5"})); err != nil || c.ResultsMinSample != 5 {
		t.Errorf("DEPUTYLINK_RESULTS_MIN_SAMPLE=5: %d, %v", c.ResultsMinSample, err)
	}
	for _, v := range []string{"0", "x", "20000"} {
		if _, err := Load(env(map[string]string{"DEPUTYLINK_RESULTS_MIN_SAMPLE": v})); err == nil {
			t.Errorf("DEPUTYLINK_RESULTS_MIN_SAMPLE=%s accepted", v)
		}
	}
}
