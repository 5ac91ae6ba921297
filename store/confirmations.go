package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// confirmationRow is a row of consent_confirmations: the message asking a
// customer to confirm a pending (double opt-in) consent.
type confirmationRow struct {
	ID          int64
	CustomerID  int64
	Topic       string
	ConsentSeq  int64
	Status      string
	Reason      string
	Channel     string
	ScheduledAt time.Time
	ExpiresAt   time.Time
	Attempts    int
	LeaseUntil  *time.Time
	ProviderID  string
	SentAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (confirmationRow) TableName() string { return "consent_confirmations" }

func (r *confirmationRow) model() *models.Confirmation {
	c := &models.Confirmation{ID: r.ID, CustomerID: r.CustomerID, Topic: r.Topic, ConsentSeq: r.ConsentSeq,
		Status: models.ConfirmationStatus(r.Status), Reason: models.Reason(r.Reason), Channel: models.Channel(r.Channel),
		ScheduledAt: r.ScheduledAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), Attempts: r.Attempts}
	if r.SentAt != nil {
		t := r.SentAt.UTC()
		c.SentAt = &t
	}
	return c
}

// openConfirmation lists the statuses of a confirmation that may still be
// confirmed (or lapse): its message is planned, on its way or ended.
var openConfirmation = []string{string(models.ConfirmationPlanned), string(models.ConfirmationSending),
	string(models.ConfirmationSent), string(models.ConfirmationFailed), string(models.ConfirmationSkipped),
	string(models.ConfirmationUnknown)}

// confirmationQuietPeriod is how long after a confirmation message an
// opt-in from a bulk source (api, crm, import) for the same customer and
// topic asks nothing again: a CRM re-sending an opt-in the customer let
// lapse must not turn the question into a reminder series.
const confirmationQuietPeriod = 30 * 24 * time.Hour

// planConfirmation plans the confirmation message of the pending consent
// event seq, due now (the sender waits for the customer's window), valid
// for the store's confirmation expiry. For a bulk source, when the
// customer was sent one for the topic within confirmationQuietPeriod,
// the confirmation is skipped (cadence_cap) with its event: the consent
// stays pending until it lapses, and the customer can still opt in on the
// preference center, which always asks.
func (s *Store) planConfirmation(tx *gorm.DB, customerID int64, topic string, seq int64, bulk bool) error {
	now := s.now()
	row := confirmationRow{CustomerID: customerID, Topic: topic, ConsentSeq: seq, Status: string(models.ConfirmationPlanned),
		ScheduledAt: now, ExpiresAt: now.Add(s.confirmationExpiry), CreatedAt: now, UpdatedAt: now}
	if bulk {
		var recent int64
		// sent_at is set when a send starts; failed and skipped ones did
		// not reach the customer (an expired one may have).
		err := tx.Model(&confirmationRow{}).Where("customer_id = ? AND topic = ? AND sent_at > ? AND status NOT IN ?", customerID, topic,
			now.Add(-confirmationQuietPeriod), []string{string(models.ConfirmationFailed), string(models.ConfirmationSkipped)}).Count(&recent).Error
		if err != nil {
			return err
		}
		if recent > 0 {
			row.Status, row.Reason = string(models.ConfirmationSkipped), string(models.ReasonCadenceCap)
		}
	}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	if row.Status == string(models.ConfirmationSkipped) {
		return s.confirmationEvent(tx, &row, models.ConfirmationSkipped, models.ReasonCadenceCap)
	}
	return nil
}

// ClaimConfirmations claims up to limit confirmations that are due and
// not expired, deciding each with checker at send time: those allowed
// become sending under a lease held by worker until now+lease (with the
// channel they go on); those outside the customer's window are moved to
// its next occurrence; the others are skipped with the reason. A
// confirmation whose consent is no longer the pending event it confirms
// is skipped (consent_withdrawn). A sending one whose lease ran out (its
// sender died) becomes unknown: the message may have gone out, and the
// customer or their CRM can ask again. No network call happens inside.
func (s *Store) ClaimConfirmations(ctx context.Context, limit int, worker string, lease time.Duration,
	checker models.ConfirmationChecker) ([]*models.ClaimedConfirmation, error) {
	var out []*models.ClaimedConfirmation
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		out = nil
		now := s.now()
		if err := s.settleDeadConfirmations(tx, now, limit); err != nil {
			return err
		}
		q := tx.Where("status IN ('planned', 'sending') AND status = ? AND scheduled_at <= ? AND expires_at > ?",
			string(models.ConfirmationPlanned), now, now).Order("scheduled_at, id").Limit(limit)
		if s.dialect == DialectPostgres {
			q = q.Clauses(skipLocked)
		}
		var rows []confirmationRow
		if err := q.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		for i := range rows {
			cc, err := s.claimConfirmation(tx, &rows[i], worker, now, lease, checker)
			if err != nil {
				return err
			}
			if cc != nil {
				out = append(out, cc)
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapError(err, "Confirmations")
	}
	return out, nil
}

// settleDeadConfirmations makes unknown, with their event, up to limit
// confirmations whose sender's lease ran out before now.
func (s *Store) settleDeadConfirmations(tx *gorm.DB, now time.Time, limit int) error {
	q := tx.Where("status IN ('planned', 'sending') AND status = ? AND lease_until < ?", string(models.ConfirmationSending), now).
		Order("id").Limit(limit)
	if s.dialect == DialectPostgres {
		q = q.Clauses(skipLocked)
	}
	var dead []confirmationRow
	if err := q.Find(&dead).Error; err != nil {
		return err
	}
	for i := range dead {
		if err := s.endConfirmation(tx, &dead[i], models.ConfirmationUnknown, "", now); err != nil {
			return err
		}
	}
	return nil
}

// claimConfirmation decides one due confirmation inside the claim.
func (s *Store) claimConfirmation(tx *gorm.DB, r *confirmationRow, worker string, now time.Time, lease time.Duration,
	checker models.ConfirmationChecker) (*models.ClaimedConfirmation, error) {
	var cr customerRow
	if err := tx.Where("id = ?", r.CustomerID).Take(&cr).Error; err != nil {
		return nil, err
	}
	cust, err := cr.model()
	if err != nil {
		return nil, s.endConfirmation(tx, r, models.ConfirmationSkipped, models.ReasonErased, now)
	}
	// A hard-bounced address is gone for confirmations as for deliveries.
	if err := s.dropBouncedAddresses(tx, map[int64]*models.Customer{cust.ID: cust}); err != nil {
		return nil, err
	}
	var consent []consentRow
	if err := tx.Where("customer_id = ? AND topic = ?", r.CustomerID, r.Topic).Limit(1).Find(&consent).Error; err != nil {
		return nil, err
	}
	if len(consent) == 0 || consent[0].Status != string(models.ConsentPending) || consent[0].Seq != r.ConsentSeq {
		return nil, s.endConfirmation(tx, r, models.ConfirmationSkipped, models.ReasonConsentWithdrawn, now)
	}
	conf := r.model()
	x := checker.CheckConfirmation(cust, conf, now)
	switch x.Action {
	case models.SendNow:
		until := now.Add(lease)
		err := tx.Model(&confirmationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"status": string(models.ConfirmationSending),
			"channel": string(x.Channel), "lease_until": until, "attempts": r.Attempts + 1, "sent_at": now, "updated_at": now}).Error
		if err != nil {
			return nil, err
		}
		conf.Status, conf.Channel, conf.Attempts, conf.SentAt = models.ConfirmationSending, x.Channel, r.Attempts+1, &now
		var topic topicRow
		if err := tx.Where("key = ?", r.Topic).Take(&topic).Error; err != nil {
			return nil, err
		}
		return &models.ClaimedConfirmation{Confirmation: conf, Customer: cust, Topic: topic.model(), Decision: x}, nil
	case models.SendReplan:
		return nil, tx.Model(&confirmationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"scheduled_at": x.At, "updated_at": now}).Error
	default:
		return nil, s.endConfirmation(tx, r, models.ConfirmationSkipped, x.Reason, now)
	}
}

// endConfirmation gives a confirmation its final message status and
// writes its outbox event.
func (s *Store) endConfirmation(tx *gorm.DB, r *confirmationRow, st models.ConfirmationStatus, reason models.Reason, now time.Time) error {
	err := tx.Model(&confirmationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"status": string(st), "reason": string(reason),
		"lease_until": nil, "updated_at": now}).Error
	if err != nil {
		return err
	}
	return s.confirmationEvent(tx, r, st, reason)
}

// confirmationEvent writes the consent.confirmation outbox event of r
// reaching st.
func (s *Store) confirmationEvent(tx *gorm.DB, r *confirmationRow, st models.ConfirmationStatus, reason models.Reason) error {
	var ext []*string // NULL once erased
	if err := tx.Model(&customerRow{}).Where("id = ?", r.CustomerID).Limit(1).Pluck("external_id", &ext).Error; err != nil {
		return err
	}
	data := map[string]any{"confirmation_id": r.ID, "topic": r.Topic, "channel": r.Channel, "status": string(st), "reason": string(reason)}
	if len(ext) > 0 && ext[0] != nil {
		data["external_id"] = *ext[0]
	}
	return s.writeEvent(tx, models.EventConfirmation, &r.CustomerID, data)
}

// RecordConfirmations records what each confirmation send came to: sent
// (with the provider's id), failed or unknown with their event, or
// planned again at RetryAt after a transient failure. Only confirmations
// still sending are changed.
func (s *Store) RecordConfirmations(ctx context.Context, outcomes []models.ConfirmationOutcome) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		now := s.now()
		for _, o := range outcomes {
			var rows []confirmationRow
			if err := tx.Where("id = ? AND status = ?", o.ID, string(models.ConfirmationSending)).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				continue
			}
			r := &rows[0]
			if o.Status == models.ConfirmationPlanned {
				err := tx.Model(&confirmationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"status": string(o.Status),
					"scheduled_at": o.RetryAt.UTC(), "lease_until": nil, "updated_at": now}).Error
				if err != nil {
					return err
				}
				continue
			}
			err := tx.Model(&confirmationRow{}).Where("id = ?", r.ID).Updates(map[string]any{"status": string(o.Status),
				"reason": string(o.Reason), "provider_id": o.ProviderID, "lease_until": nil, "updated_at": now}).Error
			if err != nil {
				return err
			}
			if err := s.confirmationEvent(tx, r, o.Status, o.Reason); err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, "Confirmations")
}
