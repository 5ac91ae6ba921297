package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// PreviewSendTimes plans campaign id exactly as PreviewCampaign does and
// returns every planned customer's scheduled_at by customer id, which the
// preview's aggregates cannot show, so tests can compare it with launch.
func (s *Store) PreviewSendTimes(ctx context.Context, id int64, planner models.Planner) (map[int64]time.Time, error) {
	db := s.db.WithContext(ctx)
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	p, err := s.newPlan(db, row, planner, s.now())
	if err == nil {
		p, err = s.withAudience(db, p)
	}
	if err != nil {
		return nil, err
	}
	sink := recordingSink{}
	if _, err := s.runPlan(ctx, s.planReads(db, false), p, sink); err != nil {
		return nil, err
	}
	return sink, nil
}

// planReads reads pages as a launch does: pgx pages read ahead on
// PostgreSQL; serial forces SQLite's path (gorm, one page after the
// other) on either backend.
func (s *Store) planReads(db *gorm.DB, serial bool) planReads {
	if s.dialect == DialectPostgres && !serial {
		return planReads{db: db, pg: s.withPgxReadTx}
	}
	return planReads{db: db}
}

// PlanDecisions plans campaign id as PreviewCampaign does and returns
// every audience member's decision by customer id: "planned <channel>
// <time>" or the exclusion reason. serial reads the pages as SQLite does
// (gorm, one query per fact and page) on either backend, so a test can
// hold PostgreSQL's pipelined pgx reads to the same decisions.
func (s *Store) PlanDecisions(ctx context.Context, id int64, planner models.Planner, serial bool) (map[int64]string, error) {
	db := s.db.WithContext(ctx)
	row, err := campaignByID(db, id)
	if err != nil {
		return nil, err
	}
	p, err := s.newPlan(db, row, planner, s.now())
	if err == nil {
		p, err = s.withAudience(db, p)
	}
	if err != nil {
		return nil, err
	}
	sink := decisionSink{}
	if _, err := s.runPlan(ctx, s.planReads(db, serial), p, sink); err != nil {
		return nil, err
	}
	return sink, nil
}

// decisionSink keeps every decision of a plan.
type decisionSink map[int64]string

func (k decisionSink) add(_ context.Context, d deliveryRow) error {
	k[d.CustomerID] = "planned " + d.Channel + " " + d.Locale + " " + d.ScheduledAt.UTC().Format(time.RFC3339Nano)
	return nil
}

func (k decisionSink) exclude(_ context.Context, e exclusionRow) error {
	k[e.CustomerID] = e.Reason
	return nil
}

func (k decisionSink) finish(context.Context) error { return nil }

// PlanPageStatement returns the one statement that reads
// campaign id's audience with its facts on PostgreSQL, with its arguments,
// as a launch would send it now (after the same probes).
func (s *Store) PlanPageStatement(ctx context.Context, id int64, planner models.Planner) (string, []any, error) {
	db := s.db.WithContext(ctx)
	row, err := campaignByID(db, id)
	if err != nil {
		return "", nil, err
	}
	p, err := s.newPlan(db, row, planner, s.now())
	if err == nil {
		p, err = s.withAudience(db, p)
	}
	if err == nil {
		err = p.probeDeliveries(db)
	}
	if err != nil {
		return "", nil, err
	}
	inner, args := s.pgAudience(p)
	q, args := pgFactsQuery(p, inner, args, factsDecide)
	return q, args, nil
}

// recordingSink keeps each planned customer's send time.
type recordingSink map[int64]time.Time

func (k recordingSink) add(_ context.Context, d deliveryRow) error {
	k[d.CustomerID] = d.ScheduledAt
	return nil
}

func (k recordingSink) exclude(context.Context, exclusionRow) error { return nil }

func (k recordingSink) finish(context.Context) error { return nil }

// PlanningLockKey is the SQL expression naming the planning lock, so a
// test can hold the very lock a launch takes.
const PlanningLockKey = planningLockKey
