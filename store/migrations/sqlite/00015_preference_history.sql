-- +goose Up
-- See the PostgreSQL migration for the reasoning.
CREATE TABLE preference_history (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id       INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    preferred_channel TEXT NOT NULL,
    timezone          TEXT NOT NULL,
    preferred_windows TEXT NOT NULL,
    cadence           TEXT,
    replaced_at       DATETIME NOT NULL
);
CREATE INDEX preference_history_customer_idx ON preference_history (customer_id, replaced_at, id);

-- +goose StatementBegin
CREATE TRIGGER customers_preference_history AFTER UPDATE ON customers
    FOR EACH ROW
    WHEN OLD.preference_version IS NOT NEW.preference_version
      OR OLD.preferred_channel IS NOT NEW.preferred_channel
      OR OLD.timezone IS NOT NEW.timezone
      OR OLD.preferred_windows IS NOT NEW.preferred_windows
      OR OLD.cadence IS NOT NEW.cadence
      OR OLD.erased_at IS NOT NEW.erased_at
BEGIN
    DELETE FROM preference_history WHERE customer_id = OLD.id AND NEW.erased_at IS NOT NULL;
    INSERT INTO preference_history (customer_id, version, preferred_channel, timezone, preferred_windows, cadence, replaced_at)
    SELECT OLD.id, OLD.preference_version, OLD.preferred_channel, OLD.timezone, OLD.preferred_windows, OLD.cadence, NEW.updated_at
    WHERE NEW.erased_at IS NULL;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER customers_preference_history;
DROP TABLE preference_history;
