package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// eventRow is a row of the events table, the transactional outbox.
type eventRow struct {
	ID         int64
	Type       string
	CustomerID *int64
	Data       string
	CreatedAt  time.Time
}

func (eventRow) TableName() string { return "events" }

func (r *eventRow) model() models.Event {
	return models.Event{
		ID:         r.ID,
		Type:       models.EventType(r.Type),
		CustomerID: r.CustomerID,
		Data:       json.RawMessage(r.Data),
		CreatedAt:  r.CreatedAt.UTC(),
	}
}

// writeEvent appends an outbox event inside tx, so the event commits or
// rolls back with the change it describes. data must hold no PII.
func (s *Store) writeEvent(tx *gorm.DB, typ models.EventType, customerID *int64, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: encode %s event: %w", typ, err)
	}
	row := eventRow{Type: string(typ), CustomerID: customerID, Data: string(raw), CreatedAt: s.now()}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("store: write %s event: %w", typ, err)
	}
	return nil
}

// customerEventData is the body of the customer.* outbox events: the
// external id the CRM sent and, except for customer.suppressed, the
// preference version. No PII; a struct of a string and an int always
// encodes.
type customerEventData struct {
	ExternalID        string `json:"external_id"`
	PreferenceVersion *int   `json:"preference_version,omitempty"`
}

func customerEvent(typ models.EventType, customerID int64, data customerEventData, at time.Time) eventRow {
	raw, _ := json.Marshal(data)
	return eventRow{Type: string(typ), CustomerID: &customerID, Data: string(raw), CreatedAt: at}
}

// Events returns up to limit outbox events with an id above afterID, oldest
// first, for consumers that remember the last id they processed. limit is
// clamped like a page size.
func (s *Store) Events(ctx context.Context, afterID int64, limit int) ([]models.Event, error) {
	var rows []eventRow
	err := s.db.WithContext(ctx).Where("id > ?", afterID).Order("id").Limit(pageLimit(limit)).Find(&rows).Error
	if err != nil {
		return nil, mapError(err, "Events")
	}
	return eventModels(rows), nil
}

// customerEvents returns every outbox event about one customer.
func customerEvents(tx *gorm.DB, customerID int64) ([]models.Event, error) {
	var rows []eventRow
	if err := tx.Where("customer_id = ?", customerID).Order("id").Find(&rows).Error; err != nil {
		return nil, mapError(err, "Events")
	}
	return eventModels(rows), nil
}

func eventModels(rows []eventRow) []models.Event {
	out := make([]models.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].model()
	}
	return out
}
