package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// WeChat templates are deployment configuration: each official account or
// mini-program is granted its own template ids, and each template names its
// keywords (thing1, time2, …) its own way. Code therefore speaks in our own
// field names (title, count, time, …) and a TemplateSpec maps them onto the
// granted template's keywords. Config only parses specs; models fills them
// when it builds a notice.
//
// A spec is written "TEMPLATE_ID[;OPTION][|field=keyword,field=keyword]", e.g.
//
//	DEPUTYLINK_TPL_STAFF_ALERT="Xy12…|title=thing1,count=number2,time=time3"
//	DEPUTYLINK_TPL_OPINION_RESULT="Ab34…;long_term|title=thing1,no=character_string2"
//
// A spec without a mapping passes our field names through as keywords. The
// one option is the kind of a mini-program subscribe template: one_time
// (一次性订阅, the default: each consent allows one send) or long_term
// (长期订阅: a consent allows sends until the voter turns it off; granted
// to government and public-service accounts). Official-account templates
// take no option (see loader.template).

// Configured reports whether the template id is set.
func (t TemplateSpec) Configured() bool { return t.ID != "" }

// The template kinds a spec may name after the id.
const (
	TemplateOneTime  = "one_time"
	TemplateLongTerm = "long_term"
)

// String renders the spec in the form ParseTemplateSpec reads, with the
// mapping sorted so the output is stable.
func (t TemplateSpec) String() string {
	id := t.ID
	if t.LongTerm {
		id += ";" + TemplateLongTerm
	}
	if len(t.Fields) == 0 {
		return id
	}
	pairs := make([]string, 0, len(t.Fields))
	for k, v := range t.Fields {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs)
	return id + "|" + strings.Join(pairs, ",")
}

// ParseTemplateSpec parses "TEMPLATE_ID[;OPTION][|field=keyword,…]", the
// format of every DEPUTYLINK_TPL_* variable.
func ParseTemplateSpec(s string) (TemplateSpec, error) {
	head, rest, _ := strings.Cut(strings.TrimSpace(s), "|")
	id, opt, hasOpt := strings.Cut(head, ";")
	id = strings.TrimSpace(id)
	if id == "" {
		return TemplateSpec{}, errors.New("must be TEMPLATE_ID, TEMPLATE_ID;long_term or TEMPLATE_ID|field=keyword,field=keyword")
	}
	spec := TemplateSpec{ID: id, Fields: map[string]string{}}
	if hasOpt {
		switch strings.TrimSpace(opt) {
		case TemplateOneTime:
		case TemplateLongTerm:
			spec.LongTerm = true
		default:
			return TemplateSpec{}, fmt.Errorf("unknown template kind %q after %q: want %s or %s", strings.TrimSpace(opt), id, TemplateOneTime, TemplateLongTerm)
		}
	}
	if strings.TrimSpace(rest) == "" {
		return spec, nil
	}
	for _, pair := range strings.Split(rest, ",") {
		k, kw, ok := strings.Cut(strings.TrimSpace(pair), "=")
		k, kw = strings.TrimSpace(k), strings.TrimSpace(kw)
		if !ok || k == "" || kw == "" {
			return TemplateSpec{}, fmt.Errorf("bad field mapping %q: want field=keyword", pair)
		}
		if _, dup := spec.Fields[k]; dup {
			return TemplateSpec{}, fmt.Errorf("field %q is mapped twice", k)
		}
		spec.Fields[k] = kw
	}
	return spec, nil
}
