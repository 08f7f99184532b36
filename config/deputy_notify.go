package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DeputyNotify are the official-account templates of the notices deputies
// get (models/notify_deputy.go) and the weekly cap on them. A template
// that is not configured is skipped: nothing is queued for it, and the
// deputy still finds everything on their pages under /console/me.
//
// WeChat suspends a template used outside the service scene it was granted
// for, and frowns on frequent sends of one kind: the notices carry no
// article content, only a fixed title, the sender and the time, and each
// deputy gets at most PerWeek of them in any seven days.
type DeputyNotify struct {
	// Notice is the template of a broadcast (空中讲堂) notice
	// (DEPUTYLINK_TPL_DEPUTY_NOTICE): pick a library template such as
	// "工作通知" or "培训通知" of the 政务 category. Our fields: title,
	// kind, sender, time.
	Notice TemplateSpec
	// Report is the template of the monthly 履职通报 notice
	// (DEPUTYLINK_TPL_DEPUTY_REPORT).
	Report TemplateSpec
	// PerWeek is the most broadcast notices one deputy gets in any seven
	// days (DEPUTYLINK_DEPUTY_NOTICES_PER_WEEK, default 3); the rest are
	// held back and the articles wait in the deputy's list.
	PerWeek int
}

// The variables LoadDeputyNotify reads.
const (
	EnvTplDeputyNotice      = "DEPUTYLINK_TPL_DEPUTY_NOTICE"
	EnvTplDeputyReport      = "DEPUTYLINK_TPL_DEPUTY_REPORT"
	EnvDeputyNoticesPerWeek = "DEPUTYLINK_DEPUTY_NOTICES_PER_WEEK"
)

// DefaultDeputyNoticesPerWeek is the weekly cap unless
// DEPUTYLINK_DEPUTY_NOTICES_PER_WEEK says otherwise.
const DefaultDeputyNoticesPerWeek = 3

// maxDeputyNoticesPerWeek: more than one a day is what the cap is there to
// prevent.
const maxDeputyNoticesPerWeek = 7

// LoadDeputyNotify reads the deputies' notice settings from getenv
// (os.Getenv in production). Unset variables take their defaults; a
// malformed one is an error naming the variable.
func LoadDeputyNotify(getenv func(string) string) (DeputyNotify, error) {
	n := DeputyNotify{PerWeek: DefaultDeputyNoticesPerWeek}
	l := loader{getenv: getenv}
	l.template(EnvTplDeputyNotice, &n.Notice)
	l.template(EnvTplDeputyReport, &n.Report)
	if v, ok := l.lookup(EnvDeputyNoticesPerWeek, false); ok {
		d, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || d < 1 || d > maxDeputyNoticesPerWeek {
			l.fail(EnvDeputyNoticesPerWeek, fmt.Sprintf("must be a whole number of notices from 1 to %d, not %q", maxDeputyNoticesPerWeek, v))
		} else {
			n.PerWeek = d
		}
	}
	if len(l.errs) > 0 {
		return DeputyNotify{}, errors.Join(l.errs...)
	}
	return n, nil
}
