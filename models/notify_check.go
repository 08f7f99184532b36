package models

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"deputylink/config"
)

// CheckTemplateFields refuses, at start-up, a template setting that maps a
// field no notice of that template fills (a typo such as "resutl=thing1"
// would otherwise leave a keyword empty, and WeChat refuses the message
// only when it is first sent), or a keyword that is not written like
// WeChat's (thing1, time2, character_string3, keyword1, first, remark).
// Each error names the variable.
func CheckTemplateFields(n config.NotifyTemplates, o config.OpinionNotify, staffAlert config.TemplateSpec, d config.DeputyNotify) error {
	opinion := []string{OpinionFieldTitle, OpinionFieldNo, OpinionFieldSummary, OpinionFieldStation,
		OpinionFieldStatus, OpinionFieldDue, OpinionFieldTime}
	settings := []struct {
		env    string
		spec   config.TemplateSpec
		fields []string
	}{
		{config.EnvTplBookingResult, n.BookingResult, []string{NotifyFieldResult, NotifyFieldStation,
			NotifyFieldTime, NotifyFieldCode, NotifyFieldTopic, NotifyFieldAddress, NotifyFieldNote}},
		{config.EnvTplReceptionReminder, n.ReceptionReminder, []string{NotifyFieldStation, NotifyFieldTime,
			NotifyFieldCode, NotifyFieldAddress, NotifyFieldDeputies, NotifyFieldNote}},
		{config.EnvTplStaffRoster, n.StaffRoster, []string{NotifyFieldTitle, NotifyFieldStation, NotifyFieldDate,
			NotifyFieldTime, NotifyFieldDeputies, NotifyFieldBooked, NotifyFieldWaitlisted, NotifyFieldSummary,
			NotifyFieldSlots}},
		{config.EnvTplOpinionStaff, o.Staff, opinion},
		{config.EnvTplOpinionAccepted, o.Accepted, opinion},
		{config.EnvTplOpinionResult, o.Result, opinion},
		{config.EnvTplOpinionAskResult, o.AskResult, opinion},
		{config.EnvTplOpinionVoter, o.VoterOA, opinion},
		{config.EnvTplDeptTransfer, o.DeptTransfer, opinion},
		{config.EnvTplStaffAlert, staffAlert, []string{DigestFieldTitle, DigestFieldCount, DigestFieldDead,
			DigestFieldOverdue, DigestFieldStation, DigestFieldTime}},
		{config.EnvTplDeputyNotice, d.Notice, deputyNoticeFields},
		{config.EnvTplDeputyReport, d.Report, reportNoticeFields},
	}
	var errs []error
	for _, s := range settings {
		var bad []string
		for field, kw := range s.spec.Fields {
			switch {
			case !slices.Contains(s.fields, field):
				bad = append(bad, fmt.Sprintf("unknown field %q", field))
			case !keywordRe.MatchString(kw):
				bad = append(bad, fmt.Sprintf("field %q maps to %q, which is not a WeChat keyword such as thing1", field, kw))
			}
		}
		if len(bad) > 0 {
			slices.Sort(bad)
			errs = append(errs, fmt.Errorf("%s: %s (its fields are %s)", s.env, strings.Join(bad, "; "), strings.Join(s.fields, ", ")))
		}
	}
	return errors.Join(errs...)
}

// keywordRe is how WeChat writes template keywords: a lower-case name with
// an optional number (thing1, character_string12, keyword3, first, remark).
var keywordRe = regexp.MustCompile(`^[a-z][a-z_]{0,31}[0-9]{0,3}$`)
