package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"
)

// errRollback ends a test's transaction without keeping what it wrote.
var errRollback = errors.New("rolled back by the test")

// inLaunchTx runs fn in a transaction on s that is rolled back afterwards,
// after the statistics of deliveries were taken while it held none of
// the rows fn writes: what a launch meets after the launches before it.
func inLaunchTx(t *testing.T, s *Store, fn func(tx *gorm.DB)) {
	t.Helper()
	db := s.db.WithContext(context.Background())
	if err := db.Exec("ANALYZE deliveries").Error; err != nil {
		t.Fatal(err)
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		fn(tx)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// skipErasedVisits explains, in tx, the statement with which a launch of
// the newest campaign skips the deliveries of customers erased while it
// planned, and returns the buffers it visited and its rows.
func skipErasedVisits(t *testing.T, tx *gorm.DB) (visits, rows int64) {
	t.Helper()
	var campaign int64
	if err := tx.Raw("SELECT MAX(id) FROM campaigns").Row().Scan(&campaign); err != nil {
		t.Fatal(err)
	}
	return explainVisits(t, tx, "SELECT id FROM deliveries WHERE status = 'planned' AND ("+erasedOfCampaign+")", campaign)
}

// TestLaunchPlansItsLastStatementOnItsOwnRows: a launch's last statement
// skips the deliveries of customers erased while it planned. Planned on
// the statistics of before the launch, which say the campaign has no
// deliveries, it walked all 351,994 of a 1M launch and probed the erased
// customers' index for each (118 ms, serial at the launch's end).
// Analyzed inside the launch's transaction, it starts from the erased
// customers.
func TestLaunchPlansItsLastStatementOnItsOwnRows(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		inLaunchTx(t, s, func(tx *gorm.DB) {
			launchRows(t, tx, "skiperased", analyzeBulk, now, now.Add(time.Hour))
			// An installation's customers are known to the planner long
			// before a launch; its deliveries are what the launch adds.
			if err := tx.Exec("ANALYZE customers").Error; err != nil {
				t.Fatal(err)
			}
			// One customer of the audience erased while the launch planned.
			if err := tx.Exec("UPDATE customers SET erased_at = ? WHERE id = (SELECT MAX(customer_id) FROM deliveries)", now).Error; err != nil {
				t.Fatal(err)
			}
			before, rows := skipErasedVisits(t, tx)
			if rows != 1 || before < analyzeBulk {
				t.Fatalf("on the statistics of before the launch the skip visited %d buffers for %d rows; "+
					"this test expects the walk of every delivery it guards against (at least %d visits, 1 row)", before, rows, analyzeBulk)
			}
			s.analyzeLaunch(context.Background(), tx, analyzeBulk, analyzeLockWait)
			after, rows := skipErasedVisits(t, tx)
			if rows != 1 || after > 20 {
				t.Errorf("after the launch analyzed, the skip visited %d buffers for %d rows, want at most 20 for 1 row", after, rows)
			}
		})
	})
}

// TestLaunchAnalyzeGivesWayToAVacuum: ANALYZE waits for a VACUUM of the
// same table, and an anti-wraparound autovacuum is never cancelled. A
// launch whose ANALYZE cannot get its lock in time goes on without it:
// its transaction stays usable and keeps its own lock_timeout.
func TestLaunchAnalyzeGivesWayToAVacuum(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		holder, err := s.db.DB()
		if err != nil {
			t.Fatal(err)
		}
		// What a running VACUUM holds, on a connection of its own.
		vacuum, err := holder.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vacuum.Exec("LOCK TABLE deliveries IN SHARE UPDATE EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		defer vacuum.Rollback()
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL lock_timeout = '7s'").Error; err != nil {
				t.Fatal(err)
			}
			launchRows(t, tx, "vacuumed", 10, now, now.Add(time.Hour))
			start := time.Now()
			s.analyzeLaunch(ctx, tx, analyzeBulk, 50*time.Millisecond)
			// Generous: the point is that it did not wait for the VACUUM,
			// which holds its lock until this test ends.
			if waited := time.Since(start); waited > 5*time.Second {
				t.Errorf("analyze waited %v for the vacuum's lock, want about 50ms", waited)
			}
			var n int64
			if err := tx.Raw("SELECT COUNT(*) FROM deliveries").Row().Scan(&n); err != nil {
				t.Fatalf("the launch's transaction is unusable after its analyze gave way: %v", err)
			}
			if n != 10 {
				t.Errorf("the launch's transaction sees %d deliveries after its analyze gave way, want 10", n)
			}
			wantLockTimeout(t, tx, "7s")
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
	})
}

// TestLaunchAnalyzeKeepsTheLaunchLockTimeout: an analyze that succeeds
// leaves the transaction's lock_timeout as it found it.
func TestLaunchAnalyzeKeepsTheLaunchLockTimeout(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		err := s.db.WithContext(context.Background()).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL lock_timeout = '7s'").Error; err != nil {
				t.Fatal(err)
			}
			s.analyzeLaunch(context.Background(), tx, analyzeBulk, analyzeLockWait)
			wantLockTimeout(t, tx, "7s")
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
	})
}

// wantLockTimeout checks that tx's lock_timeout is want after an analyze.
func wantLockTimeout(t *testing.T, tx *gorm.DB, want string) {
	t.Helper()
	var timeout string
	if err := tx.Raw("SELECT current_setting('lock_timeout')").Row().Scan(&timeout); err != nil {
		t.Fatal(err)
	}
	if timeout != want {
		t.Errorf("lock_timeout after the analyze is %q, want the launch's own %s", timeout, want)
	}
}

// TestLaunchStatisticsOverAnEarlierWorkload: the launch analyzes only some
// of deliveries' columns (launchAnalyze); the others keep what an earlier
// workload left (here a campaign sent whole and analyzed whole, as
// autovacuum leaves it). The statements that follow a launch still start
// from its rows: the dispatcher's first page and the skip of customers
// erased while it planned.
func TestLaunchStatisticsOverAnEarlierWorkload(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		db := s.db.WithContext(context.Background())
		now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		launchRows(t, db, "earlier", analyzeBulk, now.Add(-48*time.Hour), now.Add(-47*time.Hour))
		for _, q := range []string{
			"UPDATE deliveries SET status = 'sent', sent_at = scheduled_at, send_timezone = 'Europe/London'",
			"ANALYZE deliveries",
		} {
			if err := db.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
		at := now.Add(time.Minute)
		planFixture(t, db, "current", analyzeBulk, now, at)
		if visits := dispatchPageVisits(t, s, at, 0); visits > 60 {
			t.Errorf("the dispatcher's first page of 10 visited %d buffers, want at most 60", visits)
		}
		// An installation's customers are known to the planner long before
		// a launch (launchRows writes them with the deliveries).
		if err := db.Exec("ANALYZE customers").Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("UPDATE customers SET erased_at = ? WHERE id = (SELECT MAX(customer_id) FROM deliveries)", now).Error; err != nil {
			t.Fatal(err)
		}
		if visits, rows := skipErasedVisits(t, db); rows != 1 || visits > 20 {
			t.Errorf("the skip of erased customers visited %d buffers for %d rows, want at most 20 for 1 row", visits, rows)
		}
	})
}
