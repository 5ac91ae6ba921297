-- +goose Up
-- The dispatcher's page starts at its position (scheduled time, id): with
-- the id in the key SQLite seeks to it instead of walking every delivery
-- of the same time handed on before (see the PostgreSQL migration).
DROP INDEX deliveries_pending_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (scheduled_at, id) WHERE status IN ('planned', 'queued');

-- +goose Down
DROP INDEX deliveries_pending_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (scheduled_at) WHERE status IN ('planned', 'queued');
