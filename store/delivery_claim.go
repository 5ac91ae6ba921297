package store

import (
	"context"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// ClaimDeliveries claims the deliveries among ids that are planned and
// due (the dispatcher hands planned deliveries to the queue as they are)
// or queued (handed on again for a retry), in one short transaction.
// Another transaction's claim skips the rows it holds (SKIP LOCKED) and a
// claimed delivery is neither planned nor queued any more, so two tasks
// carrying the same delivery never both claim it. It locks their
// customers (so two workers, or two campaigns, never pass a customer's
// cadence at once, and a consent change commits wholly before or after
// the claim), loads each customer's current facts, and has planner take
// the send-time decision for each. Those allowed become sending under a
// lease held by worker until now+lease, recording the snapshot of the
// wishes they honour; the others are re-planned, skipped or expired with
// their reason; deliveries of a paused campaign stay planned (queued ones
// go back to planned). It returns the claimed sends, in id order. No
// network call happens inside: the caller sends afterwards.
func (s *Store) ClaimDeliveries(ctx context.Context, ids []int64, worker string, lease time.Duration, planner models.Planner) ([]*models.ClaimedSend, error) {
	var out []*models.ClaimedSend
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		out = nil
		now := s.now()
		c, err := s.loadClaim(tx, ids, now)
		if err != nil || len(c.deliveries) == 0 {
			return err
		}
		plans := map[int64]models.CampaignPlan{}
		ev := newEventBatch(s, worker, now)
		ev.claims.reserve(len(c.deliveries))
		for id, cust := range c.customers {
			ev.external[id] = cust.ExternalID
		}
		for i := range c.deliveries {
			d := &c.deliveries[i]
			camp := c.campaigns[d.CampaignID]
			switch {
			case camp == nil || camp.State == string(models.CampaignCancelled):
				err = ev.move(tx, d, models.DeliveryCancelled, models.ReasonCampaignCancelled, nil)
			case camp.State == string(models.CampaignPaused) && d.Status == string(models.DeliveryPlanned):
				// Left as it is: resume re-plans planned deliveries whose
				// time passed, under a new generation the dispatcher hands
				// on again.
			case camp.State == string(models.CampaignPaused):
				// Resume re-plans planned deliveries whose time passed.
				// A new generation: after resume its next task id never
				// collides with the one that found it paused.
				err = ev.move(tx, d, models.DeliveryPlanned, "", map[string]any{"queued_at": nil, "task_id": "", "generation": d.Generation + 1})
			default:
				var cs *models.ClaimedSend
				if cs, err = s.claimOne(ctx, tx, c, plans, planner, d, ev, now, lease); cs != nil {
					out = append(out, cs)
				}
			}
			if err != nil {
				return err
			}
		}
		claimed, err := ev.flushAll(tx)
		if err != nil {
			return err
		}
		// Only what really moved is sent (the rows are locked, so all of
		// it; a guard costs nothing).
		kept := out[:0]
		for _, cs := range out {
			if claimed[cs.Delivery.ID] {
				kept = append(kept, cs)
			}
		}
		out = kept
		return nil
	})
	if err != nil {
		return nil, mapError(err, "Deliveries")
	}
	return out, nil
}

// claimOne decides one due delivery of an active campaign.
func (s *Store) claimOne(ctx context.Context, tx *gorm.DB, c *claimFacts, plans map[int64]models.CampaignPlan,
	planner models.Planner, d *deliveryRow, ev *eventBatch, now time.Time, lease time.Duration) (*models.ClaimedSend, error) {
	camp := c.campaigns[d.CampaignID]
	version := c.versions[versionKey{d.ContentID, d.ContentVersion}]
	plan := plans[d.CampaignID]
	if plan == nil {
		plan = planner.Plan(models.PlanTarget{CampaignID: camp.ID, Version: version, Correction: camp.RecipientsOf != nil,
			OnRequest: camp.Kind == string(models.CampaignKindRequest), Spread: camp.Spread, NotBefore: camp.NotBefore.UTC(), NotAfter: camp.NotAfter.UTC(), Now: now})
		plans[d.CampaignID] = plan
	}
	cust := c.customers[d.CustomerID]
	key := consentKey{d.CustomerID, version.Topic}
	facts := &models.PlanFacts{Consent: c.consent[key], ConsentUnverified: c.unverified[key], Counted: c.counted[d.CustomerID]}
	if cust != nil {
		facts.Customer = cust
	}
	delivery := d.model()
	x, err := plan.CheckSend(ctx, facts, delivery)
	if err != nil {
		return nil, err
	}
	switch x.Action {
	case models.SendNow:
		fp := s.keys.Fingerprint(addressKind(x.Channel), x.Address)
		window := x.Window
		until := now.Add(lease)
		// Applied with the batch's other claims in one statement (flush).
		if err := ev.claim(d, until, d.Attempts+1, fp, x.Timezone, window, x.Local, x.PreferenceVersion); err != nil {
			return nil, err
		}
		// The send sees the delivery as stored (the engine's retry limit
		// reads Attempts).
		d.markClaimed(delivery, now, until, ev.worker, fp, window, x)
		// The claim counts for the customer's next message in this batch.
		c.counted[d.CustomerID] = append(c.counted[d.CustomerID], now)
		return &models.ClaimedSend{Delivery: delivery, Customer: cust, Version: version, Decision: x}, nil
	case models.SendReplan:
		return nil, ev.move(tx, d, models.DeliveryPlanned, x.Reason, map[string]any{"scheduled_at": x.At, "channel": string(x.Channel),
			"locale": x.Locale, "generation": d.Generation + 1, "queued_at": nil, "task_id": "", "preference_version": x.PreferenceVersion})
	case models.SendExpire:
		return nil, ev.move(tx, d, models.DeliveryExpired, x.Reason, nil)
	default:
		return nil, ev.move(tx, d, models.DeliverySkipped, x.Reason, nil)
	}
}

// addressKind names the address a fingerprint is taken of: the channel's
// address field ("email", "phone", "external_id").
func addressKind(ch models.Channel) string {
	if spec, ok := models.ChannelSpecFor(ch); ok {
		return spec.AddressField
	}
	return string(ch)
}

// claimFacts is everything a claim decides on, loaded in a few queries.
type claimFacts struct {
	deliveries []deliveryRow
	customers  map[int64]*models.Customer
	campaigns  map[int64]*campaignRow
	versions   map[versionKey]*models.ContentVersion
	consent    map[consentKey]models.ConsentStatus
	// unverified marks consent rows whose MAC does not verify: not
	// written by the consent ledger (issue 15).
	unverified map[consentKey]bool
	// counted are each customer's sending, sent and unknown deliveries by
	// send time: the send-time cadence counts them.
	counted map[int64][]time.Time
}

type versionKey struct {
	content int64
	version int
}

type consentKey struct {
	customer int64
	topic    string
}

// loadClaim locks the claimable deliveries among ids (queued, or planned
// and due) and their customers (customers in id order, so concurrent
// claims never deadlock) and loads the facts of each.
func (s *Store) loadClaim(tx *gorm.DB, ids []int64, now time.Time) (*claimFacts, error) {
	c := &claimFacts{customers: map[int64]*models.Customer{}, campaigns: map[int64]*campaignRow{},
		versions: map[versionKey]*models.ContentVersion{}, consent: map[consentKey]models.ConsentStatus{}, unverified: map[consentKey]bool{},
		counted: map[int64][]time.Time{}}
	// "status || ''" keeps the status test out of index matching: with
	// "status = 'queued'" PostgreSQL's planner, whose statistics saw few
	// queued rows, read all of deliveries_queued_idx (up to 40,000
	// entries, 4-5 ms) instead of probing the primary key for these ids
	// (0.1 ms): that one plan was 40% of the database's time while sending
	// (docs/benchmarks.md, "Sending (issue 10)"). A planned delivery is
	// claimed only once due: one re-planned to a later window after its
	// task was created waits for a task of its new generation.
	var err error
	if s.dialect == DialectPostgres {
		c.deliveries, err = lockClaimablePostgres(tx, ids, now)
	} else {
		err = tx.Raw("SELECT "+deliveryColumns+" FROM deliveries WHERE id IN ? AND (status || '' = 'queued' "+
			"OR (status || '' = 'planned' AND scheduled_at <= ?)) ORDER BY id", ids, now).Scan(&c.deliveries).Error
	}
	if err != nil || len(c.deliveries) == 0 {
		return c, err
	}
	var custIDs, campIDs []int64
	seenCust, seenCamp := map[int64]bool{}, map[int64]bool{}
	for _, d := range c.deliveries {
		if !seenCust[d.CustomerID] {
			seenCust[d.CustomerID] = true
			custIDs = append(custIDs, d.CustomerID)
		}
		if !seenCamp[d.CampaignID] {
			seenCamp[d.CampaignID] = true
			campIDs = append(campIDs, d.CampaignID)
		}
	}
	sort.Slice(custIDs, func(i, j int) bool { return custIDs[i] < custIDs[j] })
	var customers []customerRow
	if s.dialect == DialectPostgres {
		customers, err = lockCustomersPostgres(tx, custIDs)
	} else {
		err = tx.Where("id IN ?", custIDs).Order("id").Find(&customers).Error
	}
	if err != nil {
		return nil, err
	}
	var dec claimCustomerDecoder
	for i := range customers {
		m, err := dec.customer(&customers[i])
		if err != nil {
			continue // an undecodable profile is treated as gone: nothing is sent
		}
		c.customers[m.ID] = m
	}
	if err := s.dropBouncedAddresses(tx, c.customers); err != nil {
		return nil, err
	}
	var camps []campaignRow
	if err := tx.Where("id IN ?", campIDs).Find(&camps).Error; err != nil {
		return nil, err
	}
	for i := range camps {
		c.campaigns[camps[i].ID] = &camps[i]
	}
	// Each delivery's own pinned version (launch writes the campaign's,
	// but the claim decides on what the delivery says it sends).
	var topics []string
	for _, d := range c.deliveries {
		key := versionKey{d.ContentID, d.ContentVersion}
		if c.versions[key] != nil {
			continue
		}
		m, err := s.contentVersion(tx, key)
		if err != nil {
			return nil, err
		}
		c.versions[key] = m
		topics = append(topics, m.Topic)
	}
	return c, s.loadClaimFacts(tx, c, custIDs, topics)
}

// contentVersion returns a content version, from the store's cache when
// it was read before: a version is approved and immutable
// (content_versions_immutable in 00003, content_versions_keep in 00005),
// so each is read once per process instead of once per claim. Callers
// share the value and must not change it.
func (s *Store) contentVersion(tx *gorm.DB, key versionKey) (*models.ContentVersion, error) {
	if v, ok := s.versions.Load(key); ok {
		return v.(*models.ContentVersion), nil
	}
	var v contentVersionRow
	if err := tx.Where("content_id = ? AND version = ?", key.content, key.version).Take(&v).Error; err != nil {
		return nil, err
	}
	m, err := v.model()
	if err != nil {
		return nil, err
	}
	s.versions.Store(key, m)
	return m, nil
}

// loadClaimFacts loads the customers' consent for topics and the
// deliveries that weigh on their send-time cadence.
func (s *Store) loadClaimFacts(tx *gorm.DB, c *claimFacts, custIDs []int64, topics []string) error {
	since := s.now().Add(-models.MaxCadencePeriod)
	if s.dialect == DialectPostgres {
		consents, err := claimConsentsPostgres(tx, custIDs, topics)
		if err != nil {
			return err
		}
		s.noteConsents(c, consents)
		counted, err := claimCountedPostgres(tx, custIDs, since)
		for id, at := range counted {
			c.counted[id] = append(c.counted[id], at...)
		}
		return err
	}
	var consents []consentRow
	if err := tx.Where("customer_id IN ? AND topic IN ?", custIDs, topics).Find(&consents).Error; err != nil {
		return err
	}
	s.noteConsents(c, consents)
	var sent []struct {
		CustomerID int64
		SentAt     time.Time
	}
	err := tx.Model(&deliveryRow{}).Select("customer_id, sent_at").
		Where("customer_id IN ? AND status IN ? AND sent_at > ?", custIDs,
			[]string{string(models.DeliverySending), string(models.DeliverySent), string(models.DeliveryUnknown)},
			since).Scan(&sent).Error
	if err != nil {
		return err
	}
	for _, r := range sent {
		c.counted[r.CustomerID] = append(c.counted[r.CustomerID], r.SentAt.UTC())
	}
	return nil
}

// noteConsents records the consent rows read for a claim, and which of
// them do not verify against the consent ledger.
func (s *Store) noteConsents(c *claimFacts, consents []consentRow) {
	verified := s.consentVerifier()
	for i := range consents {
		r := &consents[i]
		c.consent[consentKey{r.CustomerID, r.Topic}] = models.ConsentStatus(r.Status)
		c.unverified[consentKey{r.CustomerID, r.Topic}] = !verified(r)
	}
}
