package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// errRequestRaced ends a request transaction whose delivery lost the
// content dedup index to a delivery planned meanwhile (a campaign launch).
var errRequestRaced = errors.New("store: a delivery of this content was planned meanwhile")

// RequestContent plans one delivery of a content item that a customer
// asked for on the preference center, through their preferred channel in
// their next window within models.RequestValidity. It is a campaign of
// kind request with one delivery, decided by planner as a launch decides
// (consent, channel, address, variant, zone, window, already_received;
// exempt from cadence), so dispatch, the send-time check and the outcome
// treat it like any other. Nothing is planned when the customer already
// received the content or it is on its way, when MaxOpenRequests wait,
// or when the rules refuse it (the outcome says which). A second request
// with in.Key answers as the first did. The customer row is locked, so
// concurrent requests of one customer run one after the other.
// ENOTFOUND for an erased or unknown customer or content never approved;
// ECONFLICT for retired or expired content.
func (s *Store) RequestContent(ctx context.Context, in models.ContentRequestInput, planner models.Planner) (*models.ContentRequest, error) {
	var out *models.ContentRequest
	var err error
	// A request that lost the dedup index to a launch is asked again
	// once: it then finds that delivery and answers on_its_way.
	for range 2 {
		err = s.tx(ctx, false, func(tx *gorm.DB) error {
			var err error
			out, err = s.requestContent(tx, in, planner)
			return err
		})
		if !errors.Is(err, errRequestRaced) {
			break
		}
	}
	if err != nil {
		return nil, mapError(err, "Content")
	}
	return out, nil
}

func (s *Store) requestContent(tx *gorm.DB, in models.ContentRequestInput, planner models.Planner) (*models.ContentRequest, error) {
	var cr customerRow
	if err := s.forUpdate(tx).Where("id = ? AND erased_at IS NULL", in.CustomerID).Take(&cr).Error; err != nil {
		return nil, mapError(err, "Customer")
	}
	cust, err := cr.model()
	if err != nil {
		return nil, err
	}
	var item contentRow
	if err := tx.Where("id = ? AND approved_version > 0", in.ContentID).Take(&item).Error; err != nil {
		return nil, mapError(err, "Content")
	}
	receipt, err := s.receipt(tx, cust.ID, item.ID, item.ApprovedVersion)
	if err != nil {
		return nil, err
	}
	out := &models.ContentRequest{ContentID: item.ID, Receipt: *receipt}
	if prior, err := s.priorRequest(tx, in.Key); err != nil || prior != nil {
		if prior != nil {
			prior.Receipt = *receipt
			if receipt.ReceivedAt != nil {
				prior.Outcome = models.RequestAlreadyReceived
			}
		}
		return prior, err
	}
	switch {
	case receipt.ReceivedAt != nil:
		out.Outcome = models.RequestAlreadyReceived
		return out, nil
	case receipt.Pending != nil:
		out.Outcome = models.RequestOnItsWay
		return out, nil
	}
	var open int64
	err = tx.Raw("SELECT COUNT(*) FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.customer_id = ? "+
		"AND d.status IN ('planned', 'queued', 'sending') AND c.kind = 'request'", cust.ID).Scan(&open).Error
	if err != nil {
		return nil, err
	}
	if open >= models.MaxOpenRequests {
		out.Outcome = models.RequestTooMany
		return out, nil
	}
	now := s.now()
	key := in.Key
	row := &campaignRow{Name: fmt.Sprintf("request: content %d", item.ID), ContentID: item.ID, NotBefore: now,
		NotAfter: now.Add(models.RequestValidity), State: string(models.CampaignScheduled), Excluded: "{}",
		PlannedCount: 1, CreatedAt: now, UpdatedAt: now, LaunchedAt: &now, Kind: string(models.CampaignKindRequest), RequestKey: &key}
	// Decided before the row exists: a refusal writes nothing.
	p, err := s.newPlan(tx, row, planner, now)
	if err != nil {
		return nil, err
	}
	facts, err := s.batchFacts(tx, p, []*models.Customer{cust})
	if err != nil {
		return nil, err
	}
	x, err := p.decide.Decide(tx.Statement.Context, &facts[0])
	if err != nil {
		return nil, err
	}
	if !x.Planned() {
		out.Outcome, out.Reason = models.RequestRefused, x.Reason
		return out, nil
	}
	row.ContentVersion = p.version.Version
	if err := tx.Create(row).Error; err != nil {
		return nil, err
	}
	d := &deliveryRow{CampaignID: row.ID, CustomerID: cust.ID, Channel: string(x.Channel), Locale: x.Locale,
		ContentID: item.ID, ContentVersion: p.version.Version, ScheduledAt: x.At, Status: string(models.DeliveryPlanned),
		Generation: 1, CreatedAt: now, UpdatedAt: now, PreferenceVersion: cust.PreferenceVersion}
	if err := tx.Create(d).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, errRequestRaced
		}
		return nil, err
	}
	err = s.writeEvent(tx, models.EventContentRequested, &cust.ID, map[string]any{"content_id": item.ID, "campaign_id": row.ID,
		"delivery_id": d.ID, "external_id": cust.ExternalID, "channel": d.Channel})
	if err != nil {
		return nil, err
	}
	out.Outcome, out.Delivery = models.RequestPlanned, d.model()
	return out, nil
}

// priorRequest returns the answer of the request made with key before,
// or nil when there was none.
func (s *Store) priorRequest(tx *gorm.DB, key string) (*models.ContentRequest, error) {
	var rows []campaignRow
	if err := tx.Where("request_key = ?", key).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return nil, err
	}
	var ds []deliveryRow
	if err := tx.Raw("SELECT "+deliveryColumns+" FROM deliveries WHERE campaign_id = ?", rows[0].ID).Scan(&ds).Error; err != nil {
		return nil, err
	}
	out := &models.ContentRequest{ContentID: rows[0].ContentID, Outcome: models.RequestPlanned, Repeated: true}
	if len(ds) == 0 {
		return out, nil
	}
	out.Delivery = ds[0].model()
	if st := out.Delivery.Status; !st.Counts() {
		// It ended unsent (the customer's wishes changed, no window was
		// left, the channel refused it): the send check's reason says why.
		out.Outcome, out.Reason = models.RequestRefused, out.Delivery.Reason
	}
	return out, nil
}
