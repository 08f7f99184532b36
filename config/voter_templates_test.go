package config

import (
	"strings"
	"testing"
)

func TestTemplateKind(t *testing.T) {
	for in, long := range map[string]bool{
		"tplA":                    false,
		"tplA;one_time":           false,
		"tplA;long_term":          true,
		" tplA ; long_term |a=b ": true,
	} {
		spec, err := ParseTemplateSpec(in)
		if err != nil || spec.ID != "tplA" || spec.LongTerm != long {
			t.Errorf("%q: %+v %v", in, spec, err)
			continue
		}
		again, err := ParseTemplateSpec(spec.String())
		if err != nil || again.LongTerm != long || again.ID != "tplA" {
			t.Errorf("%q round trip %q: %+v %v", in, spec.String(), again, err)
		}
	}
	for _, bad := range []string{"tplA;", "tplA;longterm", "tplA;long_term;one_time", ";long_term"} {
		if _, err := ParseTemplateSpec(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestVoterTemplateSettingsRefused: a bad kind, a kind on an
// official-account template, and one template for two voter notices stop
// the process at start with a message naming the variable.
func TestVoterTemplateSettingsRefused(t *testing.T) {
	ok := map[string]string{
		EnvTplBookingResult:     "tplBook;long_term",
		EnvTplReceptionReminder: "tplRemind;one_time",
		EnvTplOpinionAccepted:   "tplAccepted",
		EnvTplOpinionResult:     "tplResult;long_term|title=thing1",
		EnvTplOpinionAskResult:  "tplAsk",
	}
	c, err := Load(env(ok))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Notify.BookingResult.LongTerm || c.Notify.ReceptionReminder.LongTerm || !c.OpinionNotify.Result.LongTerm ||
		c.OpinionNotify.Accepted.ID != "tplAccepted" || c.OpinionNotify.AskResult.ID != "tplAsk" {
		t.Fatalf("loaded %+v %+v", c.Notify, c.OpinionNotify)
	}
	for name, tc := range map[string]struct {
		set  map[string]string
		want string
	}{
		"bad kind":       {map[string]string{EnvTplOpinionAskResult: "tplAsk;forever"}, EnvTplOpinionAskResult + ": unknown template kind"},
		"kind on OA":     {map[string]string{EnvTplOpinionStaff: "tplStaff;long_term"}, EnvTplOpinionStaff + ": is an official-account template"},
		"kind on alert":  {map[string]string{"DEPUTYLINK_TPL_STAFF_ALERT": "tplAlert;long_term"}, "DEPUTYLINK_TPL_STAFF_ALERT: is an official-account template"},
		"shared booking": {map[string]string{EnvTplReceptionReminder: "tplBook"}, EnvTplReceptionReminder + `: uses the same template "tplBook" as ` + EnvTplBookingResult},
		"shared opinion": {map[string]string{EnvTplOpinionAskResult: "tplAccepted;one_time"}, EnvTplOpinionAskResult + `: uses the same template "tplAccepted" as ` + EnvTplOpinionAccepted},
		"shared across":  {map[string]string{EnvTplOpinionAccepted: "tplRemind"}, EnvTplOpinionAccepted + `: uses the same template "tplRemind" as ` + EnvTplReceptionReminder},
	} {
		vars := map[string]string{}
		for k, v := range ok {
			vars[k] = v
		}
		for k, v := range tc.set {
			vars[k] = v
		}
		_, err := Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", name, err, tc.want)
		}
	}
}
