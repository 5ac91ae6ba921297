package store

// SetLaunchWriteBatch makes the store's SQLite launches write n
// deliveries and exclusions per transaction instead of
// launchWriteBatch, so that a launch of a few customers writes several
// times, as a large one does.
func (s *Store) SetLaunchWriteBatch(n int) { s.launchBatch = n }

// LaunchCopyColumns are the columns a PostgreSQL launch writes into
// deliveries and campaign_exclusions, in its copy order.
var LaunchCopyColumns = map[string][]string{"deliveries": deliveryCopyColumns, "campaign_exclusions": exclusionCopyColumns}
