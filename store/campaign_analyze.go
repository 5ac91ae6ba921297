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

// launchAnalyze is the ANALYZE a launch runs (analyzeLaunch): deliveries'
// columns that the statements after a launch filter and join on (skipErased,
// the dispatcher, the next launch's planning statement), and no other.
// Sampling the table is a fixed cost; each further column adds its sort,
// and the text columns (channel, locale, reason, the send snapshot) cost
// most. In a launch-like transaction of 333,333 deliveries and 666,667
// exclusions, analyzing both tables whole took 321-349 ms, this 121-136 ms.
// sent_at is left out although reports filter on it: a launch adds only
// NULLs, so its stale statistics overestimate a range of sent_at, which
// errs towards a scan, not towards a nested loop over a million rows.
//
// campaign_exclusions is not analyzed: it is read only by its primary key
// (campaign_id, customer_id), whole for explain or by the campaign_id
// prefix for the report's counts, with no join. A stale estimate can at
// worst pick an index scan where a sequential scan of the prefix would do,
// over rows written in key order. A column-list ANALYZE does not reset
// the count autovacuum watches, so autovacuum still analyzes both tables
// whole after a large launch.
const launchAnalyze = "ANALYZE deliveries (campaign_id, customer_id, content_id, status, scheduled_at)"

// analyzeLaunch refreshes PostgreSQL's statistics of deliveries
// (launchAnalyze) inside the launch transaction tx, once the launch wrote
// analyzeBulk rows or more. ANALYZE counts the rows of its own
// transaction, so the statistics describe the launch before it commits:
//
//   - The launch's own last statement is planned on them. With the
//     statistics of before the launch, skipErased walked all 351,994
//     deliveries of a 1M launch to find the erased customers (118 ms,
//     serial at the launch's end); with them, it starts from the erased
//     customers (0.3 ms).
//   - The column statistics (pg_statistic) commit with the rows and roll
//     back with them; the table's size (pg_class.reltuples) is written in
//     place, so other sessions see it at once and it stays after a
//     rollback, until the next VACUUM or ANALYZE. The dispatcher's first
//     reads and the next launch's statements no longer meet a million
//     rows the planner does not know about (the same launch took 16 s or
//     37 s when it did).
//
// The ANALYZE runs in a savepoint and waits at most wait for its lock; a
// failure is logged and the launch goes on.
func (s *Store) analyzeLaunch(ctx context.Context, tx *gorm.DB, wrote int64, wait time.Duration) {
	if s.dialect != DialectPostgres || wrote < analyzeBulk {
		return
	}
	if err := analyzeWithin(tx, launchAnalyze, wait); err != nil {
		if ctx.Err() != nil {
			return // the launch is failing anyway
		}
		s.log.WarnContext(ctx, "analyze inside the launch failed; the statistics are left to autovacuum",
			"table", "deliveries", "err", err)
	}
}

// analyzeWithin runs statement (an ANALYZE) in a savepoint of tx, waiting
// at most wait for its lock, and leaves tx's lock_timeout as it was.
//
// The lock is SHARE UPDATE EXCLUSIVE until the launch commits: only
// VACUUM, ANALYZE, CREATE INDEX and some ALTER TABLE wait for it, and the
// launch holds the planning lock already, so no other launch is among
// them. Its own wait, for a VACUUM or an autovacuum of the table (an
// anti-wraparound one is never cancelled; another gives way after
// deadlock_timeout), happens while the launch holds the planning lock and
// its campaign's row, but before the erasure fence: erasures never wait
// for it. A failure only costs speed: the launch goes on from the
// savepoint (a nested gorm transaction), which also undoes the
// lock_timeout.
func analyzeWithin(tx *gorm.DB, statement string, wait time.Duration) error {
	return tx.Transaction(func(sp *gorm.DB) error {
		var prev string
		if err := sp.Raw("SELECT current_setting('lock_timeout')").Row().Scan(&prev); err != nil {
			return err
		}
		ms := strconv.FormatInt(max(wait.Milliseconds(), 1), 10) + "ms"
		if err := sp.Exec("SELECT set_config('lock_timeout', ?, true)", ms).Error; err != nil {
			return err
		}
		if err := sp.Exec(statement).Error; err != nil {
			return err
		}
		return sp.Exec("SELECT set_config('lock_timeout', ?, true)", prev).Error
	})
}
