package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// OpinionNotify configures the opinion notifications (docs/ARCHITECTURE.md#notices). A
// template that is not configured is skipped with a debug log: the console
// and the mini-program still show everything.
//
// Templates are written like every DEPUTYLINK_TPL_* variable (see
// ParseTemplateSpec), "TEMPLATE_ID[;long_term]|ourfield=keyword,…", with
// our field names: title, no, summary, station, status, due, time (see
// models.OpinionField*). Text values are cut to 20 characters.
//
// The voter's three subscribe templates are separate, so that the three
// consents the mini-program asks for when a voter files are each spent on
// their own kind of notice: Accepted (受理), Result (答复, 办结) and
// AskResult (回访, "解决了吗？"). They must differ (checkVoterTemplates).
type OpinionNotify struct {
	// Staff is the official-account template of the staff messages: a new,
	// returned or reopened item, a transfer lead, an overdue or escalated
	// item (DEPUTYLINK_TPL_OPINION_STAFF).
	Staff TemplateSpec
	// Accepted is the mini-program subscribe template telling the voter
	// their item was accepted, 受理 (DEPUTYLINK_TPL_OPINION_ACCEPTED).
	Accepted TemplateSpec
	// Result is the mini-program subscribe template of the handling
	// result: the item was replied to (答复) or closed (办结)
	// (DEPUTYLINK_TPL_OPINION_RESULT).
	Result TemplateSpec
	// AskResult is the mini-program subscribe template of the follow-up
	// question "解决了吗？" (回访), AskResultDays after the reply
	// (DEPUTYLINK_TPL_OPINION_ASK_RESULT).
	AskResult TemplateSpec
	// VoterOA is the official-account template for voters who follow the
	// account but have no consent left (DEPUTYLINK_TPL_OPINION_VOTER).
	VoterOA TemplateSpec
	// DeptTransfer is the official-account template of the department
	// contacts' notices: an item transferred to their department, a reply
	// sent back by the station (DEPUTYLINK_TPL_DEPT_TRANSFER). Its messages
	// link to <PublicURL>/console/dept/opinions/<id>.
	DeptTransfer TemplateSpec
	// PublicURL is the site's absolute base URL, e.g. https://rd.example.gov.cn
	// (DEPUTYLINK_PUBLIC_URL); staff messages link to
	// <PublicURL>/console/opinions/<id>. Empty: staff messages carry no link.
	PublicURL string
	// Page is the mini-program page of one opinion; "?id=<id>" is appended
	// (DEPUTYLINK_MP_OPINION_PAGE, default pages/opinion/detail).
	Page string
	// AskResultDays is how many days after the reply the voter is asked
	// "解决了吗?" (DEPUTYLINK_OPINION_ASK_RESULT_DAYS, default 7).
	AskResultDays int
}

// The variables LoadOpinionNotify reads.
const (
	EnvTplOpinionStaff      = "DEPUTYLINK_TPL_OPINION_STAFF"
	EnvTplOpinionAccepted   = "DEPUTYLINK_TPL_OPINION_ACCEPTED"
	EnvTplOpinionResult     = "DEPUTYLINK_TPL_OPINION_RESULT"
	EnvTplOpinionAskResult  = "DEPUTYLINK_TPL_OPINION_ASK_RESULT"
	EnvTplOpinionVoter      = "DEPUTYLINK_TPL_OPINION_VOTER"
	EnvTplDeptTransfer      = "DEPUTYLINK_TPL_DEPT_TRANSFER"
	EnvPublicURL            = "DEPUTYLINK_PUBLIC_URL"
	EnvOpinionPage          = "DEPUTYLINK_MP_OPINION_PAGE"
	EnvOpinionAskResultDays = "DEPUTYLINK_OPINION_ASK_RESULT_DAYS"
)

// DefaultOpinionPage is the mini-program page of one opinion.
const DefaultOpinionPage = "pages/opinion/detail"

const (
	defaultOpinionAskDays = 7
	maxOpinionAskDays     = 90
	// maxPublicURLBytes leaves room in a notification's 500-byte link for
	// "/console/opinions/<id>".
	maxPublicURLBytes = 400
	// maxOpinionPageBytes leaves room in the 255-byte page for "?id=<id>".
	maxOpinionPageBytes = 200
)

// LoadOpinionNotify reads the opinion notification settings from getenv
// (os.Getenv in production). Unset variables take their defaults; a
// malformed one is an error naming the variable.
func LoadOpinionNotify(getenv func(string) string) (OpinionNotify, error) {
	n := OpinionNotify{Page: DefaultOpinionPage, AskResultDays: defaultOpinionAskDays}
	l := loader{getenv: getenv}
	l.template(EnvTplOpinionStaff, &n.Staff)
	l.subscribeTemplate(EnvTplOpinionAccepted, &n.Accepted)
	l.subscribeTemplate(EnvTplOpinionResult, &n.Result)
	l.subscribeTemplate(EnvTplOpinionAskResult, &n.AskResult)
	l.template(EnvTplOpinionVoter, &n.VoterOA)
	l.template(EnvTplDeptTransfer, &n.DeptTransfer)
	l.str(EnvPublicURL, &n.PublicURL)
	l.str(EnvOpinionPage, &n.Page)
	if v, ok := l.lookup(EnvOpinionAskResultDays, false); ok {
		d, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || d < 1 || d > maxOpinionAskDays {
			l.fail(EnvOpinionAskResultDays, fmt.Sprintf("must be a whole number of days from 1 to %d, not %q", maxOpinionAskDays, v))
		} else {
			n.AskResultDays = d
		}
	}
	n.PublicURL = strings.TrimRight(n.PublicURL, "/")
	if n.PublicURL != "" {
		u, err := url.Parse(n.PublicURL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			l.fail(EnvPublicURL, "must be an absolute http(s) URL such as https://rd.example.gov.cn")
		case u.RawQuery != "" || u.Fragment != "":
			l.fail(EnvPublicURL, "must not carry a query or a fragment")
		case len(n.PublicURL) > maxPublicURLBytes:
			l.fail(EnvPublicURL, "is too long")
		}
	}
	n.Page = strings.TrimPrefix(n.Page, "/")
	if n.Page == "" || len(n.Page) > maxOpinionPageBytes || strings.ContainsAny(n.Page, " \t\r\n") {
		l.fail(EnvOpinionPage, "must be a mini-program page path such as pages/opinion/detail")
	}
	if len(l.errs) > 0 {
		return OpinionNotify{}, errors.Join(l.errs...)
	}
	return n, nil
}
