package config

import (
	"errors"
	"fmt"
)

// VoterTemplate is one mini-program subscribe template sent to voters,
// named by the variable that configures it.
type VoterTemplate struct {
	Var  string
	Spec TemplateSpec
}

// VoterTemplates are the configured and unconfigured subscribe templates
// of every notice sent to voters, in a stable order.
func (c Config) VoterTemplates() []VoterTemplate {
	return []VoterTemplate{
		{EnvTplBookingResult, c.Notify.BookingResult},
		{EnvTplReceptionReminder, c.Notify.ReceptionReminder},
		{EnvTplOpinionAccepted, c.OpinionNotify.Accepted},
		{EnvTplOpinionResult, c.OpinionNotify.Result},
		{EnvTplOpinionAskResult, c.OpinionNotify.AskResult},
	}
}

// checkVoterTemplates refuses one template id configured for two voter
// notices. WeChat counts a voter's consents per template, so two notices
// on one template would compete for one consent, and the tap that asks for
// both would ask once: the second notice would never be sent.
func (c Config) checkVoterTemplates() error {
	var errs []error
	first := map[string]string{}
	for _, t := range c.VoterTemplates() {
		if !t.Spec.Configured() {
			continue
		}
		if other, dup := first[t.Spec.ID]; dup {
			errs = append(errs, &Error{Var: t.Var, Msg: fmt.Sprintf(
				"uses the same template %q as %s; every voter notice needs a template of its own, since one consent allows one send", t.Spec.ID, other)})
			continue
		}
		first[t.Spec.ID] = t.Var
	}
	return errors.Join(errs...)
}
