package store

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// segmentRow is a row of the segments table. Rule is JSON text (jsonb on
// PostgreSQL).
type segmentRow struct {
	ID          int64
	Name        string
	Description string
	Rule        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (segmentRow) TableName() string { return "segments" }

func (r *segmentRow) model() *models.Segment {
	return &models.Segment{
		ID:          r.ID,
		Name:        r.Name,
		Description: r.Description,
		Rule:        json.RawMessage(r.Rule),
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// checkSegment validates the input, its rule and the topics the rule
// names, and returns the rule as it is stored. EINVALID naming the JSON
// pointer of every bad field or rule node, all in one answer; EMALFORMED
// for a rule that is not JSON.
func (s *Store) checkSegment(ctx context.Context, in *models.SegmentInput) (string, error) {
	if in == nil {
		return "", models.Errorf(models.EINVALID, "A segment is required.")
	}
	p := models.Problems(models.ErrorFields(in.Validate()))
	if len(in.Rule) == 0 || string(in.Rule) == "null" {
		return "", p.Err() // Validate reported it
	}
	rule, err := s.rules.ParseRule(in.Rule, "/rule")
	if err == nil {
		err = s.checkRuleTopics(ctx, rule)
	}
	if err != nil && (models.ErrorCode(err) != models.EINVALID || len(models.ErrorFields(err)) == 0) {
		return "", err
	}
	if p = append(p, models.ErrorFields(err)...); len(p) > 0 {
		return "", p.Err()
	}
	return canonicalRule(in.Rule)
}

// canonicalRule re-encodes a parsed rule instead of storing the client's
// bytes: escapes such as a lone surrogate ("\ud800") decode to U+FFFD but
// would reach PostgreSQL verbatim, and jsonb refuses them. EMALFORMED.
func canonicalRule(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", models.Errorf(models.EMALFORMED, "The rule is not valid JSON.")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<" readable; this JSON never meets HTML
	if err := enc.Encode(doc); err != nil {
		return "", models.Errorf(models.EMALFORMED, "The rule is not valid JSON.")
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// checkRuleTopics rejects consent conditions on topics that do not exist:
// such a condition could only ever mean "none", which is almost always a
// typo. EINVALID naming each condition's field.
func (s *Store) checkRuleTopics(ctx context.Context, rule *models.Rule) error {
	byTopic := map[string][]string{}
	var walk func(r *models.Rule)
	walk = func(r *models.Rule) {
		if r.Cond != nil && r.Cond.Kind == models.FieldConsent {
			byTopic[r.Cond.Topic] = append(byTopic[r.Cond.Topic], r.Pointer)
		}
		for _, child := range r.Children {
			walk(child)
		}
	}
	walk(rule)
	if len(byTopic) == 0 {
		return nil
	}
	var found []string
	if err := s.db.WithContext(ctx).Model(&topicRow{}).Where("key IN ?", slices.Collect(maps.Keys(byTopic))).Pluck("key", &found).Error; err != nil {
		return mapError(err, "Topics")
	}
	for _, key := range found {
		delete(byTopic, key)
	}
	var p models.Problems
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		for _, at := range byTopic[topic] {
			p.Add(at+"/field", "unknown_topic", "no topic %q exists", topic)
		}
	}
	slices.SortFunc(p, func(a, b models.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return p.Err()
}

// Segment implements models.SegmentService.
func (s *Store) Segment(ctx context.Context, id int64) (*models.Segment, error) {
	var row segmentRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Segment")
	}
	return row.model(), nil
}

// Segments implements models.SegmentService.
func (s *Store) Segments(ctx context.Context, page models.Page) ([]*models.Segment, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	return pageBy(s.db.WithContext(ctx), ks, "Segments", func(r segmentRow) int64 { return r.ID }, infallible((*segmentRow).model))
}

// CreateSegment implements models.SegmentService.
func (s *Store) CreateSegment(ctx context.Context, in *models.SegmentInput) (*models.Segment, error) {
	rule, err := s.checkSegment(ctx, in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	row := segmentRow{Name: in.Name, Description: in.Description, Rule: rule, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return nil, mapError(err, "Segment")
	}
	return row.model(), nil
}

// UpdateSegment implements models.SegmentService.
func (s *Store) UpdateSegment(ctx context.Context, id int64, in *models.SegmentInput) (*models.Segment, error) {
	rule, err := s.checkSegment(ctx, in)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, false, func(tx *gorm.DB) error {
		var row segmentRow
		if err := s.forUpdate(tx).Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		if !sameJSON(row.Rule, rule) { // jsonb reorders members
			if err := segmentInUse(tx, id, "its rule cannot be replaced"); err != nil {
				return err
			}
		}
		return tx.Model(&segmentRow{}).Where("id = ?", id).Updates(map[string]any{
			"name": in.Name, "description": in.Description, "rule": rule, "updated_at": s.now(),
		}).Error
	})
	if err != nil {
		return nil, mapError(err, "Segment")
	}
	return s.Segment(ctx, id)
}

// segmentInUse returns ECONFLICT naming the first scheduled, running or
// paused campaign that uses segment id: such a campaign still plans
// (resume) and explains with the rule it launched with, so that rule
// must not change under it. what says what is refused.
func segmentInUse(tx *gorm.DB, id int64, what string) error {
	var active campaignRow
	res := tx.Where("segment_id = ? AND state IN ?", id, []string{string(models.CampaignScheduled),
		string(models.CampaignRunning), string(models.CampaignPaused)}).Order("id").Limit(1).Find(&active)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected > 0 {
		return models.Errorf(models.ECONFLICT, "Segment %d is used by campaign %d, which is %s: %s; cancel the campaign or wait until it completes.", id, active.ID, active.State, what)
	}
	return nil
}

// DeleteSegment implements models.SegmentService.
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := segmentInUse(tx, id, "it cannot be deleted"); err != nil {
			return err
		}
		res := tx.Where("id = ?", id).Delete(&segmentRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.Errorf(models.ENOTFOUND, "Segment not found.")
		}
		return nil
	})
	return mapError(err, "Segment")
}

var _ models.SegmentService = (*Store)(nil)
