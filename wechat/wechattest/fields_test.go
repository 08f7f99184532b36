package wechattest

import (
	"strings"
	"testing"
)

func TestSubscribeFieldRules(t *testing.T) {
	cases := []struct {
		key, value string
		ok         bool
	}{
		{"thing1", strings.Repeat("字", 20), true},
		{"thing1", strings.Repeat("字", 21), false},
		{"thing12", strings.Repeat("a", 20), true},
		{"thing1", "", false},
		{"number01", "339208499", true},
		{"number2", "12.50", true},
		{"number2", "12a", false},
		{"number2", strings.Repeat("1", 33), false},
		{"letter3", "abcXYZ", true},
		{"letter3", "abc1", false},
		{"symbol4", "%#@", true},
		{"symbol4", "%#@!&*", false},
		{"symbol4", "a", false},
		{"character_string5", "AB-12_x", true},
		{"character_string5", "北京", false},
		{"character_string5", strings.Repeat("x", 33), false},
		{"time6", "15:01", true},
		{"time6", "2019年10月1日 15:01", true},
		{"time6", "2023-08-21 22:48:54", true},
		{"time6", "09:00~11:30", true},
		{"time6", "明天上午", false},
		{"date7", "2019年10月1日", true},
		{"date7", "2025-03-01 ~ 2025-03-02", true},
		{"date7", "下周一", false},
		{"amount8", "¥99.00", true},
		{"amount8", "100元", true},
		{"amount8", "一百元", false},
		{"phone_number9", "+86-0766-66888866", true},
		{"phone_number9", "+86-0766-66888866-1", false},
		{"car_number10", "粤A8Z888挂", true},
		{"car_number10", "粤A8Z8889挂", false},
		{"car_number10", "A中8Z88", false},
		{"name11", "张三", true},
		{"name11", strings.Repeat("张", 11), false},
		{"name11", "John Smith", true},
		{"name11", strings.Repeat("J", 21), false},
		{"phrase12", "配送中", true},
		{"phrase12", "正常结束了吗", false},
		{"phrase12", "ok", false},
		{"enum13", "A", true},
	}
	for _, tc := range cases {
		msg := checkField(tc.key, tc.value)
		if (msg == "") != tc.ok {
			t.Errorf("checkField(%s, %q) = %q, want ok=%v", tc.key, tc.value, msg, tc.ok)
		}
	}
	if checkField("thing1", "") != "is empty" {
		t.Error("empty value message")
	}
}

func TestSubscribeConsentAndPages(t *testing.T) {
	s := New()
	defer s.Close()
	tok := token(t, s, DefaultMPAppID, DefaultMPSecret)
	body := func(page string) map[string]any {
		return map[string]any{"touser": "ov1", "template_id": "T1", "page": page,
			"data": map[string]any{"thing1": map[string]any{"value": "ok"}}}
	}
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", tok, body("")); r.code() != 43101 {
		t.Fatalf("no consent: %v", r)
	}
	s.GrantConsent("ov1", "T1", 1)
	s.SetPublishedPages([]string{"pages/index/index"})
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", tok, body("pages/x?id=1")); r.code() != 41030 {
		t.Fatalf("bad page: %v", r)
	}
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", tok, body("pages/index/index?id=1")); r.code() != 0 {
		t.Fatalf("good send: %v", r)
	}
	if s.Consent("ov1", "T1") != 0 || len(s.Subscribes()) != 1 {
		t.Fatal("consent not consumed / not recorded")
	}
	s.SetStrictTemplates(true)
	s.GrantConsent("ov1", "T1", 1)
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", tok, body("")); r.code() != 40037 {
		t.Fatalf("strict unknown template: %v", r)
	}
	s.AddTemplate("T1")
	if r, _ := post(t, s, "/cgi-bin/message/subscribe/send", tok, body("")); r.code() != 0 {
		t.Fatalf("strict known template: %v", r)
	}
}
