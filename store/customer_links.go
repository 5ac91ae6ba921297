package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// RevokeCustomerLinks implements models.CustomerService.
func (s *Store) RevokeCustomerLinks(ctx context.Context, externalID string) (*models.Customer, error) {
	var out *models.Customer
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		row, err := liveCustomer(s.forUpdate(tx), externalID)
		if err != nil {
			return err
		}
		// updated_at stays: the profile did not change, only its links.
		if err := tx.Exec("UPDATE customers SET token_epoch = token_epoch + 1 WHERE id = ?", row.ID).Error; err != nil {
			return err
		}
		row.TokenEpoch++
		out, err = row.model()
		return err
	})
	if err != nil {
		return nil, mapError(err, "Customer")
	}
	return out, nil
}

// skipPendingDeliveries skips every planned and queued delivery of a
// customer who withdrew all consent (reason consent_withdrawn), in the
// caller's transaction, so nothing already planned goes out after the
// customer said stop. A delivery being sent at this moment is past
// stopping; the send check still sees the withdrawn consent for every
// later one. actor names the consent source in each delivery's events.
//
// A planned or queued delivery that a worker's claim has locked at this
// moment is left to that claim (SKIP LOCKED on PostgreSQL): the claim locks
// deliveries before customers and this transaction holds the customer, so
// waiting would deadlock; the claim reads the withdrawn consent once this
// commits and skips the delivery itself.
func (s *Store) skipPendingDeliveries(tx *gorm.DB, customerID int64, actor models.ConsentSource) error {
	for _, from := range []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued} {
		where, args := unclaimedOf(s.dialect, from, customerID)
		if _, err := s.moveWhere(tx, from, models.DeliverySkipped, models.ReasonConsentWithdrawn, string(actor), where, args...); err != nil {
			return err
		}
	}
	return nil
}

// unclaimedOf is the condition (with its arguments) selecting a
// customer's deliveries in status from that no claim holds: on PostgreSQL
// a transaction that holds the customer's row must not wait for a claim,
// which locks deliveries first and the customer next (SKIP LOCKED); SQLite
// has one writer at a time.
func unclaimedOf(dialect string, from models.DeliveryStatus, customerID int64) (string, []any) {
	if dialect != DialectPostgres {
		return "customer_id = ?", []any{customerID}
	}
	return "id IN (SELECT id FROM deliveries WHERE customer_id = ? AND status = ? FOR UPDATE SKIP LOCKED)", []any{customerID, string(from)}
}
