package wechattest

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Subscribe-message keyword rules, from the mini-program subscribeMessage.send
// documentation ("参数值内容限制说明"). The keyword type is the key without its
// trailing digits ("thing1" → thing). Lengths count characters (runes).
//
//	thing             ≤20 characters: Chinese, digits, letters or symbols
//	number            ≤32 digits, decimals allowed
//	letter            ≤32 letters only
//	symbol            ≤5 symbols only
//	character_string  ≤32 digits, letters or symbols
//	time              24-hour time, date allowed, range with "~"
//	date              date, 24-hour time allowed, range with "~"
//	amount            optional currency symbol + ≤10 digits, decimals, "元"
//	phone_number      ≤17 digits and symbols
//	car_number        ≤8, first/last may be Chinese, rest letters/digits
//	name              ≤10 Chinese characters or ≤20 letters/symbols
//	phrase            ≤5 Chinese characters only
//
// enum and unknown types are accepted if non-empty. time/date checks are
// "sanity-lite": allowed characters plus an hh:mm (time) or a 4-digit year
// (date) somewhere.
var (
	numberRe   = regexp.MustCompile(`^\d+(\.\d+)?$`)
	letterRe   = regexp.MustCompile(`^[A-Za-z]+$`)
	amountRe   = regexp.MustCompile(`^[¥￥$€£]?\d{1,10}(\.\d{1,2})?元?$`)
	phoneRe    = regexp.MustCompile(`^[0-9+\-() ]+$`)
	clockRe    = regexp.MustCompile(`\d{1,2}:\d{2}`)
	yearRe     = regexp.MustCompile(`\d{4}`)
	timeCharRe = regexp.MustCompile(`^[0-9年月日时分秒:\-/. ~]+$`)
)

// keywordType strips the trailing digits of a data key.
func keywordType(key string) string {
	return strings.TrimRightFunc(key, unicode.IsDigit)
}

// checkField returns "" when value satisfies key's rule, else WeChat's
// complaint ("is empty" or "invalid").
func checkField(key, value string) string {
	if value == "" {
		return "is empty"
	}
	n := utf8.RuneCountInString(value)
	ok := true
	switch keywordType(key) {
	case "thing":
		ok = n <= 20
	case "number":
		ok = n <= 32 && numberRe.MatchString(value)
	case "letter":
		ok = n <= 32 && letterRe.MatchString(value)
	case "symbol":
		ok = n <= 5 && allRunes(value, isSymbol)
	case "character_string":
		ok = n <= 32 && allRunes(value, func(r rune) bool { return r > 0x20 && r < 0x7f })
	case "time":
		ok = n <= 64 && timeCharRe.MatchString(value) && clockRe.MatchString(value)
	case "date":
		ok = n <= 64 && timeCharRe.MatchString(value) && yearRe.MatchString(value)
	case "amount":
		ok = amountRe.MatchString(value)
	case "phone_number":
		ok = n <= 17 && phoneRe.MatchString(value)
	case "car_number":
		ok = n <= 8 && carNumber(value)
	case "name":
		if allRunes(value, func(r rune) bool { return !unicode.Is(unicode.Han, r) }) {
			ok = n <= 20
		} else {
			ok = n <= 10
		}
	case "phrase":
		ok = n <= 5 && allRunes(value, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}
	if !ok {
		return "invalid"
	}
	return ""
}

func allRunes(s string, f func(rune) bool) bool {
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

func isSymbol(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsSpace(r) && unicode.IsPrint(r)
}

// carNumber: letters/digits, except that the first and last may be Chinese.
func carNumber(s string) bool {
	rs := []rune(s)
	for i, r := range rs {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue
		}
		if (i == 0 || i == len(rs)-1) && unicode.Is(unicode.Han, r) {
			continue
		}
		return false
	}
	return true
}
