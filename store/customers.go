package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

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
