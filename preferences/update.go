package preferences

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/candor/candor/models"
)

// Cadence periods the form offers, in the cadence syntax.
const (
	PerWeek  = "7d"
	PerMonth = "30d"
)

// UpdatePreferences implements models.PreferenceService.
func (s *Service) UpdatePreferences(ctx context.Context, c *models.Customer, f *models.PreferenceForm) (*models.PreferenceUpdate, error) {
	ledger, err := s.store.Consents(ctx, c.ExternalID)
	if err != nil {
		return nil, err
	}
	if f.State != pageState(c, ledger) {
		return nil, models.Errorf(models.ECONFLICT, "This page changed since it was shown; nothing was saved.")
	}
	topics, err := s.topics(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.profileInput(c, f, topics)
	if err != nil {
		return nil, err
	}
	change := &models.PreferenceUpdate{}
	if models.PreferencesDiffer(c, in) {
		// PutCustomer validates again and bumps the preference version;
		// the send check re-plans or skips pending deliveries from it.
		if _, _, err := s.store.PutCustomer(ctx, in); err != nil {
			return nil, formProblems(err)
		}
		change.Profile = true
	}
	for _, cur := range ledger.Current {
		want := wantedStatus(f, cur)
		if want == "" {
			continue
		}
		_, changed, err := s.store.SetConsent(ctx, c.ExternalID, cur.Topic, &models.ConsentInput{
			Status: want, Source: models.SourcePreferenceCenter, Evidence: f.Evidence})
		if err != nil {
			return nil, err
		}
		if changed {
			change.Consents++
		}
	}
	return change, nil
}

// wantedStatus is the status a submission asks for on a topic, or "" to
// leave it: only topics the page showed change, and an unticked topic
// with no record stays without one (nobody asked about it yet).
func wantedStatus(f *models.PreferenceForm, cur models.Consent) models.ConsentStatus {
	if !slices.Contains(f.Shown, cur.Topic) {
		return ""
	}
	ticked := slices.Contains(f.Wanted, cur.Topic)
	switch {
	case ticked && cur.Status != models.ConsentOptedIn:
		return models.ConsentOptedIn
	case !ticked && (cur.Status == models.ConsentOptedIn || cur.Status == models.ConsentPending):
		return models.ConsentOptedOut
	}
	return ""
}

// profileInput validates the form's profile fields and returns the
// customer's whole profile with them applied (PutCustomer replaces it
// all). EINVALID naming form fields.
func (s *Service) profileInput(c *models.Customer, f *models.PreferenceForm, topics []*models.Topic) (*models.CustomerInput, error) {
	var p models.Problems
	for _, key := range append(slices.Clone(f.Shown), f.Wanted...) {
		if !slices.ContainsFunc(topics, func(t *models.Topic) bool { return t.Key == key }) {
			p.Add(models.PreferenceFieldTopics, "enum", "is not a topic you can choose")
			break
		}
	}
	if !slices.Contains(s.offeredChannels(c), f.Channel) {
		p.Add(models.PreferenceFieldChannel, "enum", "is not one of the channels offered")
	}
	if f.Timezone != "" && !models.ValidTimezone(f.Timezone) {
		p.Add(models.PreferenceFieldTimezone, "iana_timezone", "is not a time zone in the list")
	}
	var windows []models.Window
	if spec := strings.TrimSpace(f.Windows); spec != "" {
		var err error
		if len(spec) > 500 {
			p.Add(models.PreferenceFieldWindows, "max_length", "must be at most 500 characters")
		} else if windows, err = models.ParseWindowsSpec(spec); err != nil {
			p.Add(models.PreferenceFieldWindows, "windows", "%v", err)
		}
	}
	var cadence *models.Cadence
	switch {
	case f.CadenceMax == 0:
	case f.CadenceMax < 1 || f.CadenceMax > 100:
		p.Add(models.PreferenceFieldCadenceMax, "range", "must be between 1 and 100, or empty for no limit")
	case f.CadencePer != PerWeek && f.CadencePer != PerMonth:
		p.Add(models.PreferenceFieldCadencePer, "enum", "must be per week or per month")
	default:
		cadence = &models.Cadence{Max: f.CadenceMax, Per: f.CadencePer}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if windows == nil {
		windows = []models.Window{}
	}
	return &models.CustomerInput{ExternalID: c.ExternalID, Email: c.Email, Phone: c.Phone, Name: c.Name, Locale: c.Locale,
		Timezone: f.Timezone, PreferredChannel: f.Channel, PreferredWindows: windows, Cadence: cadence, Attributes: c.Attributes}, nil
}

// formFields maps PutCustomer's JSON pointers to the form's field names.
var formFields = map[string]string{
	"/preferred_channel": models.PreferenceFieldChannel,
	"/timezone":          models.PreferenceFieldTimezone,
	"/preferred_windows": models.PreferenceFieldWindows,
	"/cadence":           models.PreferenceFieldCadenceMax,
}

// formProblems renames the fields of PutCustomer's EINVALID to form
// fields; a problem with a field the form does not have (an address the
// channel needs) goes to the channel field.
func formProblems(err error) error {
	var e *models.Error
	if !errors.As(err, &e) || e.Code != models.EINVALID {
		return err
	}
	var p models.Problems
	for _, fe := range e.Fields {
		field := models.PreferenceFieldChannel
		for ptr, name := range formFields {
			if fe.Field == ptr || strings.HasPrefix(fe.Field, ptr+"/") {
				field = name
			}
		}
		p.Add(field, fe.Rule, "%s", fe.Detail)
	}
	return p.Err()
}

// UnsubscribeEverything implements models.PreferenceService.
func (s *Service) UnsubscribeEverything(ctx context.Context, c *models.Customer, ev models.Evidence) (int, error) {
	return s.store.OptOutAll(ctx, c.ID, models.SourcePreferenceCenter, ev)
}

// ExportData implements models.PreferenceService.
func (s *Service) ExportData(ctx context.Context, c *models.Customer) (*models.CustomerExport, error) {
	return s.store.CustomerExport(ctx, c.ExternalID)
}

// EraseData implements models.PreferenceService.
func (s *Service) EraseData(ctx context.Context, c *models.Customer) error {
	return s.store.EraseCustomer(ctx, c.ExternalID)
}
