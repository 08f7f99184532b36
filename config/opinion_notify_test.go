package config

import (
	"strings"
	"testing"
)

func TestLoadOpinionNotify(t *testing.T) {
	n, err := LoadOpinionNotify(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if n.Staff.Configured() || n.Result.Configured() || n.VoterOA.Configured() || n.PublicURL != "" ||
		n.Page != DefaultOpinionPage || n.AskResultDays != 7 {
		t.Fatalf("defaults = %+v", n)
	}

	env := map[string]string{
		EnvTplOpinionStaff:      "tplS|title=thing1,no=character_string2",
		EnvTplOpinionResult:     "tplR",
		EnvTplOpinionVoter:      "tplV|status=thing3",
		EnvPublicURL:            "https://rd.example.gov.cn/",
		EnvOpinionPage:          "/pages/yijian/detail",
		EnvOpinionAskResultDays: " 10 ",
	}
	n, err = LoadOpinionNotify(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if n.Staff.ID != "tplS" || n.Staff.Fields["no"] != "character_string2" || n.Result.ID != "tplR" ||
		n.VoterOA.Fields["status"] != "thing3" || n.PublicURL != "https://rd.example.gov.cn" ||
		n.Page != "pages/yijian/detail" || n.AskResultDays != 10 {
		t.Fatalf("loaded = %+v", n)
	}

	for name, bad := range map[string]string{
		EnvTplOpinionStaff:      "|title=thing1",
		EnvTplOpinionResult:     "tplR|title",
		EnvPublicURL:            "rd.example.gov.cn",
		EnvOpinionPage:          "pages/opinion detail",
		EnvOpinionAskResultDays: "0",
	} {
		_, err := LoadOpinionNotify(func(k string) string {
			if k == name {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming the variable", name, bad, err)
		}
	}
	if _, err := LoadOpinionNotify(func(k string) string {
		return map[string]string{EnvPublicURL: "https://x.example/?a=1"}[k]
	}); err == nil {
		t.Error("a public URL with a query was accepted")
	}
}
