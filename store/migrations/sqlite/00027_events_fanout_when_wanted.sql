-- +goose Up
-- As on PostgreSQL (see there): an event is left for the outbound fan-out
-- only when an enabled webhook endpoint exists as it is written. SQLite's
-- defaults cannot read a table, so a trigger clears the flag of an event
-- written with no enabled endpoint (SQLite has one writer at a time, so
-- the endpoint's existence cannot change in between).
-- +goose StatementBegin
CREATE TRIGGER events_fanout_wanted AFTER INSERT ON events
WHEN NEW.fanout_pending AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE status = 'enabled')
BEGIN
    UPDATE events SET fanout_pending = 0 WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER events_fanout_wanted;
