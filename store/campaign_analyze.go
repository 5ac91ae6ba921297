package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// analyzeBulk is how many rows a launch writes before it refreshes the
// planner's statistics itself.
const analyzeBulk = 10000

// analyzeLockWait bounds how long a launch waits for the lock its ANALYZE
// takes (see analyzeLaunch).
const analyzeLockWait = 2 * time.Second

// analyzeLaunch refreshes PostgreSQL's statistics of deliveries and
// campaign_exclusions inside the launch transaction tx, once the launch
// wrote analyzeBulk rows or more. ANALYZE counts the rows of its own
// transaction, so the statistics describe the launch before it commits:
//
//   - The launch's own last statement is planned on them. With the
//     statistics of before the launch, skipErased walked all 351,994
//     deliveries of a 1M launch to find the erased customers (118 ms,
//     serial at the launch's end); with them, it starts from the erased
//     customers (0.3 ms).
//   - They commit with the rows: the dispatcher's first reads and the next
//     launch's statements never meet a million rows the planner does not
//     know about (the same launch took 16 s or 37 s when it did).
//
// Run after planning and before the erasure fence, it does not lengthen
// the time erasures wait. ANALYZE holds SHARE UPDATE EXCLUSIVE on both
// tables until the launch commits, which only VACUUM, ANALYZE and DDL
// wait for; its own wait for one of those (an anti-wraparound autovacuum
// is never cancelled) is bounded by wait. A failure only costs speed:
// the launch goes on from a savepoint, and the failure is logged.
func (s *Store) analyzeLaunch(ctx context.Context, tx *gorm.DB, wrote int64, wait time.Duration) {
	if s.dialect != DialectPostgres || wrote < analyzeBulk {
		return
	}
	// A nested gorm transaction is a savepoint: a lock timeout rolls back
	// to it and leaves the launch's transaction usable.
	err := tx.Transaction(func(sp *gorm.DB) error {
		var prev string
		if err := sp.Raw("SELECT current_setting('lock_timeout')").Row().Scan(&prev); err != nil {
			return err
		}
		ms := strconv.FormatInt(max(wait.Milliseconds(), 1), 10) + "ms"
		if err := sp.Exec("SELECT set_config('lock_timeout', ?, true)", ms).Error; err != nil {
			return err
		}
		if err := sp.Exec("ANALYZE deliveries, campaign_exclusions").Error; err != nil {
			return err
		}
		return sp.Exec("SELECT set_config('lock_timeout', ?, true)", prev).Error
	})
	if err != nil {
		s.log.WarnContext(ctx, "analyze inside the launch failed; the statistics are left to autovacuum", "err", err)
	}
}
