package store

import (
	"context"

	"gorm.io/gorm"
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
func (s *Store) enterPlanning(ctx context.Context) (func(), error) {
	select {
	case s.planners <- struct{}{}:
		return func() { <-s.planners }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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
// Only PostgreSQL needs it: SQLite transactions already start with the
// database's write lock (_txlock=immediate). Callers take their campaign's
// row lock first and this one second, always in that order, so two
// planners cannot deadlock.
func (s *Store) lockPlanning(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(" + planningLockKey + ")").Error
}

// lockPlanningShared keeps planning out until tx ends without excluding
// other holders of the shared lock. Erasure takes it first thing: a launch
// reads customers without locking them, so an erasure committing while a
// launch plans would not see (and skip) the erased customer's uncommitted
// delivery. Waiting for the launch, it sees the delivery committed.
func (s *Store) lockPlanningShared(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock_shared(" + planningLockKey + ")").Error
}
