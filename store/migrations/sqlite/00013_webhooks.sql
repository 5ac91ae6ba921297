-- +goose Up
-- See the PostgreSQL migration for the reasoning.
CREATE TABLE webhook_sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    secret_sealed   BLOB NOT NULL,
    previous_sealed BLOB,
    previous_until  DATETIME,
    rotated_at      DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE inbox_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id    INTEGER NOT NULL,
    webhook_id   TEXT NOT NULL,
    position     INTEGER NOT NULL,
    type         TEXT NOT NULL DEFAULT '',
    external_id  TEXT NOT NULL DEFAULT '',
    occurred_at  DATETIME,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'superseded', 'failed')),
    error        TEXT NOT NULL DEFAULT '',
    attempts     INTEGER NOT NULL DEFAULT 0,
    received_at  DATETIME NOT NULL,
    processed_at DATETIME,
    UNIQUE (source_id, webhook_id, position)
);
CREATE INDEX inbox_events_pending_idx ON inbox_events (id) WHERE status = 'pending';
CREATE INDEX inbox_events_source_idx ON inbox_events (source_id, status, id);

CREATE TABLE inbox_watermarks (
    key         TEXT NOT NULL PRIMARY KEY,
    occurred_at DATETIME NOT NULL
);

CREATE TABLE channel_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint', 'stop')),
    channel     TEXT NOT NULL,
    customer_id INTEGER NOT NULL DEFAULT 0,
    delivery_id INTEGER NOT NULL DEFAULT 0,
    occurred_at DATETIME NOT NULL,
    received_at DATETIME NOT NULL,
    UNIQUE (kind, channel, customer_id, delivery_id, occurred_at)
);
CREATE INDEX channel_feedback_customer_idx ON channel_feedback (customer_id);

CREATE TABLE bounced_addresses (
    fingerprint TEXT NOT NULL PRIMARY KEY,
    channel     TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);

-- +goose Down
DROP TABLE bounced_addresses;
DROP TABLE channel_feedback;
DROP TABLE inbox_watermarks;
DROP TABLE inbox_events;
DROP TABLE webhook_sources;
