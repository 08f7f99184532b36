package models

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// CheckPublicText refuses text for the public results that carries
// personal data (docs/ARCHITECTURE.md#public-results). It is a guard
// against slips, not a proof: the staff member writes the summary, and the
// form tells them to leave out who, where exactly and how to reach them.
// Refused, with a Chinese message naming what to remove:
//
//   - a phone number: a run of 11 digits starting 13–19 (a mobile), a run
//     of 10 to 12 digits starting with 0 (a landline with its area code),
//     or a run of 7 or 8 digits within a few characters after 电话, 手机,
//     座机, 联系, 热线, 拨打, 致电 or tel; digits may be full-width and
//     split by spaces or dashes ("138 0013 8000", "0710-1234567");
//   - an ID card (15 or 18 characters, the last maybe X), bank card or
//     other account number: a run of 15 or more digits;
//   - the name of the person behind the item, when known (names of two
//     characters or more, anywhere in the text);
//   - an exact address: a number before 号楼, 栋, 幢, 单元 or 室 (Arabic
//     numerals; 号楼 and 单元 also in Chinese numerals), a house number
//     after a road, street, lane, group or village (路/街/巷/弄/道/胡同/组/村 +
//     number + 号), the word 门牌, or building-unit-room written
//     "3-2-501".
//
// Dates ("2026-05-03", "5月3日"), counts ("50户", "3处") and amounts pass.
func CheckPublicText(field, text string, names []string) error {
	t := foldDigits(text)
	for _, m := range digitRun.FindAllStringIndex(t, -1) {
		digits := onlyDigits(t[m[0]:m[1]])
		switch {
		case len(digits) >= 15:
			return Invalid(field, "公开内容不能包含身份证号、银行卡号等证件或账户号码，请删去后再公开")
		case len(digits) == 11 && digits[0] == '1' && digits[1] >= '3':
			return Invalid(field, "公开内容不能包含电话号码，请删去后再公开")
		case digits[0] == '0' && len(digits) >= 10 && len(digits) <= 12:
			return Invalid(field, "公开内容不能包含电话号码，请删去后再公开")
		case (len(digits) == 7 || len(digits) == 8) && phoneWord.MatchString(lastRunes(t[:m[0]], 6)):
			return Invalid(field, "公开内容不能包含电话号码，请删去后再公开")
		}
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if utf8.RuneCountInString(n) >= 2 && strings.Contains(text, n) {
			return Invalid(field, "公开内容不能包含来信人的姓名，请删去后再公开")
		}
	}
	if exactAddress.MatchString(t) {
		return Invalid(field, "公开内容不能包含门牌号、楼号、单元号或房号，地点请写到小区或路段为止")
	}
	return nil
}

var (
	// digitRun is a run of digits that may be split by spaces or dashes.
	digitRun = regexp.MustCompile(`[0-9](?:[0-9 \t\-－—–]*[0-9])?`)
	// phoneWord is a word that announces a phone number.
	phoneWord = regexp.MustCompile(`(?i)电话|手机|座机|联系|热线|拨打|致电|tel`)
	// exactAddress is a house, building, unit or room number.
	exactAddress = regexp.MustCompile(`[0-9]+\s*(?:号楼|栋|幢|单元|室)|[一二三四五六七八九十]+(?:号楼|单元)|` +
		`(?:路|街|巷|弄|道|胡同|组|村)\s*[0-9]+\s*号|门牌|(?:^|[^0-9])[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,4}(?:[^0-9]|$)`)
)

// foldDigits turns full-width digits, dashes and spaces into ASCII ones.
func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '　':
			return ' '
		case r == '－':
			return '-'
		}
		return r
	}, s)
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// lastRunes is the last n characters of s.
func lastRunes(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}
