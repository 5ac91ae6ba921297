package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// deliveryRow is a row of the deliveries table.
type deliveryRow struct {
	ID             int64
	CampaignID     int64
	CustomerID     int64
	Channel        string
	Locale         string
	ContentID      int64
	ContentVersion int
	ScheduledAt    time.Time
	Status         string
	Reason         string
	Generation     int
	SentAt         *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Planning sets PreferenceVersion to the wishes it planned for; a
	// send replaces it with the wishes it honoured. The rest is the
	// delivery worker's: hand-over, lease and the snapshot of a send.
	PreferenceVersion  int
	QueuedAt           *time.Time
	TaskID             string
	LeaseUntil         *time.Time
	LeaseOwner         string
	Attempts           int
	ProviderID         string
	AddressFingerprint string
	SendTimezone       string
	SendWindow         *int
	SendLocal          string
}

func (deliveryRow) TableName() string { return "deliveries" }

// deliveryColumns are deliveryRow's columns: every column but events, the
// growing history the hot path writes but never reads (gorm's
// Omit("events") selects the same list).
const deliveryColumns = "id, campaign_id, customer_id, channel, locale, content_id, content_version, scheduled_at, status, " +
	"reason, generation, sent_at, created_at, updated_at, preference_version, queued_at, task_id, lease_until, lease_owner, " +
	"attempts, provider_id, address_fingerprint, send_timezone, send_window, send_local"

func (r *deliveryRow) model() *models.Delivery {
	d := &models.Delivery{
		ID: r.ID, CampaignID: r.CampaignID, CustomerID: r.CustomerID,
		Channel: models.Channel(r.Channel), Locale: r.Locale,
		ContentID: r.ContentID, ContentVersion: r.ContentVersion,
		ScheduledAt: r.ScheduledAt.UTC(), Status: models.DeliveryStatus(r.Status),
		Reason: models.Reason(r.Reason), Generation: r.Generation,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		PreferenceVersion: r.PreferenceVersion, Attempts: r.Attempts, ProviderID: r.ProviderID,
		SentAt: utcPtr(r.SentAt),
	}
	if r.SendTimezone != "" || r.AddressFingerprint != "" {
		d.Snapshot = &models.SendSnapshot{AddressFingerprint: r.AddressFingerprint, Timezone: r.SendTimezone,
			Window: r.SendWindow, Local: r.SendLocal}
	}
	return d
}

// countingStatuses are the statuses of models.DeliveryStatus.Counts, as
// query arguments.
var countingStatuses = func() []string {
	var out []string
	for _, st := range models.DeliveryStatuses {
		if st.Counts() {
			out = append(out, string(st))
		}
	}
	return out
}()

// CampaignDeliveries implements models.CampaignService. The cursor is the
// last id, so a filtered list pages as correctly as an unfiltered one.
func (s *Store) CampaignDeliveries(ctx context.Context, id int64, page models.Page, statuses ...models.DeliveryStatus) ([]*models.Delivery, string, error) {
	if err := models.ValidateDeliveryStatuses(statuses); err != nil {
		return nil, "", err
	}
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	if _, err := campaignByID(db, id); err != nil {
		return nil, "", err
	}
	items, next, err := deliveryPage(withStatuses(db.Where("campaign_id = ?"+s.launchedOnly("campaign_id"), id), statuses), ks)
	if err != nil {
		return nil, "", err
	}
	return items, next, withExternalIDs(db, items)
}

// withStatuses narrows q to deliveries in one of statuses, if any.
func withStatuses(q *gorm.DB, statuses []models.DeliveryStatus) *gorm.DB {
	if len(statuses) == 0 {
		return q
	}
	args := make([]string, len(statuses))
	for i, st := range statuses {
		args[i] = string(st)
	}
	return q.Where("status IN ?", args)
}

// withExternalIDs fills in the customers' external ids (none for erased
// customers) in one query.
func withExternalIDs(db *gorm.DB, items []*models.Delivery) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]int64, len(items))
	for i, d := range items {
		ids[i] = d.CustomerID
	}
	var rows []struct {
		ID         int64
		ExternalID *string
	}
	if err := db.Model(&customerRow{}).Select("id, external_id").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return mapError(err, "Customers")
	}
	ext := make(map[int64]string, len(rows))
	for _, r := range rows {
		if r.ExternalID != nil {
			ext[r.ID] = *r.ExternalID
		}
	}
	for _, d := range items {
		d.ExternalID = ext[d.CustomerID]
	}
	return nil
}

// CustomerDeliveries implements models.CampaignService.
func (s *Store) CustomerDeliveries(ctx context.Context, externalID string, page models.Page, statuses ...models.DeliveryStatus) ([]*models.Delivery, string, error) {
	if err := models.ValidateDeliveryStatuses(statuses); err != nil {
		return nil, "", err
	}
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	c, err := liveCustomer(db, externalID)
	if err != nil {
		return nil, "", err
	}
	items, next, err := deliveryPage(withStatuses(db.Where("customer_id = ?"+s.launchedOnly("campaign_id"), c.ID), statuses), ks)
	for _, d := range items {
		d.ExternalID = externalID
	}
	return items, next, err
}

// customerDeliveries returns every delivery of one customer, for export.
func (s *Store) customerDeliveries(tx *gorm.DB, customerID int64) ([]*models.Delivery, error) {
	var rows []deliveryRow
	if err := tx.Where("customer_id = ?"+s.launchedOnly("campaign_id"), customerID).Order("id").Find(&rows).Error; err != nil {
		return nil, mapError(err, "Deliveries")
	}
	out := make([]*models.Delivery, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out, nil
}

// deliveryPage reads the page ks of the deliveries q selects.
func deliveryPage(q *gorm.DB, ks keyset[int64]) ([]*models.Delivery, string, error) {
	return pageBy(q, ks, "Deliveries", func(r deliveryRow) int64 { return r.ID }, infallible((*deliveryRow).model))
}

// Deliveries implements models.DeliveryService.
func (s *Store) Deliveries(ctx context.Context, page models.Page, statuses ...models.DeliveryStatus) ([]*models.Delivery, string, error) {
	if err := models.ValidateDeliveryStatuses(statuses); err != nil {
		return nil, "", err
	}
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	db := s.db.WithContext(ctx)
	q := db.Model(&deliveryRow{})
	if s.dialect == DialectSQLite {
		q = q.Where("campaign_id NOT IN (" + unlaunchedCampaigns + ")") // see launchedOnly
	}
	items, next, err := deliveryPage(withStatuses(q, statuses), ks)
	if err != nil {
		return nil, "", err
	}
	return items, next, withExternalIDs(db, items)
}
