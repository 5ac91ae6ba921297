package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// planBatch is how many customers planning loads, decides and writes at
// a time: memory holds one batch, whatever the audience size.
const planBatch = 5000

// plan is a campaign's planning context: the pinned version and the
// domain's decision for this campaign (models.CampaignPlan).
type plan struct {
	campaign *campaignRow
	version  *models.ContentVersion
	decide   models.CampaignPlan
	target   models.PlanTarget
	rule     *models.Rule // nil for a correction
	// anyReceived and anyCadence say whether other campaigns have any
	// deliveries that dedup or cadence must look at; when they have none
	// (new content, a quiet period) the per-batch queries are skipped.
	anyReceived, anyCadence bool
	// decoder keeps its caches of windows and cadences across pages.
	decoder *memberDecoder
	// launchedOnly leaves the rows of campaigns never launched out of
	// the deliveries queries (Store.launchedOnly).
	launchedOnly string
}

// planStats are what planning counts.
type planStats struct {
	eligible  int64
	excluded  map[models.Reason]int64
	moved     int64
	byChannel map[models.Channel]int64
}

// written is how many rows a launch with these counts writes: a delivery
// for each eligible customer and an exclusion for each of the others.
func (st *planStats) written() int64 {
	n := st.eligible
	for _, k := range st.excluded {
		n += k
	}
	return n
}

// planSink receives each planned delivery and each excluded customer;
// finish is called once at the end of a successful plan.
type planSink interface {
	add(ctx context.Context, d deliveryRow) error
	exclude(ctx context.Context, e exclusionRow) error
	finish(ctx context.Context) error
}

// newPlan loads what deciding about a customer of row needs inside tx and
// refuses content that cannot be sent: never approved, retired, or expired
// (ECONFLICT naming the reason). Planning the whole audience also needs
// withAudience; explain does not, so a launched campaign whose segment was
// deleted afterwards can still be explained.
// withAudience; explain does not, so a launched campaign whose segment was
// deleted afterwards can still be explained.
func (s *Store) newPlan(tx *gorm.DB, row *campaignRow, planner models.Planner, now time.Time) (*plan, error) {
	var crow contentRow
	if err := tx.Where("id = ?", row.ContentID).Take(&crow).Error; err != nil {
		return nil, mapError(err, "Content")
	}
	versionNo := row.ContentVersion
	if versionNo == 0 {
		switch {
		case crow.State == string(models.ContentRetired):
			return nil, models.Errorf(models.ECONFLICT, "Content %d is retired and cannot be sent.", crow.ID)
		case crow.ApprovedVersion == 0:
			return nil, models.Errorf(models.ECONFLICT, "Content %d is %s and has no approved version; approve it before launching.", crow.ID, crow.State)
		}
		versionNo = crow.ApprovedVersion
	}
	var vrow contentVersionRow
	if err := tx.Where("content_id = ? AND version = ?", crow.ID, versionNo).Take(&vrow).Error; err != nil {
		return nil, mapError(err, "Content version")
	}
	version, err := vrow.model()
	if err != nil {
		return nil, err
	}
	if row.ContentVersion == 0 && version.ExpiresAt != nil && !version.ExpiresAt.After(now) {
		return nil, models.Errorf(models.ECONFLICT, "Content %d version %d expired at %s and cannot be sent.",
			crow.ID, versionNo, version.ExpiresAt.UTC().Format(time.RFC3339))
	}
	p := &plan{campaign: row, version: version, anyReceived: true, anyCadence: true, launchedOnly: s.launchedOnly("campaign_id")}
	p.target = models.PlanTarget{CampaignID: row.ID, Version: version, Correction: row.RecipientsOf != nil,
		OnRequest: row.Kind == string(models.CampaignKindRequest), Spread: row.Spread, NotBefore: row.NotBefore.UTC(), NotAfter: row.NotAfter.UTC(), Now: now}
	p.decide = planner.Plan(p.target)
	return p, nil
}

// withAudience loads the segment rule that selects p's audience (none for
// a correction, which targets the corrected content's recipients).
// ECONFLICT when the segment was deleted.
func (s *Store) withAudience(tx *gorm.DB, p *plan) (*plan, error) {
	row := p.campaign
	if row.RecipientsOf != nil {
		return p, nil
	}
	if row.SegmentID == nil {
		return nil, models.Errorf(models.ECONFLICT, "Campaign %d has no audience: its segment was deleted.", row.ID)
	}
	var err error
	if p.rule, err = s.parsedSegment(tx.Statement.Context, *row.SegmentID); err != nil {
		return nil, err
	}
	return p, nil
}

// planReads is where planning reads: db for the queries before the
// first page (probes, channel capacity), and pg, on PostgreSQL, which runs
// a function on the pgx connection the pages are read on, inside a
// transaction (nil on SQLite).
type planReads struct {
	db *gorm.DB
	pg func(ctx context.Context, fn func(*pgx.Conn) error) error
}

// runPlan streams the audience in id order, one page at a time, has the
// domain decide each customer and hands the deliveries and exclusions to
// sink. On PostgreSQL the pages are read on their own goroutine while the
// previous one is decided (planPages); deciding stays serial, in id
// order, because channel capacity is handed out in that order.
func (s *Store) runPlan(ctx context.Context, r planReads, p *plan, sink planSink) (*planStats, error) {
	st := &planStats{excluded: map[models.Reason]int64{}, byChannel: map[models.Channel]int64{}}
	if err := p.probeDeliveries(r.db.WithContext(ctx)); err != nil {
		return nil, err
	}
	err := s.reserveCapacity(ctx, r.db, p.decide, p.campaign.ID, p.campaign.NotBefore, p.campaign.NotAfter)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pages := s.planPages(ctx, r, p)
	defer pages.stop()
	for {
		page, err := pages.next()
		if err != nil {
			return nil, err
		}
		if page == nil {
			break
		}
		for i := range page.facts {
			f := &page.facts[i]
			x, err := p.decide.Decide(ctx, f)
			if err != nil {
				return nil, err
			}
			if !x.Planned() {
				st.excluded[x.Reason]++
				// Kept per customer so explain can report this decision
				// after the customer's data changed.
				if err := sink.exclude(ctx, exclusionRow{CampaignID: p.campaign.ID, CustomerID: f.Customer.ID, Reason: string(x.Reason)}); err != nil {
					return nil, err
				}
				continue
			}
			st.eligible++
			st.byChannel[x.Channel]++
			err = sink.add(ctx, deliveryRow{CampaignID: p.campaign.ID, CustomerID: f.Customer.ID, Channel: string(x.Channel),
				Locale: x.Locale, ContentID: p.version.ContentID, ContentVersion: p.version.Version, ScheduledAt: x.At,
				Status: string(models.DeliveryPlanned), Generation: 1, CreatedAt: now, UpdatedAt: now,
				PreferenceVersion: f.Customer.PreferenceVersion})
			if err != nil {
				return nil, err
			}
		}
		pages.recycle(page)
	}
	st.moved = p.decide.Moved()
	return st, sink.finish(ctx)
}

// audiencePage returns up to planBatch customers after the id (SQLite's
// path; PostgreSQL reads pages with their facts in one query, see
// pgFactsQuery).
func (s *Store) audiencePage(ctx context.Context, db *gorm.DB, p *plan, after int64) ([]*models.Customer, error) {
	q := s.audienceQuery(p)
	query := "SELECT " + planColumns + " FROM " + q.from + " WHERE " + q.where +
		" AND c.id > " + s.placeholder(&q, after) + " ORDER BY c.id LIMIT " + s.placeholder(&q, planBatch)
	rows, err := db.Statement.ConnPool.QueryContext(ctx, query, q.args...)
	if err != nil {
		return nil, mapError(err, "Campaign audience")
	}
	defer rows.Close()
	if p.decoder == nil {
		p.decoder = newMemberDecoder()
		p.decoder.shared = true
	}
	dec := p.decoder
	out := make([]*models.Customer, 0, 64)
	for rows.Next() {
		c, err := dec.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Campaign audience")
	}
	return out, nil
}

// batchFacts loads, in three queries per batch, the consent for the
// content's topic, content-level dedup and the deliveries that weigh on
// cadence: the facts of each customer of batch, in its order. Launch,
// preview and explain read them here, so they decide on the same facts.
func (s *Store) batchFacts(db *gorm.DB, p *plan, batch []*models.Customer) ([]models.PlanFacts, error) {
	ids := make([]int64, len(batch))
	for i, c := range batch {
		ids[i] = c.ID
	}
	var consents []consentRow
	if err := db.Where("topic = ? AND customer_id IN ?", p.version.Topic, ids).Find(&consents).Error; err != nil {
		return nil, mapError(err, "Consents")
	}
	status := make(map[int64]models.ConsentStatus, len(consents))
	unverified := map[int64]bool{}
	verified := s.consentVerifier()
	for i := range consents {
		c := &consents[i]
		status[c.CustomerID] = models.ConsentStatus(c.Status)
		// A row without a valid MAC was not written by the ledger (issue 15).
		unverified[c.CustomerID] = !verified(c)
	}
	var received []int64
	if p.anyReceived {
		err := db.Model(&deliveryRow{}).Distinct("customer_id").
			Where("content_id = ? AND campaign_id <> ? AND status IN ? AND customer_id IN ?"+p.launchedOnly, p.version.ContentID, p.campaign.ID, countingStatuses, ids).
			Pluck("customer_id", &received).Error
		if err != nil {
			return nil, mapError(err, "Deliveries")
		}
	}
	got := make(map[int64]bool, len(received))
	for _, id := range received {
		got[id] = true
	}
	times := map[int64][]time.Time{}
	if p.anyCadence {
		var rows []struct {
			CustomerID  int64
			ScheduledAt time.Time
			SentAt      *time.Time
		}
		from, to := p.cadenceHorizon()
		err := db.Model(&deliveryRow{}).Select("customer_id, scheduled_at, sent_at").
			Where("customer_id IN ? AND campaign_id <> ? AND status IN ?"+p.launchedOnly, ids, p.campaign.ID, countingStatuses).
			Where("COALESCE(sent_at, scheduled_at) > ? AND COALESCE(sent_at, scheduled_at) < ?", from, to).
			Scan(&rows).Error
		if err != nil {
			return nil, mapError(err, "Deliveries")
		}
		for _, r := range rows {
			at := r.ScheduledAt
			if r.SentAt != nil {
				at = *r.SentAt
			}
			times[r.CustomerID] = append(times[r.CustomerID], at.UTC())
		}
	}
	facts := make([]models.PlanFacts, len(batch))
	for i, c := range batch {
		facts[i] = models.PlanFacts{Customer: c, Consent: status[c.ID], ConsentUnverified: unverified[c.ID],
			AlreadyReceived: got[c.ID], Counted: times[c.ID]}
	}
	return facts, nil
}

// cadenceHorizon bounds the deliveries that can weigh on any cadence of
// a send between max(now, not_before) and not_after.
func (p *plan) cadenceHorizon() (from, to time.Time) {
	start := p.campaign.NotBefore.UTC()
	if p.target.Now.After(start) {
		start = p.target.Now
	}
	return start.Add(-models.MaxCadencePeriod), p.campaign.NotAfter.UTC().Add(models.MaxCadencePeriod)
}

// probeDeliveries sets anyReceived and anyCadence with two indexed
// existence checks.
func (p *plan) probeDeliveries(db *gorm.DB) error {
	var hits []int64
	err := db.Model(&deliveryRow{}).
		Where("content_id = ? AND campaign_id <> ? AND status IN ?"+p.launchedOnly, p.version.ContentID, p.campaign.ID, countingStatuses).
		Limit(1).Pluck("id", &hits).Error
	if err != nil {
		return mapError(err, "Deliveries")
	}
	p.anyReceived = len(hits) > 0
	if p.target.Correction {
		return nil
	}
	from, to := p.cadenceHorizon()
	hits = hits[:0]
	err = db.Model(&deliveryRow{}).
		Where("campaign_id <> ? AND status IN ?"+p.launchedOnly, p.campaign.ID, countingStatuses).
		Where("COALESCE(sent_at, scheduled_at) > ? AND COALESCE(sent_at, scheduled_at) < ?", from, to).
		Limit(1).Pluck("id", &hits).Error
	if err != nil {
		return mapError(err, "Deliveries")
	}
	p.anyCadence = len(hits) > 0
	return nil
}
