package store

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// Previews and member pages are open to any viewer key and evaluate a
// rule over every customer, so each runs under the preview timeout
// (previewing): issue 15 found one rule occupying PostgreSQL for 44 s.

// PreviewRule implements models.SegmentService.
func (s *Store) PreviewRule(ctx context.Context, raw json.RawMessage) (*models.SegmentPreview, error) {
	rule, err := s.rules.ParseRule(raw, "/rule")
	if err != nil {
		return nil, err
	}
	if err := s.checkRuleTopics(ctx, rule); err != nil {
		return nil, err
	}
	return s.preview(ctx, rule)
}

// SegmentPreview implements models.SegmentService.
func (s *Store) SegmentPreview(ctx context.Context, id int64) (*models.SegmentPreview, error) {
	rule, err := s.parsedSegment(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.preview(ctx, rule)
}

// SegmentCount returns how many live customers match rule, without the
// preview timeout (benchmarks and tools).
func (s *Store) SegmentCount(ctx context.Context, rule *models.Rule) (int64, error) {
	return s.count(ctx, s.sqlDB, rule)
}

// count is SegmentCount on db, a pool or a transaction.
func (s *Store) count(ctx context.Context, db gorm.ConnPool, rule *models.Rule) (int64, error) {
	q := s.compile(rule)
	var n int64
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+q.from+" WHERE "+q.where, q.args...).Scan(&n)
	if err != nil {
		return 0, mapError(err, "Segment count")
	}
	return n, nil
}

func (s *Store) preview(ctx context.Context, rule *models.Rule) (*models.SegmentPreview, error) {
	var out models.SegmentPreview
	err := s.previewing(ctx, func(ctx context.Context, db *gorm.DB) error {
		var err error
		if out.Count, err = s.count(ctx, db.Statement.ConnPool, rule); err != nil {
			return err
		}
		out.Sample, _, err = s.members(ctx, db.Statement.ConnPool, rule, 0, models.MaxPreviewSample)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SegmentCustomers implements models.SegmentService.
func (s *Store) SegmentCustomers(ctx context.Context, id int64, page models.Page) ([]*models.Customer, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	rule, err := s.parsedSegment(ctx, id)
	if err != nil {
		return nil, "", err
	}
	var (
		out  []*models.Customer
		next string
	)
	err = s.previewing(ctx, func(ctx context.Context, db *gorm.DB) error {
		out, next, err = s.members(ctx, db.Statement.ConnPool, rule, ks.after, ks.limit)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// members returns up to limit members with id > after and the cursor of
// the next page ("" on the last one).
func (s *Store) members(ctx context.Context, db gorm.ConnPool, rule *models.Rule, after int64, limit int) ([]*models.Customer, string, error) {
	q := s.compile(rule)
	query := "SELECT " + memberColumns + " FROM " + q.from + " WHERE " + q.where +
		" AND c.id > " + s.placeholder(&q, after) + " ORDER BY c.id LIMIT " + s.placeholder(&q, limit+1)
	rows, err := db.QueryContext(ctx, query, q.args...)
	if err != nil {
		return nil, "", mapError(err, "Segment members")
	}
	defer rows.Close()
	var out []*models.Customer
	dec := newMemberDecoder()
	for rows.Next() {
		c, err := dec.scan(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", mapError(err, "Segment members")
	}
	out, next := cutPage(out, limit, func(c *models.Customer) int64 { return c.ID })
	if out == nil {
		out = []*models.Customer{}
	}
	return out, next, nil
}
