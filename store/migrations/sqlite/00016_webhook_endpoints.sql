-- +goose Up
-- See the PostgreSQL migration for the reasoning.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    event_types     TEXT NOT NULL,
    secret_sealed   BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    disabled_reason TEXT NOT NULL DEFAULT '',
    failure_run     INTEGER NOT NULL DEFAULT 0,
    failing_since   DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE webhook_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL,
    customer_id     INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    delivered_at    DATETIME,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_messages_order_idx ON webhook_messages (endpoint_id, customer_id, event_id) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id  INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id   INTEGER NOT NULL,
    event_id     INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    ok           BOOLEAN NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    duration_ms  INTEGER NOT NULL,
    attempted_at DATETIME NOT NULL
);
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id);

-- SQLite cannot change a column's default, so the column starts pending
-- for every row and the existing rows (written before any endpoint
-- existed) are marked done; embedded databases are small.
ALTER TABLE events ADD COLUMN fanout_pending BOOLEAN NOT NULL DEFAULT 1;
UPDATE events SET fanout_pending = 0;
CREATE INDEX events_fanout_idx ON events (id) WHERE fanout_pending;

-- +goose Down
DROP INDEX events_fanout_idx;
ALTER TABLE events DROP COLUMN fanout_pending;
DROP TABLE webhook_attempts;
DROP TABLE webhook_messages;
DROP TABLE webhook_endpoints;
