package shared

import (
	"errors"
	"strings"
	"testing"

	"deputylink/models"
)

// Ensure DecodeJSON, under BindJSON, accepts exactly one JSON value with no
// repeated key, and names the top-level field of every bad value.
func TestDecodeJSON(t *testing.T) {
	type inner struct {
		IDs []uint64 `json:"ids"`
	}
	type body struct {
		SlotID uint64            `json:"slot_id"`
		Topic  string            `json:"topic"`
		Extra  map[string]string `json:"extra"`
		Inner  *inner            `json:"inner"`
		Rows   []inner           `json:"rows"`
	}
	cases := []struct {
		in, code string // code "" = accepted
	}{
		{`{"slot_id":1,"topic":"路灯"}`, ""},
		{" \n{\"slot_id\":9223372036854775807}\n\t ", ""},
		{`{"slot_id":1,"unknown":{"a":[1,{"b":2}]}}`, ""},
		{`{"extra":{"a":"1","b":"2"},"rows":[{"ids":[1]},{"ids":[2]}]}`, ""},
		{`null`, ""},
		{`{"slot_id":1} x`, "invalid_json"},
		{`{"slot_id":1}{}`, "invalid_json"},
		{`{"slot_id":1}]`, "invalid_json"},
		{`{"slot_id":1`, "invalid_json"},
		{`[1,2]`, "invalid_json"},
		{`"x"`, "invalid_json"},
		{``, "invalid_json"},
		{`{"slot_id":1,"slot_id":2}`, "invalid_slot_id"},
		{`{"slot_id":1,"SLOT_ID":2}`, "invalid_slot_id"},
		{`{"topic":"a","slot_id":1,"topic":"b"}`, "invalid_topic"},
		{`{"extra":{"a":"1","A":"2"}}`, "invalid_extra"},
		{`{"rows":[{"ids":[1]},{"ids":[1],"ids":[2]}]}`, "invalid_rows"},
		{"{\"k\":1,\"\u212a\":2}", "invalid_k"}, // the Kelvin sign folds to k
		{`{"slot_id":"1"}`, "invalid_slot_id"},
		{`{"slot_id":-1}`, "invalid_slot_id"},
		{`{"slot_id":1.5}`, "invalid_slot_id"},
		{`{"slot_id":18446744073709551616}`, "invalid_slot_id"},
		{`{"slot_id":9223372036854775808}`, "invalid_slot_id"},
		{`{"inner":{"ids":[1,18446744073709551615]}}`, "invalid_inner"},
		{`{"rows":[{"ids":[9223372036854775808]}]}`, "invalid_rows"},
		{`{"topic":7}`, "invalid_topic"},
		{`{"extra":{"a":1}}`, "invalid_extra"},
		{`{"extra":[]}`, "invalid_extra"},
		{`{"rows":{}}`, "invalid_rows"},
		{strings.Repeat("[", 100) + strings.Repeat("]", 99), "invalid_json"},
	}
	for _, c := range cases {
		var b body
		err := DecodeJSON([]byte(c.in), &b, false)
		got := ""
		var ve *models.ValidationError
		var ce *models.CodedError
		switch {
		case errors.As(err, &ve):
			got = "invalid_" + ve.Field
			if !strings.ContainsFunc(ve.Msg, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("%s: message %q is not Chinese", c.in, ve.Msg)
			}
		case errors.As(err, &ce):
			got = ce.Code
		case err != nil:
			got = err.Error()
		}
		if got != c.code {
			t.Errorf("%.60s: %q, want %q", c.in, got, c.code)
		}
	}
	var b body
	if err := DecodeJSON([]byte(`{"slot_id":1,"nope":2}`), &b, true); err == nil || err.(*models.ValidationError).Field != "nope" {
		t.Errorf("unknown field with rejectUnknown: %v", err)
	}
}
