-- +goose Up
-- The dispatcher reads due planned deliveries page by page after its
-- position (scheduled time, id). With an index on scheduled_at alone,
-- every page of a campaign whose deliveries share one time (everyone's
-- window opens at the same minute) started at the first entry of that
-- time and walked every entry before the position: those of deliveries
-- handed on and claimed since, whose old row versions stay in the index
-- until a vacuum. At 100,000 webhook messages the dispatch read was 16 s
-- of PostgreSQL time, 1,110 rows a page at 68 ms (pg_stat_statements,
-- docs/benchmarks.md "Session 8"). With the id in the key the page starts
-- at the position.
DROP INDEX deliveries_pending_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (scheduled_at, id) WHERE status IN ('planned', 'queued');
COMMENT ON INDEX deliveries_pending_idx IS
    'Dispatch: status = planned AND (scheduled_at, id) > position AND scheduled_at <= ? ORDER BY scheduled_at, id (store/delivery_dispatch.go); channel capacity: planned or queued in [a, b) (store/campaign_capacity.go).';

-- +goose Down
DROP INDEX deliveries_pending_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (scheduled_at) WHERE status IN ('planned', 'queued');
COMMENT ON INDEX deliveries_pending_idx IS
    'Dispatch: status = planned AND scheduled_at <= ? ORDER BY scheduled_at (store/delivery_dispatch.go); channel capacity: planned or queued in [a, b) (store/campaign_capacity.go).';
