package store

import "gorm.io/gorm"

// lockPlanning serialises planning (launch and resume) across every API
// process until tx ends. Planning reads the deliveries other campaigns
// already planned, for channel capacity, cadence and content dedup; two
// launches planning side by side would each miss the other's uncommitted
// deliveries and could together overfill a minute or a customer's cadence.
// Holding the lock, a launch sees every earlier launch committed.
//
// Only PostgreSQL needs it: SQLite transactions already start with the
// database's write lock (_txlock=immediate). The lock is per schema, so
// tests with one schema each do not queue behind each other. Callers take
// their campaign's row lock first and this one second, always in that
// order, so two planners cannot deadlock.
func (s *Store) lockPlanning(tx *gorm.DB) error {
	if s.dialect != DialectPostgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended('candor-plan:' || current_schema(), 0))").Error
}
