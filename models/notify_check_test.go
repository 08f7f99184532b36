package models_test

import (
	"strings"
	"testing"

	"deputylink/config"
	"deputylink/models"
)

func TestCheckTemplateFields(t *testing.T) {
	spec := func(s string) config.TemplateSpec {
		t.Helper()
		ts, err := config.ParseTemplateSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	good := config.NotifyTemplates{
		BookingResult: spec("tplB|result=phrase1,station=thing2,time=time3,code=character_string4"),
		StaffRoster:   spec("tplR|title=first,slots=keyword5,summary=remark"),
	}
	op := config.OpinionNotify{Staff: spec("tplS|title=thing1,no=character_string2,due=time5"), Accepted: spec("tplA")}
	dep := config.DeputyNotify{Notice: spec("tplW|title=thing1,sender=thing2,time=time3"),
		Report: spec("tplM|title=thing1,sender=thing2,period=thing3,time=time4")}
	if err := models.CheckTemplateFields(good, op, spec("tplD|count=number2"), dep); err != nil {
		t.Fatalf("good settings refused: %v", err)
	}
	for _, c := range []struct {
		n     config.NotifyTemplates
		o     config.OpinionNotify
		alert config.TemplateSpec
		d     config.DeputyNotify
		want  []string
	}{
		{n: config.NotifyTemplates{BookingResult: spec("tplB|resutl=phrase1")},
			want: []string{config.EnvTplBookingResult, `unknown field "resutl"`, "result, station, time"}},
		{n: config.NotifyTemplates{ReceptionReminder: spec("tplR|station=Thing 1")},
			want: []string{config.EnvTplReceptionReminder, `"Thing 1", which is not a WeChat keyword`}},
		{o: config.OpinionNotify{AskResult: spec("tplQ|titel=thing1")},
			want: []string{config.EnvTplOpinionAskResult, `unknown field "titel"`}},
		{alert: spec("tplD|due=time1"), want: []string{config.EnvTplStaffAlert, `unknown field "due"`}},
		// The deputy notice has no field for the article's content.
		{d: config.DeputyNotify{Notice: spec("tplW|summary=thing4")},
			want: []string{config.EnvTplDeputyNotice, `unknown field "summary"`, "title, sender, time"}},
		// Nor has the 通报's for a figure.
		{d: config.DeputyNotify{Report: spec("tplM|opinions=number4")},
			want: []string{config.EnvTplDeputyReport, `unknown field "opinions"`, "title, sender, period, time"}},
	} {
		err := models.CheckTemplateFields(c.n, c.o, c.alert, c.d)
		if err == nil {
			t.Errorf("accepted; want an error with %q", c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}
}
