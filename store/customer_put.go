package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// PutCustomer implements models.CustomerService. The customer it returns
// may share in's windows and attributes (it is built from them rather
// than decoded again): callers must not change in afterwards.
func (s *Store) PutCustomer(ctx context.Context, in *models.CustomerInput) (*models.Customer, bool, error) {
	if in == nil {
		return nil, false, models.Errorf(models.EINVALID, "A customer is required.")
	}
	norm := *in
	norm.Normalize()
	if err := norm.Validate(); err != nil {
		return nil, false, err
	}
	out, created, _, err := s.putCustomer(ctx, &norm)
	return out, created, err
}

// putCustomer writes norm, normalized and valid, in a transaction of its
// own and reports whether it created the customer and whether it changed
// anything. PostgreSQL takes the pipelined path (putCustomerPostgres);
// this gorm one serves SQLite.
func (s *Store) putCustomer(ctx context.Context, norm *models.CustomerInput) (out *models.Customer, created, changed bool, err error) {
	if s.dialect == DialectPostgres {
		return s.putCustomerPostgres(ctx, norm)
	}
	// Two PUTs of one new external id both see "absent"; the loser's
	// insert violates the unique index and its retry updates instead.
	err = s.tx(ctx, true, func(tx *gorm.DB) error {
		// The lock makes concurrent PUTs of one customer queue, so no
		// preference version bump is lost.
		stored, err := liveCustomer(s.forUpdate(tx), norm.ExternalID)
		if models.ErrorCode(err) == models.ENOTFOUND {
			stored, err = nil, nil
		}
		if err != nil {
			return err
		}
		hit, err := s.suppressed(tx, norm.Email, norm.Phone)
		if err != nil {
			return err
		}
		ch, err := decidePut(stored, norm, hit, s.now())
		if err != nil {
			return err
		}
		created, changed = ch.created, ch.changed
		if !ch.changed {
			out, err = stored.model()
			return err
		}
		if created {
			err = tx.Create(ch.row).Error
		} else {
			// consent_seq belongs to the consent ledger: writing back the
			// value read above could undo a concurrent SetConsent.
			err = tx.Model(&customerRow{}).Where("id = ?", ch.row.ID).Select(customerWritable).Updates(ch.row).Error
		}
		if err != nil {
			return err
		}
		if err := s.writeEvents(tx, ch.events(nil)); err != nil {
			return err
		}
		out, err = ch.written(norm)
		return err
	})
	if err != nil {
		return nil, false, false, mapError(err, "Customer")
	}
	return out, created, changed, nil
}

// customerChange is what a put decided for one customer.
type customerChange struct {
	row     *customerRow
	created bool
	// changed is false for a replay of the stored profile: nothing is
	// written.
	changed bool
	// newlySuppressed: an address matched an erased customer's
	// fingerprint for the first time.
	newlySuppressed bool
	// wishesKept: an update whose channel, zone, windows and cadence
	// equal the stored ones (models.PreferencesDiffer), so its
	// preference version does not move either.
	wishesKept bool
}

// decidePut decides what putting in writes over stored (nil for a new
// customer), in is normalized and valid and hit says whether one of its
// addresses is suppressed. It is the one decision behind PutCustomer and
// PutCustomers.
func decidePut(stored *customerRow, in *models.CustomerInput, hit bool, now time.Time) (customerChange, error) {
	ch := customerChange{created: stored == nil, changed: true}
	if ch.created {
		ch.row = &customerRow{PreferenceVersion: 1, CreatedAt: now}
	} else {
		next := *stored
		ch.row = &next
		old, err := stored.wishes()
		if err != nil {
			return ch, err
		}
		if models.PreferencesDiffer(old, in) {
			ch.row.PreferenceVersion++
		} else {
			ch.wishesKept = true
		}
	}
	if err := ch.row.apply(in); err != nil {
		return ch, err
	}
	// Suppression is sticky: consent given to an erased address must not
	// come back by changing the address again.
	ch.newlySuppressed = hit && !ch.row.Suppressed
	ch.row.Suppressed = ch.row.Suppressed || hit
	// CRMs re-send whole profiles on every sync; a replay that changes
	// nothing must not look like news to outbox consumers.
	if !ch.created && sameStoredCustomer(stored, ch.row) {
		ch.changed = false
		return ch, nil
	}
	ch.row.UpdatedAt = now
	return ch, nil
}

// events appends to dst the outbox events of a written change, in the
// order PutCustomer has always written them. data holds no PII.
func (ch *customerChange) events(dst []eventRow) []eventRow {
	typ := models.EventCustomerUpdated
	if ch.created {
		typ = models.EventCustomerCreated
	}
	id, ext, version := ch.row.ID, *ch.row.ExternalID, ch.row.PreferenceVersion
	dst = append(dst, customerEvent(typ, id, customerEventData{ExternalID: ext, PreferenceVersion: &version}, ch.row.UpdatedAt))
	if ch.newlySuppressed {
		dst = append(dst, customerEvent(models.EventCustomerSuppressed, id, customerEventData{ExternalID: ext}, ch.row.UpdatedAt))
	}
	return dst
}
