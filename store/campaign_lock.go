package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// maxPlanners is how many launches and resumes one process runs at once.
// A PostgreSQL launch holds two pooled connections (its transaction and
// its reads) while the planning lock admits one planner at a time, so
// planners waiting for the lock must not be able to take the whole pool:
// the one holding the lock would wait for a connection for ever, and so
// would every other request. The rest wait here, without a connection.
const maxPlanners = 2

// enterPlanning waits for a planner slot of this process; the returned
// function gives it back. It returns ctx's error if ctx ends first.
//
// On SQLite it also takes the planning lock (lockSQLitePlanning), which
// PostgreSQL takes inside the plan's transaction (lockPlanning), and then
// removes what a launch that died before its end wrote
// (dropHalfLaunches): the lock's holder is the only one that writes
// deliveries of a campaign not launched yet.
func (s *Store) enterPlanning(ctx context.Context) (func(), error) {
	select {
	case s.planners <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.dialect != DialectSQLite {
		return func() { <-s.planners }, nil
	}
	unlock, err := lockSQLitePlanning(ctx, s.sqlitePath)
	if err == nil {
		err = s.tx(ctx, false, func(tx *gorm.DB) error { return dropHalfLaunches(tx, 0) })
		if err != nil {
			unlock()
		}
	}
	if err != nil {
		<-s.planners
		return nil, err
	}
	return func() { unlock(); <-s.planners }, nil
}

// planningLockKey names the planning lock; it is per schema, so tests with
// one schema each do not queue behind each other.
const planningLockKey = "hashtextextended('candor-plan:' || current_schema(), 0)"

// lockPlanning serialises planning (launch and resume) across every API
// process until tx ends. Planning reads the deliveries other campaigns
// already planned, for channel capacity, cadence and content dedup; two
// launches planning side by side would each miss the other's uncommitted
// deliveries and could together overfill a minute or a customer's cadence.
// Holding the lock, a launch sees every earlier launch committed.
//
// Only PostgreSQL takes it here: on SQLite enterPlanning took the file
// lock that plays its part. Callers take their campaign's row lock first
// and this one second, always in that order, so two planners cannot
// deadlock.
func (s *Store) lockPlanning(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(" + planningLockKey + ")").Error
}

// erasureFenceKey names the erasure fence, per schema like the planning
// lock.
const erasureFenceKey = "hashtextextended('candor-erase:' || current_schema(), 0)"

// Erasure never waits for a planner (issue 15: an erasure waited 164 s
// behind a launch holding the planning lock). A planner reads customers
// without locking them, so an erasure that commits while it plans does
// not see, and cannot skip, the planner's uncommitted delivery of the
// erased customer. The erasure fence closes that gap: erasure holds it
// shared for its own short transaction (lockErasure), and a planner takes
// it exclusively only at its very end (skipErased), waits for the
// erasures in flight, then skips the deliveries of every customer erased
// meanwhile. An erasure that starts after that waits for the planner's
// commit only, and then finds and skips the committed deliveries itself.
// SQLite gets the same from its one writer: a launch there holds it only
// for short transactions (campaign_launch_sqlite.go), the last of which
// skips the customers erased meanwhile.

// lockErasure takes the erasure fence shared until tx ends. Erasure takes
// it first, before any row lock.
func (s *Store) lockErasure(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock_shared(" + erasureFenceKey + ")").Error
}

// skipErased closes a plan of campaign id in tx: it takes the erasure
// fence exclusively, then marks the campaign's planned deliveries of
// erased customers skipped (erased), as the erasure would have had it
// seen them. It returns how many it skipped. On SQLite there is no fence:
// tx holds the database's one writer, so no erasure commits until it
// ends.
func (s *Store) skipErased(tx *gorm.DB, id int64) (int64, error) {
	if s.dialect == DialectPostgres {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(" + erasureFenceKey + ")").Error; err != nil {
			return 0, err
		}
	}
	return s.moveWhere(tx, models.DeliveryPlanned, models.DeliverySkipped, models.ReasonErased, "launch", erasedOfCampaign, id)
}

// erasedOfCampaign selects a campaign's deliveries to erased customers.
const erasedOfCampaign = "campaign_id = ? AND customer_id IN (SELECT id FROM customers WHERE erased_at IS NOT NULL)"
