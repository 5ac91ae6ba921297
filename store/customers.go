package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// customerRow is a row of the customers table. JSON columns are strings:
// jsonb on Postgres, TEXT on SQLite (where bytes would be stored as BLOB
// and be opaque to json_extract).
type customerRow struct {
	ID                int64
	ExternalID        *string // NULL once erased
	Email             string
	Phone             string
	Name              string
	Locale            string
	Timezone          string
	PreferredChannel  string
	PreferredWindows  string
	Cadence           *string
	Attributes        string
	PreferenceVersion int
	Suppressed        bool
	ConsentSeq        int64
	TokenEpoch        int64 `gorm:"->"` // written only by RevokeCustomerLinks
	ErasedAt          *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (customerRow) TableName() string { return "customers" }

// customerWritable are the columns PutCustomer replaces on update. A new
// one must also be compared by sameStoredCustomer, or changing only it
// would be taken for a replay and not written.
var customerWritable = []string{
	"external_id", "email", "phone", "name", "locale", "timezone", "preferred_channel",
	"preferred_windows", "cadence", "attributes", "preference_version", "suppressed", "updated_at",
}

// apply copies every writable field of in, because a PUT replaces the
// whole profile.
func (r *customerRow) apply(in *models.CustomerInput) error {
	windows, err := json.Marshal(in.PreferredWindows)
	if err != nil {
		return fmt.Errorf("store: encode preferred_windows: %w", err)
	}
	attrs, err := json.Marshal(in.Attributes)
	if err != nil {
		return fmt.Errorf("store: encode attributes: %w", err)
	}
	r.Cadence = nil
	if in.Cadence != nil {
		raw, err := json.Marshal(in.Cadence)
		if err != nil {
			return fmt.Errorf("store: encode cadence: %w", err)
		}
		s := string(raw)
		r.Cadence = &s
	}
	id := in.ExternalID
	r.ExternalID = &id
	r.Email, r.Phone, r.Name = in.Email, in.Phone, in.Name
	r.Locale, r.Timezone = in.Locale, in.Timezone
	r.PreferredChannel = string(in.PreferredChannel)
	r.PreferredWindows, r.Attributes = string(windows), string(attrs)
	return nil
}

// liveCustomer loads a customer that has not been erased, by external id.
// ENOTFOUND otherwise. Pass s.forUpdate(tx) to lock the row until the
// transaction ends.
func liveCustomer(tx *gorm.DB, externalID string) (*customerRow, error) {
	var row customerRow
	// Erased customers have a NULL external id, so they never match.
	if err := tx.Where("external_id = ?", externalID).Take(&row).Error; err != nil {
		return nil, mapError(err, "Customer")
	}
	return &row, nil
}

// Customer implements models.CustomerService.
func (s *Store) Customer(ctx context.Context, externalID string) (*models.Customer, error) {
	if s.dialect == DialectPostgres {
		return s.customerPostgres(ctx, externalID)
	}
	row, err := liveCustomer(s.db.WithContext(ctx), externalID)
	if err != nil {
		return nil, err
	}
	return row.model()
}

// CustomerByID implements models.CustomerService.
func (s *Store) CustomerByID(ctx context.Context, id int64) (*models.Customer, error) {
	var row customerRow
	err := s.db.WithContext(ctx).Where("id = ? AND erased_at IS NULL", id).Take(&row).Error
	if err != nil {
		return nil, mapError(err, "Customer")
	}
	return row.model()
}

// Customers implements models.CustomerService.
func (s *Store) Customers(ctx context.Context, page models.Page) ([]*models.Customer, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	q := s.db.WithContext(ctx).Where("erased_at IS NULL")
	return pageBy(q, ks, "Customers", func(r customerRow) int64 { return r.ID }, (*customerRow).model)
}

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

// suppressed reports whether email or phone matches the fingerprint of an
// erased customer's address.
func (s *Store) suppressed(tx *gorm.DB, email, phone string) (bool, error) {
	fps := s.fingerprints(email, phone)
	if len(fps) == 0 {
		return false, nil
	}
	var n int64
	if err := tx.Model(&suppressionRow{}).Where("fingerprint IN ?", keysOf(fps)).Count(&n).Error; err != nil {
		return false, err
	}
	return n > 0, nil
}

// suppressionRow is a row of the suppressions table: a keyed hash of an
// erased address, never the address.
type suppressionRow struct {
	Fingerprint string `gorm:"primaryKey"`
	Kind        string
	CreatedAt   time.Time
}

func (suppressionRow) TableName() string { return "suppressions" }

// fingerprints maps the fingerprint of each non-empty address to its kind.
func (s *Store) fingerprints(email, phone string) map[string]string {
	out := map[string]string{}
	if email != "" {
		out[s.keys.Fingerprint("email", email)] = "email"
	}
	if phone != "" {
		out[s.keys.Fingerprint("phone", phone)] = "phone"
	}
	return out
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// EraseCustomer implements models.CustomerService.
func (s *Store) EraseCustomer(ctx context.Context, externalID string) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		// The erasure fence, shared, first: it never waits for a
		// planner, only for a planner's final skip of erased customers
		// (see lockErasure).
		if err := s.lockErasure(tx); err != nil {
			return err
		}
		row, err := liveCustomer(s.forUpdate(tx), externalID)
		if err != nil {
			return err
		}
		now := s.now()
		for fp, kind := range s.fingerprints(row.Email, row.Phone) {
			sup := suppressionRow{Fingerprint: fp, Kind: kind, CreatedAt: now}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&sup).Error; err != nil {
				return err
			}
		}
		err = tx.Model(&customerRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"external_id":       nil,
			"email":             "",
			"phone":             "",
			"name":              "",
			"locale":            "",
			"timezone":          "",
			"preferred_windows": "[]",
			"cadence":           nil,
			"attributes":        "{}",
			"erased_at":         now,
			"updated_at":        now,
		}).Error
		if err != nil {
			return err
		}
		if err := s.eraseTraces(tx, row.ID, externalID); err != nil {
			return err
		}
		// Planned deliveries die with the profile: nothing may be sent to an
		// erased customer, and their rows no longer count for capacity.
		// (Queued and later states belong to the send path, which checks
		// erasure again at send time; so does a planned one a claim holds
		// at this moment, left to it: see unclaimedOf.)
		where, args := unclaimedOf(s.dialect, models.DeliveryPlanned, row.ID)
		_, err = s.moveWhere(tx, models.DeliveryPlanned, models.DeliverySkipped, models.ReasonErased, "erasure", where, args...)
		if err != nil {
			return err
		}
		if err := scrubInbox(tx, externalID); err != nil {
			return err
		}
		// The audit trail names the customer by internal id only.
		if err := s.audit(tx, models.AuditCustomerErased, "customer", row.ID, nil); err != nil {
			return err
		}
		// Not even the external id: the CRM that asked knows whom it
		// erased, and the id may be an address (issue 15).
		return s.writeEvent(tx, models.EventCustomerErased, &row.ID, map[string]any{"external_id": s.ErasedPseudonym(externalID)})
	})
	return mapError(err, "Customer")
}

// CustomerExport implements models.CustomerService.
func (s *Store) CustomerExport(ctx context.Context, externalID string) (*models.CustomerExport, error) {
	db := s.db.WithContext(ctx)
	row, err := liveCustomer(db, externalID)
	if err != nil {
		return nil, err
	}
	c, err := row.model()
	if err != nil {
		return nil, err
	}
	ledger, err := s.ledger(db, row.ID)
	if err != nil {
		return nil, err
	}
	events, err := customerEvents(db, row.ID)
	if err != nil {
		return nil, err
	}
	deliveries, err := s.customerDeliveries(db, row.ID)
	if err != nil {
		return nil, err
	}
	// The export is a read; its audit row is written once it is complete.
	if err := s.audit(db, models.AuditCustomerExported, "customer", row.ID, nil); err != nil {
		return nil, mapError(err, "Customer")
	}
	return &models.CustomerExport{Customer: c, Consents: ledger, Events: events, Deliveries: deliveries}, nil
}
