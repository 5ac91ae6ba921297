package store

import "context"

// LatestEventID returns the id of the newest outbox event (0 when there is
// none): where a consumer that counts only what happens from now on
// starts (the event metrics of cmd/candor).
func (s *Store) LatestEventID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM events").Row().Scan(&id)
	return id, mapError(err, "Events")
}
