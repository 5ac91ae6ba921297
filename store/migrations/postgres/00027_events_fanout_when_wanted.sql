-- +goose Up
-- An event is left for the outbound fan-out only when an enabled webhook
-- endpoint exists as it is written (00016 left every event pending). With
-- no endpoint, the fan-out read and rewrote every event anyway: at
-- 100,000 sent messages that was 100,000 reads and 100,000 updates of
-- events (a new row version and index entries each, with autovacuum
-- behind) for nothing (docs/benchmarks.md, "Session 11"). An endpoint
-- receives the events written after its creation (or its enabling)
-- committed; before, it did not exist for any writer.
--
-- A function, because a column default cannot hold a subquery; it runs
-- for each row that takes the default (about 5 us). The worker's batched
-- statements evaluate it once per statement instead
-- ((SELECT events_fanout_wanted()), store/delivery_bulk_postgres.go).
-- +goose StatementBegin
CREATE FUNCTION events_fanout_wanted() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 'enabled')
$$;
-- +goose StatementEnd
ALTER TABLE events ALTER COLUMN fanout_pending SET DEFAULT events_fanout_wanted();

-- +goose Down
ALTER TABLE events ALTER COLUMN fanout_pending SET DEFAULT TRUE;
DROP FUNCTION events_fanout_wanted();
