-- +goose Up
-- Customers are never deleted (erasure keeps the row and clears its PII):
-- deliveries, exclusions and the consent ledger refer to them. PostgreSQL
-- dropped the deliveries foreign key for launch speed and relies on this
-- guard; SQLite keeps its key (dropping one means rebuilding the table)
-- and gets the same guard, so both dialects refuse the same deletes.
-- The due index becomes a partial index of the pending work, as on
-- PostgreSQL (see there).
DROP INDEX deliveries_due_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (scheduled_at) WHERE status IN ('planned', 'queued');

-- +goose StatementBegin
CREATE TRIGGER customers_keep BEFORE DELETE ON customers
BEGIN
    SELECT RAISE(ABORT, 'customers are never deleted; erase them instead');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER customers_keep;
DROP INDEX deliveries_pending_idx;
CREATE INDEX deliveries_due_idx ON deliveries (status, scheduled_at);
