package models_test

import (
	"errors"
	"strings"
	"testing"

	"deputylink/models"
)

// Ensure the category fields are a models rule: FileOpinion, whichever
// channel files, puts a legislative opinion's draft law name in front of
// the content, and refuses a key the category does not have or a value
// that is too long, naming the field "extra" (the API's invalid_extra).
func TestFileOpinionCategoryFields(t *testing.T) {
	e := newOpEnv(t)
	const body = "建议条例对遛狗必须牵绳作出更明确的规定，并设置处罚标准。"

	for _, src := range []string{models.SourceMiniProgram, models.SourceChat} {
		op, _ := e.file(models.FileInput{Category: "lifa", Content: "  " + body + " ", Source: src,
			Extra: map[string]string{"law_name": " 《某市养犬管理条例 \n（草案）》 "}}, opMonday)
		if want := "【法规草案名称】《某市养犬管理条例 （草案）》\n" + body; op.Content != want {
			t.Errorf("%s: content %q, want %q", src, op.Content, want)
		}
	}
	// The field may be left out or blank: the content stays as it was.
	for _, extra := range []map[string]string{nil, {"law_name": "  "}} {
		op, _ := e.file(models.FileInput{Category: "lifa", Content: body, Extra: extra}, opMonday)
		if op.Content != body {
			t.Errorf("extra %v: content %q", extra, op.Content)
		}
	}

	for _, c := range []struct {
		name, category string
		extra          map[string]string
		msg            string
	}{
		{"unknown key", "lifa", map[string]string{"article": "第三条"}, "这个类别没有“article”这一项"},
		{"a category without fields", "shenghuo", map[string]string{"law_name": "x"}, "这个类别没有“law_name”这一项"},
		{"too long", "lifa", map[string]string{"law_name": strings.Repeat("法", 61)}, "法规草案名称不能超过60个字"},
	} {
		_, _, err := models.FileOpinion(e.ctx, e.db, models.FileInput{VoterID: e.voters[0], Category: c.category,
			Content: body, Extra: c.extra, Source: models.SourceChat}, e.world, opMonday, opLoc, e.cal)
		var ve *models.ValidationError
		if opCode(err) != "invalid_extra" || !errors.As(err, &ve) || ve.Msg != c.msg {
			t.Errorf("%s: err %v, want invalid_extra %q", c.name, err, c.msg)
		}
	}
	var n int64
	if err := e.db.Model(&models.Opinion{}).Count(&n).Error; err != nil || n != 4 {
		t.Errorf("%d opinions stored (%v), want 4", n, err)
	}
}

// Ensure CategoryField.Check is the one rule for a value: white space
// collapsed, required means not blank, MaxLen counts characters.
func TestCategoryFieldCheck(t *testing.T) {
	f := models.CategoryField{Key: "article", Label: "条款", Required: true, MaxLen: 5}
	for _, c := range []struct{ in, out, msg string }{
		{" 第三条\t第二款 ", "第三条 第二款", "条款不能超过5个字"},
		{"第三条", "第三条", ""},
		{"  ", "", "请填写条款"},
		{"一二三四五", "一二三四五", ""},
	} {
		got, err := f.Check(c.in)
		var ve *models.ValidationError
		switch {
		case c.msg == "" && (err != nil || got != c.out):
			t.Errorf("Check(%q) = %q, %v; want %q", c.in, got, err, c.out)
		case c.msg != "" && (!errors.As(err, &ve) || ve.Field != "extra" || ve.Msg != c.msg):
			t.Errorf("Check(%q) err %v, want %q", c.in, err, c.msg)
		}
	}
	f.Required = false
	if got, err := f.Check(" "); err != nil || got != "" {
		t.Errorf("optional blank: %q, %v", got, err)
	}

	lifa := models.CategoryFieldsOf("lifa")
	if len(lifa) != 1 || lifa[0].Key != "law_name" || lifa[0].Required || lifa[0].MaxLen != 60 {
		t.Errorf("lifa fields %+v", lifa)
	}
	if none := models.CategoryFieldsOf("shenghuo"); none == nil || len(none) != 0 {
		t.Errorf("shenghuo fields %#v, want []", none)
	}
	lifa[0].MaxLen = 1 // a copy: the rule itself does not change
	if models.CategoryFieldsOf("lifa")[0].MaxLen != 60 {
		t.Error("CategoryFieldsOf returned the rule itself")
	}
}
