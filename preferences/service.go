// Package preferences is the preference center's domain service: what a
// customer, signed in by the link in a message, may see and change about
// themselves. It holds no storage of its own and writes only through the
// same store methods the API uses (PutCustomer, SetConsent, OptOutAll,
// EraseCustomer), so the consent ledger's rules and the preference
// version apply exactly as they do to a CRM. Like campaigns, it imports
// no gin, asynq or gorm.
package preferences

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/candor/candor/models"
)

// Store is what the preference center needs from storage.
type Store interface {
	models.CustomerService
	models.TopicService
	models.ConsentService
	// CustomerDeliveries lists a customer's deliveries (CampaignStore).
	CustomerDeliveries(ctx context.Context, externalID string, page models.Page, statuses ...models.DeliveryStatus) ([]*models.Delivery, string, error)
	models.ContentReceiptService
	// Delivery returns one delivery (DeliveryService).
	Delivery(ctx context.Context, id int64) (*models.Delivery, error)
	// ContentVersion returns an approved version (ContentService).
	ContentVersion(ctx context.Context, id int64, version int) (*models.ContentVersion, error)
	// RequestContent plans a requested item's delivery, decided by
	// planner as a launch decides (store.RequestContent).
	RequestContent(ctx context.Context, in models.ContentRequestInput, planner models.Planner) (*models.ContentRequest, error)
	// PendingConsent, Confirmations and ConfirmConsent serve double
	// opt-in links (store/confirmations_consent.go).
	PendingConsent(ctx context.Context, customerID int64, topic string) (*models.PendingConfirmation, error)
	Confirmations(ctx context.Context, customerID int64, topic string) ([]*models.Confirmation, error)
	ConfirmConsent(ctx context.Context, customerID int64, topic string, seq int64, ev models.Evidence) (*models.Consent, error)
}

// Links returns a customer's unsubscribe and preference URLs, put into a
// message rendered again as they were when it was sent.
type Links func(c *models.Customer) (unsubscribe, preferences string)

// Service implements models.PreferenceService.
type Service struct {
	store    Store
	channels []models.Channel
	links    Links
	planner  models.Planner
	codes    ConfirmationCodes
	now      func() time.Time
}

// New returns the preference center over st. channels are those Candor can
// send on (models.PlanSettings.Channels): a customer may only choose one
// of them. planner decides requested content as launches do; codes
// verifies double opt-in links.
func New(st Store, channels []models.Channel, links Links, planner models.Planner, codes ConfirmationCodes) *Service {
	return &Service{store: st, channels: slices.Clone(channels), links: links, planner: planner, codes: codes, now: time.Now}
}

var _ models.PreferenceService = (*Service)(nil)

// PreferencePage implements models.PreferenceService.
func (s *Service) PreferencePage(ctx context.Context, c *models.Customer) (*models.PreferencePage, error) {
	ledger, err := s.store.Consents(ctx, c.ExternalID)
	if err != nil {
		return nil, err
	}
	topics, err := s.topics(ctx)
	if err != nil {
		return nil, err
	}
	status := map[string]models.ConsentStatus{}
	for _, cur := range ledger.Current {
		status[cur.Topic] = cur.Status
	}
	page := &models.PreferencePage{Customer: c, Channels: s.offeredChannels(c), ChainVerified: ledger.Chain.Verified,
		State: pageState(c, ledger)}
	for _, t := range topics {
		st := status[t.Key]
		if st == "" {
			st = models.ConsentNone
		}
		page.Topics = append(page.Topics, models.PreferenceTopic{Topic: *t, Status: st})
	}
	if page.Sent, err = s.sent(ctx, c); err != nil {
		return nil, err
	}
	if page.Offers, err = s.store.ContentOffers(ctx, c.ID, optedIn(ledger), s.now()); err != nil {
		return nil, err
	}
	return page, nil
}

// pageState names what a page shows: anything a stale form could silently
// overwrite changes it.
func pageState(c *models.Customer, l *models.ConsentLedger) string {
	var seq int64
	if n := len(l.History); n > 0 {
		seq = l.History[n-1].Seq
	}
	return fmt.Sprintf("e%d.v%d.s%d", c.TokenEpoch, c.PreferenceVersion, seq)
}

// offeredChannels are the channels Candor sends on and the customer has an
// address for, plus their current choice even if it is neither: the form
// must be able to show what is set today.
func (s *Service) offeredChannels(c *models.Customer) []models.Channel {
	var out []models.Channel
	for _, ch := range models.Channels {
		if (slices.Contains(s.channels, ch) && c.Address(ch) != "") || ch == c.PreferredChannel {
			out = append(out, ch)
		}
	}
	return out
}

// topics reads every topic (they are few: admins create them).
func (s *Service) topics(ctx context.Context) ([]*models.Topic, error) {
	var all []*models.Topic
	page := models.Page{Limit: models.MaxPageLimit}
	for {
		items, next, err := s.store.Topics(ctx, page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		page.Cursor = next
	}
}

// optedIn lists the topics the customer is opted into.
func optedIn(l *models.ConsentLedger) []string {
	var out []string
	for _, c := range l.Current {
		if c.Status == models.ConsentOptedIn {
			out = append(out, c.Topic)
		}
	}
	return out
}
