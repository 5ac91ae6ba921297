package store

import (
	"context"
	"time"

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
	if _, err := s.runPlan(ctx, db, p, sink); err != nil {
		return nil, err
	}
	return sink, nil
}

// recordingSink keeps each planned customer's send time.
type recordingSink map[int64]time.Time

func (k recordingSink) add(_ context.Context, d *deliveryRow) error {
	k[d.CustomerID] = d.ScheduledAt
	return nil
}

func (k recordingSink) exclude(context.Context, exclusionRow) error { return nil }

func (k recordingSink) finish(context.Context) error { return nil }

// PlanningLockKey is the SQL expression naming the planning lock, so a
// test can hold the very lock a launch takes.
const PlanningLockKey = planningLockKey
