package store

// SetLaunchWriteBatch makes the store's SQLite launches write n
// deliveries and exclusions per transaction instead of
// launchWriteBatch, so that a launch of a few customers writes several
// times, as a large one does.
func (s *Store) SetLaunchWriteBatch(n int) { s.launchBatch = n }
