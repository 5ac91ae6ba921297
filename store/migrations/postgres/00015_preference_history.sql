-- +goose Up
-- Reports (issue 13) judge each sent message against the wishes the
-- customer held when it was sent, and count preference downgrades after
-- it. customers holds only the current wishes; this table keeps each
-- earlier version's, as it was when it was replaced. A trigger writes it,
-- so every path that changes a profile (PUT, batch, preference center)
-- keeps the history without knowing about it. The current version is not
-- copied here: it is the customers row itself, so creating customers
-- costs nothing more.
CREATE TABLE preference_history (
    customer_id       BIGINT NOT NULL,
    version           INTEGER NOT NULL,
    preferred_channel TEXT NOT NULL,
    timezone          TEXT NOT NULL,
    preferred_windows JSONB NOT NULL,
    cadence           JSONB,
    -- When the next wishes replaced these (the customer's updated_at of
    -- that change, on the store's clock).
    replaced_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (customer_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION preference_history_keep() RETURNS trigger AS $$
BEGIN
    IF NEW.erased_at IS NOT NULL THEN
        -- Erasure removes the zone and windows from the profile: their
        -- history goes too (reports then count the customer's sends as
        -- unverifiable, never as disrespected).
        DELETE FROM preference_history WHERE customer_id = OLD.id;
        RETURN NULL;
    END IF;
    -- The first change at a version records it; a later one at the same
    -- version would record wishes the version never had.
    INSERT INTO preference_history (customer_id, version, preferred_channel, timezone, preferred_windows, cadence, replaced_at)
    VALUES (OLD.id, OLD.preference_version, OLD.preferred_channel, OLD.timezone, OLD.preferred_windows, OLD.cadence, NEW.updated_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER customers_preference_history AFTER UPDATE ON customers
    FOR EACH ROW
    WHEN (OLD.preference_version IS DISTINCT FROM NEW.preference_version
       OR OLD.preferred_channel IS DISTINCT FROM NEW.preferred_channel
       OR OLD.timezone IS DISTINCT FROM NEW.timezone
       OR OLD.preferred_windows IS DISTINCT FROM NEW.preferred_windows
       OR OLD.cadence IS DISTINCT FROM NEW.cadence
       OR OLD.erased_at IS DISTINCT FROM NEW.erased_at)
    EXECUTE FUNCTION preference_history_keep();

-- +goose Down
DROP TRIGGER customers_preference_history ON customers;
DROP FUNCTION preference_history_keep();
DROP TABLE preference_history;
