-- +goose Up
-- The rule is JSON text, kept as the client wrote it.
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

-- Consent conditions compile to EXISTS (... topic = ? AND status IN (...)):
-- with customer_id in the key they are answered from the index alone.
CREATE INDEX consents_topic_status_customer_idx ON consents (topic, status, customer_id);
DROP INDEX consents_topic_status_idx;

-- +goose Down
CREATE INDEX consents_topic_status_idx ON consents (topic, status);
DROP INDEX consents_topic_status_customer_idx;
DROP TABLE segments;
