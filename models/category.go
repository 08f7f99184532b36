package models

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// CategoryField is an extra field a category asks for, e.g. the name of
// the draft law a legislative opinion is about.
type CategoryField struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Hint     string `json:"hint"`
	Required bool   `json:"required"`
	// MaxLen is the most characters the value may have.
	MaxLen int `json:"max_len"`
}

// categoryFields are the extra fields per category code. The values are
// put in front of the content (【label】value), so the handling staff see
// them wherever they see the content.
var categoryFields = map[string][]CategoryField{
	"lifa": {{Key: "law_name", Label: "法规草案名称", Hint: "如：《××市养犬管理条例（草案）》，可不填", MaxLen: 60}},
}

// CategoryFieldsOf lists the extra fields of a category code, in the order
// they are asked for; none is an empty list.
func CategoryFieldsOf(code string) []CategoryField {
	return append([]CategoryField{}, categoryFields[strings.TrimSpace(code)]...)
}

// Check cleans a value of the field (runs of white space become one space)
// and checks it: a required field must have one, and none may be longer
// than MaxLen. Errors are for the field "extra".
func (f CategoryField) Check(v string) (string, error) {
	v = strings.Join(strings.Fields(CleanLine(v)), " ")
	switch {
	case v == "" && f.Required:
		return "", Invalid("extra", "请填写"+f.Label)
	case utf8.RuneCountInString(v) > f.MaxLen:
		return "", Invalid("extra", f.Label+"不能超过"+strconv.Itoa(f.MaxLen)+"个字")
	}
	return v, nil
}

// withCategoryFields checks extra against the fields of category and puts
// the values in front of content, one 【label】value line each. A key the
// category does not have is an error, as is a value Check refuses.
func withCategoryFields(category, content string, extra map[string]string) (string, error) {
	fields := CategoryFieldsOf(category)
	for k := range extra {
		known := false
		for _, f := range fields {
			known = known || f.Key == k
		}
		if !known {
			k = CleanLine(k)
			if r := []rune(k); len(r) > 20 {
				k = string(r[:20]) + "…"
			}
			return "", Invalid("extra", "这个类别没有“"+k+"”这一项")
		}
	}
	var head strings.Builder
	for _, f := range fields {
		v, err := f.Check(extra[f.Key])
		if err != nil {
			return "", err
		}
		if v != "" {
			head.WriteString("【" + f.Label + "】" + v + "\n")
		}
	}
	if head.Len() == 0 {
		return content, nil
	}
	return head.String() + strings.TrimSpace(content), nil
}
