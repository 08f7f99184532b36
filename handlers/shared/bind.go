package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"

	"deputylink/models"

	"github.com/gin-gonic/gin"
)

// BindOption changes how BindJSON reads a body.
type BindOption uint8

const (
	// EmptyBodyOK reads an empty body as {}.
	EmptyBodyOK BindOption = 1 << iota
	// RejectUnknownFields refuses a field dst does not have (400 naming it).
	RejectUnknownFields
)

// BindJSON is the one way a handler reads a JSON body: strictly, into dst.
// On a bad body it answers the error itself and returns false:
//
//   - not JSON, a body of the wrong kind ([] for an object), or anything
//     after the value: 400 invalid_json;
//   - a key given twice in one object (keys match case-insensitively, as
//     encoding/json matches fields): 400 invalid_<key> naming the top-level
//     key it is in;
//   - a value of the wrong type, or a number that does not fit (-1 or 2^64
//     for an id): 400 invalid_<field> naming the top-level field;
//   - an unsigned number above models.MaxID (ids are unsigned fields):
//     400 invalid_<field>;
//   - a field dst does not have, with RejectUnknownFields: 400 invalid_<field>;
//   - a body over the size limit: 400 body_too_large.
//
// The messages are Chinese, using the field's label (FieldLabel).
func BindJSON(c *gin.Context, dst any, opts ...BindOption) bool {
	var opt BindOption
	for _, o := range opts {
		opt |= o
	}
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		RespondErr(c, BodyError(err))
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if opt&EmptyBodyOK != 0 {
			return true
		}
		RespondErr(c, BodyError(io.EOF))
		return false
	}
	if err := DecodeJSON(raw, dst, opt&RejectUnknownFields != 0); err != nil {
		RespondErr(c, err)
		return false
	}
	return true
}

// DecodeJSON decodes one JSON value from raw into dst with the checks of
// BindJSON, and returns the user error (a *models.ValidationError or the
// invalid_json error); for bodies that are not read from a gin request.
func DecodeJSON(raw []byte, dst any, rejectUnknown bool) error {
	if err := scanJSON(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if rejectUnknown {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(dst)
	var ute *json.UnmarshalTypeError
	switch {
	case err == nil:
		if f := bigID(reflect.ValueOf(dst), ""); f != "" {
			return badField(f)
		}
		return nil
	case errors.As(err, &ute) && ute.Field != "":
		return badField(ute.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return models.Invalid(f, "不支持“"+models.Shorten(models.CleanLine(f), 20, "…")+"”这一项")
	}
	return errBadBody
}

var errBadBody = models.Coded(models.ErrInvalid, "invalid_json", "提交的内容格式不对，请检查后重试")

// badField is the error of a value of the wrong type in field (a path like
// "extra.name" names its top-level field).
func badField(path string) error {
	f, _, _ := strings.Cut(path, ".")
	return models.Invalid(f, FieldLabel(f)+"格式不对")
}

// scanJSON checks that raw is exactly one JSON value with no key repeated
// in any object; a repeated key is named by the top-level key it is in.
func scanJSON(raw []byte) error {
	type frame struct {
		keys      map[string]string // folded key → as first written; nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []*frame
	top := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			return errBadBody // EOF included: the value is not complete
		}
		if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].expectKey {
			if tok != json.Delim('}') {
				key, _ := tok.(string)
				fold := strings.ToLower(strings.ToUpper(key))
				if first, dup := stack[n-1].keys[fold]; dup {
					if n == 1 {
						top = first
					}
					return models.Invalid(top, FieldLabel(top)+"填写了不止一次")
				}
				if n == 1 {
					top = key
				}
				stack[n-1].keys[fold] = key
				stack[n-1].expectKey = false
				continue
			}
			stack = stack[:n-1]
		} else {
			switch tok {
			case json.Delim('{'):
				stack = append(stack, &frame{keys: map[string]string{}, expectKey: true})
				continue
			case json.Delim('['):
				stack = append(stack, &frame{})
				continue
			case json.Delim(']'):
				stack = stack[:len(stack)-1]
			}
		}
		// A value is complete.
		if len(stack) == 0 {
			return trailing(dec)
		}
		if f := stack[len(stack)-1]; f.keys != nil {
			f.expectKey = true
		}
	}
}

// trailing refuses anything but white space after the value.
func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errBadBody
	}
	return nil
}

// bigID finds an unsigned number above models.MaxID in v and names the
// top-level JSON field it is in ("" when none).
func bigID(v reflect.Value, field string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return bigID(v.Elem(), field)
		}
	case reflect.Uint, reflect.Uint64:
		if v.Uint() > models.MaxID {
			return field
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f := bigID(v.Index(i), field); f != "" {
				return f
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if f := bigID(it.Value(), field); f != "" {
				return f
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name := field
			if name == "" && !sf.Anonymous {
				name, _, _ = strings.Cut(sf.Tag.Get("json"), ",")
				if name == "-" {
					continue
				}
				if name == "" {
					name = sf.Name
				}
			}
			if f := bigID(v.Field(i), name); f != "" {
				return f
			}
		}
	}
	return ""
}

// fieldLabels name the body fields of the API in Chinese, for messages.
var fieldLabels = map[string]string{
	"code":              "编码",
	"slot_id":           "时段编号",
	"topic":             "想反映的事项",
	"template_ids":      "消息模板编号",
	"content":           "意见内容",
	"category":          "意见类别",
	"station_id":        "联络站编号",
	"community_id":      "社区编号",
	"lat":               "位置",
	"lng":               "位置",
	"anonymous":         "是否匿名",
	"photo_ids":         "照片",
	"extra":             "补充信息",
	"stage":             "评价阶段",
	"score":             "评价",
	"comment":           "评价内容",
	"username":          "用户名",
	"password":          "密码",
	"note":              "说明",
	"text":              "内容",
	"reason":            "退回原因",
	"department_id":     "主办单位",
	"co_department_ids": "协办单位",
	"lead_staff_id":     "承办人",
	"due_at":            "办理期限",
	"to_station_id":     "联络站",
	"name":              "姓名或名称",
	"kind":              "类型",
	"deputy_ids":        "值班代表",
	"active":            "是否启用",
	"day_of_month":      "每月日期",
	"start_time":        "开始时间",
	"end_time":          "结束时间",
	"slot_minutes":      "每段时长",
	"seats_per_slot":    "每段名额",
	"walk_in_seats":     "现场名额",
	"waitlist":          "是否候补",
	"waitlist_max":      "候补人数",
	"opens_days_before": "提前开放天数",
	"closes_at":         "截止时间",
	"id":                "编号",
	"cursor":            "翻页参数",
	"limit":             "每页数量",
}

// FieldLabel is the Chinese name of a body field for a message
// ("提交的内容中有一项" when it has none).
func FieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	if strings.HasSuffix(field, "_id") || strings.HasSuffix(field, "_ids") {
		return "编号"
	}
	return "提交的内容中有一项"
}
