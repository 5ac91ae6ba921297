package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

var _ models.CampaignStore = (*Store)(nil)

// campaignRow is a row of the campaigns table. Excluded is a JSON object
// of counts by reason.
type campaignRow struct {
	ID             int64
	Name           string
	ContentID      int64
	ContentVersion int
	SegmentID      *int64
	RecipientsOf   *int64
	NotBefore      time.Time
	NotAfter       time.Time
	Spread         bool
	State          string
	Excluded       string
	PlannedCount   int64
	MovedCount     int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LaunchedAt     *time.Time
	// Kind is "campaign" or, for a customer's request from the preference
	// center, "request" (migration 00017). The column's default fills it
	// for campaigns created before requests existed and by CreateCampaign.
	Kind string `gorm:"default:campaign"`
	// RequestKey makes a request idempotent (unique when set).
	RequestKey *string
}

func (campaignRow) TableName() string { return "campaigns" }

func (r *campaignRow) model() (*models.Campaign, error) {
	c := &models.Campaign{
		ID: r.ID, Name: r.Name, ContentID: r.ContentID, ContentVersion: r.ContentVersion,
		SegmentID: r.SegmentID, Correction: r.RecipientsOf != nil,
		Window: models.CampaignWindow{NotBefore: r.NotBefore.UTC(), NotAfter: r.NotAfter.UTC()},
		Spread: r.Spread, State: models.CampaignState(r.State),
		Planned: r.PlannedCount, Moved: r.MovedCount, Excluded: map[models.Reason]int64{},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.RecipientsOf != nil {
		c.Audience = &models.Audience{RecipientsOf: *r.RecipientsOf}
	}
	if r.LaunchedAt != nil {
		t := r.LaunchedAt.UTC()
		c.LaunchedAt = &t
	}
	if err := json.Unmarshal([]byte(r.Excluded), &c.Excluded); err != nil {
		return nil, fmt.Errorf("store: campaign %d: excluded: %w", r.ID, err)
	}
	return c, nil
}

// Campaign implements models.CampaignService.
func (s *Store) Campaign(ctx context.Context, id int64) (*models.Campaign, error) {
	row, err := campaignByID(s.db.WithContext(ctx), id)
	if err != nil {
		return nil, err
	}
	return row.model()
}

func campaignByID(tx *gorm.DB, id int64) (*campaignRow, error) {
	var row campaignRow
	if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Campaign")
	}
	return &row, nil
}

// Campaigns implements models.CampaignService.
func (s *Store) Campaigns(ctx context.Context, page models.Page) ([]*models.Campaign, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	// Requests from the preference center are one customer's: they are
	// not the operators' campaigns (docs/preferences.md).
	db := s.db.WithContext(ctx).Where("kind = ?", string(models.CampaignKindCampaign))
	return pageBy(db, ks, "Campaigns", func(r campaignRow) int64 { return r.ID }, (*campaignRow).model)
}

// checkCampaignInput validates in and checks inside tx that its content
// and segment exist, that a recipients_of audience is answered by a
// correction of that content, and that a correction is never sent to a
// segment. EINVALID.
func checkCampaignInput(tx *gorm.DB, in *models.CampaignInput) error {
	if in == nil {
		return models.Errorf(models.EINVALID, "A campaign is required.")
	}
	if err := in.Validate(); err != nil {
		return err
	}
	var p models.Problems
	var content contentRow
	err := tx.Where("id = ?", in.ContentID).Take(&content).Error
	switch {
	case err == gorm.ErrRecordNotFound:
		p.Add("/content_id", "unknown_content", "no content %d exists", in.ContentID)
	case err != nil:
		return err
	}
	if in.SegmentID != nil {
		var n int64
		if err := tx.Model(&segmentRow{}).Where("id = ?", *in.SegmentID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			p.Add("/segment_id", "unknown_segment", "no segment %d exists", *in.SegmentID)
		}
	}
	if in.SegmentID != nil && content.Kind == string(models.KindCorrection) {
		// A correction is about a message people received: sent to a
		// segment it would reach people who never saw the original.
		p.Add("/segment_id", "correction_audience",
			"content %d is a correction: send it with audience.recipients_of, not a segment", in.ContentID)
	}
	if in.Audience != nil && content.ID != 0 {
		// A correction campaign must carry the correction of exactly the
		// content whose recipients it targets, or it would reach people
		// about something they never received.
		if content.Kind != string(models.KindCorrection) || content.Corrects == nil || *content.Corrects != in.Audience.RecipientsOf {
			p.Add("/audience/recipients_of", "not_corrected",
				"content %d must be a correction (kind correction) of content %d", in.ContentID, in.Audience.RecipientsOf)
		}
	}
	return p.Err()
}

// setInput copies in into the row.
func (r *campaignRow) setInput(in *models.CampaignInput) {
	r.Name, r.ContentID, r.SegmentID, r.RecipientsOf = in.Name, in.ContentID, in.SegmentID, nil
	if in.Audience != nil {
		of := in.Audience.RecipientsOf
		r.RecipientsOf = &of
	}
	r.NotBefore = in.Window.NotBefore.UTC().Truncate(time.Microsecond)
	r.NotAfter = in.Window.NotAfter.UTC().Truncate(time.Microsecond)
	r.Spread = in.Spread == nil || *in.Spread
}

// CreateCampaign implements models.CampaignService.
func (s *Store) CreateCampaign(ctx context.Context, in *models.CampaignInput) (*models.Campaign, error) {
	var row campaignRow
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := checkCampaignInput(tx, in); err != nil {
			return err
		}
		now := s.now()
		row = campaignRow{State: string(models.CampaignDraft), Excluded: "{}", CreatedAt: now, UpdatedAt: now}
		row.setInput(in)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, models.AuditCampaignCreated, "campaign", row.ID, nil)
	})
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	return row.model()
}

// UpdateCampaign implements models.CampaignService.
func (s *Store) UpdateCampaign(ctx context.Context, id int64, in *models.CampaignInput) (*models.Campaign, error) {
	var row *campaignRow
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var err error
		if row, err = campaignByID(s.forUpdate(tx), id); err != nil {
			return err
		}
		if row.State != string(models.CampaignDraft) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only drafts can be edited.", id, row.State)
		}
		if err := checkCampaignInput(tx, in); err != nil {
			return err
		}
		row.setInput(in)
		row.UpdatedAt = s.now()
		if err := tx.Select("*").Save(row).Error; err != nil {
			return err
		}
		return s.audit(tx, models.AuditCampaignEdited, "campaign", id, nil)
	})
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	return row.model()
}

// DeleteCampaign implements models.CampaignService. The ECONFLICT names the
// state: a launched campaign is history, cancel it instead.
func (s *Store) DeleteCampaign(ctx context.Context, id int64) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		row, err := campaignByID(s.forUpdate(tx), id)
		if err != nil {
			return err
		}
		if row.State != string(models.CampaignDraft) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only drafts can be deleted (cancel it instead).", id, row.State)
		}
		// The rows a SQLite launch of the draft wrote so far go with it;
		// the launch finds the campaign gone and writes no more.
		if s.dialect == DialectSQLite {
			if err := dropHalfLaunches(tx, id); err != nil {
				return err
			}
		}
		if err := tx.Where("id = ?", id).Delete(&campaignRow{}).Error; err != nil {
			return err
		}
		return s.audit(tx, models.AuditCampaignDeleted, "campaign", id, nil)
	})
	return mapError(err, "Campaign")
}

// setCampaignState moves a locked campaign row to state inside tx and
// writes the outbox event with it.
func (s *Store) setCampaignState(tx *gorm.DB, row *campaignRow, state models.CampaignState, extra map[string]any) error {
	return s.setCampaignStateWith(tx, row, state, extra, nil)
}

// setCampaignStateWith is setCampaignState whose event also carries data.
func (s *Store) setCampaignStateWith(tx *gorm.DB, row *campaignRow, state models.CampaignState, extra, data map[string]any) error {
	old := row.State
	row.State, row.UpdatedAt = string(state), s.now()
	updates := map[string]any{"state": row.State, "updated_at": row.UpdatedAt}
	for k, v := range extra {
		updates[k] = v
	}
	if err := tx.Model(&campaignRow{}).Where("id = ?", row.ID).Updates(updates).Error; err != nil {
		return err
	}
	ev := map[string]any{"campaign_id": row.ID, "from": old, "to": row.State}
	for k, v := range data {
		ev[k] = v
	}
	return s.writeEvent(tx, models.EventCampaignState, nil, ev)
}

// PauseCampaign implements models.CampaignService.
func (s *Store) PauseCampaign(ctx context.Context, id int64) (*models.Campaign, error) {
	return s.transition(ctx, id, func(tx *gorm.DB, row *campaignRow) error {
		if row.State != string(models.CampaignScheduled) && row.State != string(models.CampaignRunning) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s; only scheduled or running campaigns can be paused.", id, row.State)
		}
		if err := s.audit(tx, models.AuditCampaignPaused, "campaign", id, map[string]any{"from": row.State}); err != nil {
			return err
		}
		return s.setCampaignState(tx, row, models.CampaignPaused, nil)
	})
}

// CancelCampaign implements models.CampaignService. A cancelled campaign
// cannot be cancelled again (ECONFLICT naming the state). The cancelled
// deliveries get the reason campaign_cancelled; a queued task finds its
// delivery cancelled when it tries to claim it.
func (s *Store) CancelCampaign(ctx context.Context, id int64) (*models.Campaign, error) {
	return s.transition(ctx, id, func(tx *gorm.DB, row *campaignRow) error {
		if row.State == string(models.CampaignCompleted) || row.State == string(models.CampaignCancelled) {
			return models.Errorf(models.ECONFLICT, "Campaign %d is %s and cannot be cancelled.", id, row.State)
		}
		// Each cancelled delivery keeps the change in its events.
		for _, from := range []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued} {
			if _, err := s.moveWhere(tx, from, models.DeliveryCancelled, models.ReasonCampaignCancelled, "api", "campaign_id = ?", id); err != nil {
				return err
			}
		}
		if err := s.audit(tx, models.AuditCampaignCancel, "campaign", id, map[string]any{"from": row.State}); err != nil {
			return err
		}
		return s.setCampaignState(tx, row, models.CampaignCancelled, nil)
	})
}

// transition runs change on the locked campaign row in a transaction and
// returns the campaign as it is afterwards.
func (s *Store) transition(ctx context.Context, id int64, change func(tx *gorm.DB, row *campaignRow) error) (*models.Campaign, error) {
	var row *campaignRow
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var err error
		if row, err = campaignByID(s.forUpdate(tx), id); err != nil {
			return err
		}
		if err := change(tx, row); err != nil {
			return err
		}
		row, err = campaignByID(tx, id)
		return err
	})
	if err != nil {
		return nil, mapError(err, "Campaign")
	}
	return row.model()
}
