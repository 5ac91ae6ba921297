package preferences

import (
	"context"

	"github.com/candor/candor/models"
)

// ConfirmationCodes verifies the codes of double opt-in links
// (*secrets.Keys implements it).
type ConfirmationCodes interface {
	VerifyConfirmationCode(customerID int64, topic string, seq int64, code string) bool
}

// errLinkNotValid answers a confirmation link whose code does not verify:
// the same answer whatever is wrong, as for a forged preference link.
func errLinkNotValid() error {
	return models.Errorf(models.ENOTFOUND, "This confirmation link is not valid.")
}

// PendingConfirmation implements models.PreferenceService.
func (s *Service) PendingConfirmation(ctx context.Context, c *models.Customer, topic, code string) (*models.PendingConfirmation, error) {
	p, err := s.store.PendingConsent(ctx, c.ID, topic)
	switch {
	case models.ErrorCode(err) == models.ENOTFOUND:
		return s.confirmedBefore(ctx, c, topic, code)
	case err != nil:
		return nil, err
	case s.codes == nil || !s.codes.VerifyConfirmationCode(c.ID, topic, p.ConsentSeq, code):
		return nil, errLinkNotValid()
	case !p.ExpiresAt.After(s.now()):
		return nil, models.Errorf(models.ECONFLICT, "This confirmation link expired on %s. Choose the topic again on your preferences page to get a new one.",
			p.ExpiresAt.Format("2 January 2006"))
	}
	return p, nil
}

// confirmedBefore answers a link whose consent is no longer pending: if
// the customer confirmed with this very link, it says so (a reload, a
// second click); otherwise the link is not valid.
func (s *Service) confirmedBefore(ctx context.Context, c *models.Customer, topic, code string) (*models.PendingConfirmation, error) {
	if s.codes == nil || !models.ValidTopicKey(topic) {
		return nil, errLinkNotValid()
	}
	confs, err := s.store.Confirmations(ctx, c.ID, topic)
	if err != nil {
		return nil, err
	}
	for _, cf := range confs {
		if cf.Status != models.ConfirmationConfirmed || !s.codes.VerifyConfirmationCode(c.ID, topic, cf.ConsentSeq, code) {
			continue
		}
		t, err := s.store.Topic(ctx, topic)
		if err != nil {
			return nil, err
		}
		return &models.PendingConfirmation{Topic: t, ConsentSeq: cf.ConsentSeq, ExpiresAt: cf.ExpiresAt, Confirmed: true}, nil
	}
	return nil, errLinkNotValid()
}

// ConfirmConsent implements models.PreferenceService.
func (s *Service) ConfirmConsent(ctx context.Context, c *models.Customer, topic, code string, ev models.Evidence) (*models.PendingConfirmation, error) {
	p, err := s.PendingConfirmation(ctx, c, topic, code)
	if err != nil || p.Confirmed {
		return p, err
	}
	if _, err := s.store.ConfirmConsent(ctx, c.ID, topic, p.ConsentSeq, ev); err != nil {
		return nil, err
	}
	p.Confirmed = true
	return p, nil
}
